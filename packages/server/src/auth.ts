import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { type ActionName, mayCall } from "./access.ts";
import { fail } from "./errors.ts";

/** Who a token stands for and what it may reach. */
export const PrincipalSchema = z.strictObject({
  /** Shown in audit logs as the decider. */
  id: z.string().min(1).max(200),
  role: z.enum(["agent", "approver", "admin"]),
  /** Project ids this token may reach, or "*". */
  projects: z.union([z.literal("*"), z.array(z.string().min(1)).min(1)]),
  /** Session ids this token may reach within those projects, or "*" (default). */
  sessions: z.union([z.literal("*"), z.array(z.string().min(1)).min(1)]).default("*"),
});
export type PrincipalInput = z.input<typeof PrincipalSchema>;

/**
 * Warden itself: actor-to-actor calls and scheduled work. Recognised by its role, which no
 * configured token can have (the schema above admits three roles only).
 */
export interface SystemPrincipal {
  readonly id: string;
  readonly role: "system";
  readonly projects: "*";
  readonly sessions: "*";
}

/** Who is calling: a configured token's principal, or the system. */
export type Principal = z.output<typeof PrincipalSchema> | SystemPrincipal;

/** The principal of the internal token. */
export const SYSTEM_PRINCIPAL: SystemPrincipal = Object.freeze({
  id: "warden:system",
  role: "system",
  projects: "*",
  sessions: "*",
});

/** Looks tokens up in constant time per comparison; tokens are held only as hashes. */
export class TokenTable {
  readonly #entries: { hash: Buffer; principal: Principal }[];

  constructor(tokens: Readonly<Record<string, PrincipalInput>>, internalToken?: string) {
    this.#entries = Object.entries(tokens).map(([token, principal]) => ({
      hash: hashToken(token),
      principal: Object.freeze(PrincipalSchema.parse(principal)),
    }));
    if (internalToken !== undefined)
      this.#entries.push({ hash: hashToken(internalToken), principal: SYSTEM_PRINCIPAL });
  }

  /** The principal of a token, or undefined. */
  lookup(token: string): Principal | undefined {
    const hash = hashToken(token);
    let found: Principal | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.hash, hash)) found = entry.principal;
    }
    return found;
  }
}

function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** Whether a principal may reach a project's session at all. */
export function canReach(principal: Principal, projectId: string, sessionId?: string): boolean {
  const project = principal.projects === "*" || principal.projects.includes(projectId);
  if (!project) return false;
  if (sessionId === undefined) return true;
  return principal.sessions === "*" || principal.sessions.includes(sessionId);
}

/** Fails with `forbidden` unless the principal's role may call the session action (access.ts). */
export function authorize(
  principal: Principal | undefined,
  action: ActionName<"permissionSession">,
): Principal {
  if (!principal) return fail("unauthorized", "a token is required");
  if (!mayCall("permissionSession", action, principal.role)) {
    fail("forbidden", `the ${principal.role} role may not call ${action}`, {
      role: principal.role,
      action,
    });
  }
  return principal;
}
