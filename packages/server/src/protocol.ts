// What server and client agree on, with no runtime dependency (no rivetkit, no zod, no node:*):
// the client bundles it for browsers. Imported as `@warden/server/protocol`.
import type { Decision } from "@warden/rules";
import type { Resolution } from "./types.ts";

/** Every error code a Warden action can return; clients check `error.code`, never `instanceof`. */
export const ERROR_CODES = {
  unauthorized: "unauthorized",
  forbidden: "forbidden",
  invalid_input: "invalid_input",
  not_found: "not_found",
  wrong_session: "wrong_session",
  already_resolved: "already_resolved",
  /** A known `requestId` sent again with a different tool or input. */
  conflict: "conflict",
  too_many_pending: "too_many_pending",
  invalid_rule: "invalid_rule",
  mode_forbidden: "mode_forbidden",
  policy_unavailable: "policy_unavailable",
} as const;
export type WardenErrorCode = keyof typeof ERROR_CODES;

/** Whether a string is one of the server's error codes. */
export function isWardenErrorCode(code: string): code is WardenErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** Identifiers (actor keys, request, permission, rule and reply ids): 1–200 of these characters. */
export const ID_PATTERN = /^[\w.:@/-]+$/;
export const MAX_ID_LENGTH = 200;

/** A fresh reply id: the SDK sends one per click, so a resend is told apart from a second click. */
export function newReplyId(): string {
  return `reply_${globalThis.crypto.randomUUID()}`;
}

/** Why a call was refused: a rule (or the policy's default or mode), the hook, a human, the clock, a budget, or the agent itself. */
export type DenyReason =
  | "rule"
  | "hook"
  | "rejected"
  | "timed_out"
  | "budget_exceeded"
  | "cancelled";

/** Why a call was allowed: a rule (or the policy's default or mode), the hook, or a human. */
export type AllowReason = "rule" | "hook" | "approved";

/** What the agent is told, in the shape agent SDKs want. */
export type AgentDecision =
  | {
      readonly behavior: "allow";
      /** The input to run: the agent's own, or the one a human or the hook edited. */
      readonly input: Record<string, unknown>;
      readonly reason: AllowReason;
      readonly message: string;
    }
  | { readonly behavior: "deny"; readonly message: string; readonly reason: DenyReason };

/** The agent's decision for a resolution: the one mapping from how a request ended to what runs. */
export function agentDecision(
  resolution: Pick<Resolution, "outcome" | "reason" | "message" | "input">,
): AgentDecision {
  const { reason, message } = resolution;
  if (resolution.outcome === "allow") {
    const why: AllowReason = reason === "hook" || reason === "approved" ? reason : "rule";
    return { behavior: "allow", input: resolution.input, reason: why, message };
  }
  const why: DenyReason =
    reason === "hook" ||
    reason === "rejected" ||
    reason === "timed_out" ||
    reason === "budget_exceeded" ||
    reason === "cancelled"
      ? reason
      : "rule";
  return { behavior: "deny", message, reason: why };
}

/** The agent's decision for a policy evaluation that settled a call (not an ask). */
export function policyDecision(
  decision: Pick<Decision, "decision" | "reason" | "message">,
  input: Record<string, unknown>,
): AgentDecision {
  return agentDecision({
    outcome: decision.decision === "allow" ? "allow" : "deny",
    reason: decision.reason === "budget_exceeded" ? "budget_exceeded" : "rule",
    message: decision.message,
    input,
  });
}

export type {
  PermissionReply,
  PermissionRequest,
  PermissionRequestEvent,
  PermissionResolvedEvent,
  RequestOutcome,
  Resolution,
  ResolutionReason,
  RulesChangedEvent,
} from "./types.ts";
