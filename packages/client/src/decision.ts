// The agent's decision and its reasons are defined once, in the protocol shared with the server.
import type { AgentDecision } from "@warden/server/protocol";
import { WardenError } from "./errors.ts";

export type { AgentDecision, AllowReason, DenyReason } from "@warden/server/protocol";

const ALLOW_REASONS = new Set(["rule", "hook", "approved"]);
const DENY_REASONS = new Set([
  "rule",
  "hook",
  "rejected",
  "timed_out",
  "budget_exceeded",
  "cancelled",
]);

const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value));

/**
 * The decision in an answer of the server, checked before anything acts on it: an allow carries
 * the input to run (a plain object), a deny its message. Anything else (another server version,
 * a proxy, a bug) is no permission: it throws `invalid_answer`, which every adapter turns into a
 * denial, rather than letting a caller that tests `behavior === "deny"` run the call.
 */
export function checkedDecision(value: unknown): AgentDecision {
  const decision = value as Partial<Record<string, unknown>> | null | undefined;
  if (
    decision?.behavior === "allow" &&
    isPlainRecord(decision.input) &&
    typeof decision.message === "string" &&
    ALLOW_REASONS.has(decision.reason as string)
  )
    return decision as AgentDecision;
  if (
    decision?.behavior === "deny" &&
    typeof decision.message === "string" &&
    DENY_REASONS.has(decision.reason as string)
  )
    return decision as AgentDecision;
  throw new WardenError(
    "invalid_answer",
    "The server's answer is not a decision; nothing may run.",
  );
}
