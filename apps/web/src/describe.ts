// Words for what happened to a request.
import type { Resolution } from "./inbox-api.ts";

/** Who or what decided: "alice", "the hook", "the timeout", "rule Bash(git *)". */
export function describeDecider(resolution: Resolution): string {
  const by = resolution.decidedBy;
  switch (by.kind) {
    case "approver":
      return by.id ?? "an approver";
    case "hook":
      return "the server hook";
    case "timeout":
      return "the timeout";
    case "agent":
      return `the agent${by.id ? ` (${by.id})` : ""}`;
    case "policy":
      return by.rule ? `a ${by.rule.tier}-tier rule` : "the policy's default";
  }
}

/** "Allowed once", "Always allowed", "Rejected", "Timed out", … */
export function describeOutcome(resolution: Resolution): string {
  if (resolution.reason === "timed_out") return "Timed out (rejected)";
  if (resolution.reason === "cancelled") return "Cancelled";
  if (resolution.outcome === "deny")
    return resolution.decidedBy.kind === "policy" ? "Denied" : "Rejected";
  if (resolution.reply === "always") return "Always allowed";
  if (resolution.reply === "once") return "Allowed once";
  if (resolution.reply === undefined && resolution.decidedBy.kind === "policy") return "Allowed";
  return "Allowed";
}

/** The rules an "always" reply added, e.g. `Bash(git push *)` (project). */
export function describeRulesAdded(resolution: Resolution): string | null {
  const added = resolution.rulesAdded;
  if (!added || added.patterns.length === 0) return null;
  return `${added.patterns.join(", ")} (${added.scope})`;
}

/** Whether the input the agent runs differs from the one it asked with. */
export function inputEdited(
  original: Record<string, unknown>,
  resolution: Resolution | undefined,
): boolean {
  return resolution !== undefined && JSON.stringify(original) !== JSON.stringify(resolution.input);
}

/** "4:59", "0:03", "1:02:03". */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A local time with seconds. */
export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

/** Pretty JSON as the cards show it. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
