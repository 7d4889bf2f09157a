// Actor keys and what a connection may tell a session about itself. The engine creates an actor
// (and runs createState with the caller's creation input) before any Warden check runs, so
// nothing a creation carries is trusted: a session's cwd and home come from the connection
// parameters of an authenticated agent of that project, after onBeforeConnect.
import { z } from "zod";
import type { Principal } from "./auth.ts";
import { fail } from "./errors.ts";
import { IdSchema } from "./schema.ts";

/** A session's key: exactly `[projectId, sessionId]`. */
export const SessionKeySchema = z.tuple([IdSchema, IdSchema]);

/** A project's key: exactly `[projectId]`. */
export const ProjectKeySchema = z.tuple([IdSchema]);

/** An absolute path an agent reports (its working directory or home). */
const AbsolutePathSchema = z
  .string()
  .max(4096)
  .regex(/^\/[^\0]*$/, "must be an absolute path");

/** Connection parameters of a session: the token, and an agent's cwd and home. */
export const SessionParamsSchema = z.object({
  token: z.string().min(1).max(4096),
  cwd: AbsolutePathSchema.optional(),
  home: AbsolutePathSchema.optional(),
});

/** The ids in a session's key, or null when the key is not exactly `[projectId, sessionId]`. */
export function parseSessionKey(key: unknown): { projectId: string; sessionId: string } | null {
  const parsed = SessionKeySchema.safeParse(key);
  return parsed.success ? { projectId: parsed.data[0], sessionId: parsed.data[1] } : null;
}

/** The project id of a project key, or null when the key is not exactly `[projectId]`. */
export function parseProjectKey(key: unknown): string | null {
  const parsed = ProjectKeySchema.safeParse(key);
  return parsed.success ? parsed.data[0] : null;
}

/** Fails with `invalid_input` unless the key is a well-formed session key. */
export function requireSessionKey(key: unknown): { projectId: string; sessionId: string } {
  return (
    parseSessionKey(key) ??
    fail(
      "invalid_input",
      "a session's key is [projectId, sessionId] (letters, digits, _ . : @ / -)",
    )
  );
}

/** Fails with `invalid_input` unless the key is a well-formed project key. */
export function requireProjectKey(key: unknown): string {
  return (
    parseProjectKey(key) ??
    fail("invalid_input", "a project's key is [projectId] (letters, digits, _ . : @ / -)")
  );
}

/** Where a session runs, as path rules need it. */
export interface SessionPlace {
  cwd: string | null;
  home: string | null;
}

/**
 * Fills in a session's cwd and home from an agent's connection parameters: only an agent (already
 * authorised for this session) may set them, and a value once set stays. An agent that reports
 * another cwd or home than the session holds is refused (`conflict`): its calls would otherwise
 * be decided with another process's paths (a squatter's, if another agent of the project opened
 * the session id first). The answer names the field, never the session's value. An agent that
 * reports none decides with the session's.
 */
export function placeFromConnection(
  state: SessionPlace,
  principal: Principal,
  params: unknown,
): void {
  if (principal.role !== "agent") return;
  const parsed = SessionParamsSchema.safeParse(params);
  if (!parsed.success) return;
  for (const field of ["cwd", "home"] as const) {
    const reported = parsed.data[field];
    if (reported === undefined) continue;
    const held = state[field];
    if (held !== null && held !== reported) {
      fail("conflict", `this session runs with another ${field}: use a session id of your own`, {
        field,
      });
    }
  }
  // Only once every field agrees: a refused connection changes nothing.
  if (state.cwd === null && parsed.data.cwd) state.cwd = parsed.data.cwd;
  if (state.home === null && parsed.data.home) state.home = parsed.data.home;
}
