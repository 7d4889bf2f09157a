import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { fail } from "./errors.ts";
import type { Role } from "./types.ts";

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
export type Principal = z.output<typeof PrincipalSchema>;
export type PrincipalInput = z.input<typeof PrincipalSchema>;

/** The internal principal for actor-to-actor calls and scheduled work. */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({
  id: "warden:system",
  role: "admin",
  projects: "*",
  sessions: "*",
}) as Principal;

/** Every action and the roles that may call it: the single source of truth for authorisation. */
export const ACTION_ROLES = {
  requestPermission: ["agent", "admin"],
  cancelRequest: ["agent", "admin"],
  getDecision: ["agent", "approver", "admin"],
  getRequest: ["agent", "approver", "admin"],
  listPending: ["agent", "approver", "admin"],
  getHistory: ["approver", "admin"],
  respondPermission: ["approver", "admin"],
  listRules: ["agent", "approver", "admin"],
  getPolicy: ["agent", "approver", "admin"],
  addRule: ["admin"],
  removeRule: ["admin"],
  setMode: ["admin"],
  getUsage: ["agent", "approver", "admin"],
} as const satisfies Record<string, readonly Role[]>;
export type SessionAction = keyof typeof ACTION_ROLES;

/** Looks tokens up in constant time per comparison; tokens are held only as hashes. */
export class TokenTable {
  readonly #entries: { hash: Buffer; principal: Principal }[];

  constructor(tokens: Readonly<Record<string, PrincipalInput>>) {
    this.#entries = Object.entries(tokens).map(([token, principal]) => ({
      hash: hashToken(token),
      principal: Object.freeze(PrincipalSchema.parse(principal)),
    }));
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

/** Fails with `forbidden` unless the principal's role may call the action. */
export function authorize(principal: Principal | undefined, action: SessionAction): Principal {
  if (!principal) return fail("unauthorized", "a token is required");
  const roles: readonly Role[] = ACTION_ROLES[action];
  if (!roles.includes(principal.role)) {
    fail("forbidden", `the ${principal.role} role may not call ${action}`, {
      role: principal.role,
      action,
    });
  }
  return principal;
}
