import type { PermissionRequest } from "@warden/client";
import type { Resolution } from "./inbox.ts";

/** Who settled a request, in words: "alice", "the hook ci-guard", "the timeout". */
export function describeDecider(resolution: Resolution): string {
  const { kind, id } = resolution.decidedBy;
  switch (kind) {
    case "approver":
      return id ?? "an approver";
    case "hook":
      return id ? `the hook ${id}` : "the hook";
    case "agent":
      return id ? `the agent ${id}` : "the agent";
    case "timeout":
      return "the timeout";
    default:
      return "the policy";
  }
}

/** What was decided: "allowed once", "always allowed (Bash(npm test), session)", "rejected: too risky". */
export function describeOutcome(resolution: Resolution): string {
  if (resolution.reason === "timed_out") return "timed out (rejected)";
  if (resolution.reason === "cancelled") return "cancelled";
  if (resolution.outcome === "deny") {
    return resolution.message ? `rejected: ${resolution.message}` : "rejected";
  }
  if (resolution.reply === "always" && resolution.rulesAdded) {
    const { patterns, scope } = resolution.rulesAdded;
    return `always allowed (${patterns.join(", ")}, ${scope})`;
  }
  return resolution.reply === "once" ? "allowed once" : "allowed";
}

/** The note shown when a request leaves the list. */
export function resolutionNote(
  request: PermissionRequest,
  resolution: Resolution,
  byMe: boolean,
): string {
  const what = `${request.sessionId} ${request.toolName}`;
  if (byMe) return `${what}: ${describeOutcome(resolution)}.`;
  return `${what}: ${describeOutcome(resolution)} by ${describeDecider(resolution)} (answered elsewhere).`;
}

/** Time left as m:ss, never negative. */
export function formatCountdown(msLeft: number): string {
  const seconds = Math.max(0, Math.ceil(msLeft / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

/** JSON for people: two-space indented. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
