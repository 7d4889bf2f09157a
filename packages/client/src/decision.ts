import type { AgentDecision as ServerDecision } from "@warden/server";

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

/** What `requestPermission` resolves to, in the shape agent SDKs want. */
export type AgentDecision =
  | {
      readonly behavior: "allow";
      /** The input to run: the agent's own, or the one a human or the hook edited. */
      readonly input: Record<string, unknown>;
      readonly reason: AllowReason;
      readonly message: string;
    }
  | { readonly behavior: "deny"; readonly message: string; readonly reason: DenyReason };

/** Maps the server's decision onto the agent's reasons. */
export function toAgentDecision(decision: ServerDecision): AgentDecision {
  if (decision.behavior === "allow") {
    const reason: AllowReason =
      decision.reason === "hook" ? "hook" : decision.reason === "approved" ? "approved" : "rule";
    return { behavior: "allow", input: decision.input, reason, message: decision.message };
  }
  switch (decision.reason) {
    case "hook":
    case "rejected":
    case "timed_out":
    case "budget_exceeded":
    case "cancelled":
      return { behavior: "deny", message: decision.message, reason: decision.reason };
    default:
      return { behavior: "deny", message: decision.message, reason: "rule" };
  }
}
