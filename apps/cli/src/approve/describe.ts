// The terminal's notes about requests, in the shared words of @warden/client: every
// agent-controlled string revealed (a terminal obeys escape sequences), who decided named.
import {
  describeResolution,
  describeRulesAdded,
  escapedJson,
  type PermissionRequest,
  revealName,
  revealText,
} from "@warden/client";
import type { Resolution } from "./inbox.ts";

/**
 * The note shown when a request leaves the list: `alpha Bash: Rejected by bob (answered
 * elsewhere) — "no".`, `alpha Bash: Always allowed by you — rule Bash(make *) (project).`,
 * `alpha Bash: Timed out: nobody answered in time (rejected).`
 */
export function resolutionNote(
  request: PermissionRequest,
  resolution: Resolution,
  byMe: boolean,
): string {
  const what = `${revealText(request.sessionId)} ${revealName(request.toolName)}`;
  const story = describeResolution(resolution, byMe ? { me: resolution.decidedBy.id ?? "" } : {});
  const elsewhere =
    !byMe && resolution.decidedBy.kind === "approver" ? " (answered elsewhere)" : "";
  // A person's or the hook's message to the agent; the server's own words for other outcomes are not repeated.
  const said =
    resolution.outcome === "deny" &&
    resolution.message &&
    (resolution.decidedBy.kind === "approver" || resolution.decidedBy.kind === "hook");
  const message = said ? ` — "${revealText(resolution.message)}"` : "";
  const rules = describeRulesAdded(resolution);
  const added = rules ? ` — rule ${rules}` : "";
  return `${what}: ${story.replace(/\.$/, "")}${elsewhere}${message}${added}.`;
}

/** JSON for people and editors: two-space indented, every hidden character as a \uXXXX escape. */
export function prettyJson(value: unknown): string {
  return escapedJson(value, 2);
}
