// Who may open a connection to an actor (or call it over HTTP): the actors' `onBeforeConnect` and
// the server's front proxy ask the same question here, so a call the actor would refuse is refused
// before the engine creates anything (apps/server/src/front-proxy.ts).
import { UserError } from "rivetkit";
import { type ActorName, mayEnter } from "./access.ts";
import { canReach, type Principal, type TokenTable } from "./auth.ts";
import { fail, type WardenErrorCode } from "./errors.ts";
import { ConnParamsSchema, parseInput } from "./schema.ts";
import { requireProjectKey, requireSessionKey, SessionParamsSchema } from "./session-key.ts";

/** The actors a client may address by name. */
export const ACTOR_NAMES: readonly ActorName[] = ["permissionSession", "wardenProject"];

/** Whether a name is one of Warden's actors. */
export function isActorName(name: string): name is ActorName {
  return (ACTOR_NAMES as readonly string[]).includes(name);
}

/** The answer to "may these connection parameters reach this actor": its principal, or why not. */
export type Admission =
  | { readonly ok: true; readonly principal: Principal }
  | {
      readonly ok: false;
      readonly code: WardenErrorCode;
      readonly message: string;
      readonly metadata?: unknown;
    };

/**
 * The principal that may connect to the actor `name` with key `key`, or a typed failure:
 * `invalid_input` for a malformed key or parameters, `unauthorized` without a known token,
 * `forbidden` for a token of another project (or session, or a role with no door in).
 */
export function requireAdmission(
  tokens: TokenTable,
  name: ActorName,
  key: unknown,
  params: unknown,
): Principal {
  if (name === "permissionSession") {
    const { projectId, sessionId } = requireSessionKey(key);
    const principal = requireToken(tokens, params);
    parseInput(SessionParamsSchema, params, "params");
    if (!canReach(principal, projectId, sessionId)) {
      // Names neither: a caller that addressed the actor by id must not learn its key.
      fail("forbidden", "this token may not reach that session");
    }
    return principal;
  }
  const projectId = requireProjectKey(key);
  const principal = requireToken(tokens, params);
  parseInput(ConnParamsSchema, params, "params");
  if (!canReach(principal, projectId)) fail("forbidden", "this token may not reach that project");
  if (!mayEnter("wardenProject", principal.role))
    fail("forbidden", `the ${principal.role} role has nothing to do in a project`);
  return principal;
}

/** `requireAdmission` as a value, for callers outside an actor (no throw). */
export function admit(tokens: TokenTable, name: string, key: unknown, params: unknown): Admission {
  if (!isActorName(name)) {
    return { ok: false, code: "invalid_input", message: `there is no actor named ${name}` };
  }
  try {
    return { ok: true, principal: requireAdmission(tokens, name, key, params) };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return {
      ok: false,
      code: error.code as WardenErrorCode,
      message: error.message,
      ...(error.metadata !== undefined ? { metadata: error.metadata } : {}),
    };
  }
}

function requireToken(tokens: TokenTable, params: unknown): Principal {
  const parsed = ConnParamsSchema.safeParse(params);
  if (!parsed.success) fail("unauthorized", "connect with { token }");
  return tokens.lookup(parsed.data.token) ?? fail("unauthorized", "unknown token");
}
