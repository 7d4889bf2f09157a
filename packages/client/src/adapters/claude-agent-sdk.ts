import type { CanUseTool, PermissionMode, PermissionResult } from "@anthropic-ai/claude-agent-sdk";
import type { PermissionRequest, RulesChangedEvent } from "@warden/server";
import { toWardenError } from "../errors.ts";
import type { WardenSession } from "../session.ts";
import { suggestionsToRules } from "./claude-rules.ts";
import { editedInputProblem } from "./claude-tool-inputs.ts";
import { type Decision, toRequestId } from "./decisions.ts";

export {
  claudeRuleToPatterns,
  type MappedSuggestions,
  suggestionsToRules,
} from "./claude-rules.ts";

/** Warden's session modes. */
export type WardenMode = NonNullable<RulesChangedEvent["mode"]>;

/** The third argument the SDK passes to `canUseTool`. */
export type CanUseToolOptions = Parameters<CanUseTool>[2];

/** Options of {@link wardenCanUseTool}. */
export interface WardenCanUseToolOptions {
  /** End the agent's turn when a human rejects the call (the SDK's `interrupt`). Default: false. */
  readonly interruptOnReject?: boolean;
}

const SUGGESTED = 'Suggested "always" rules: ';
const MAX_DETAILS = 10_000;
const MAX_SUGGESTED = 4_000;

/**
 * A `canUseTool` for the Claude Agent SDK that asks Warden: rules, the server's hook and humans
 * decide, and the SDK gets `{ behavior: "allow", updatedInput }` (the input to run, edited or not)
 * or `{ behavior: "deny", message }`. An edited input of a built-in tool (Bash, Read, Write, Edit, …)
 * that the tool would misread (a field missing or of the wrong type, a field it does not have) is
 * denied rather than handed to the agent (see {@link editedInputProblem}). The tool-use id is the request id, so a retried prompt never
 * makes a second request; the SDK's signal cancels the request; the SDK's suggestions reach
 * approvers as Warden rules (see {@link suggestedRules}). Warden's own "always" rules stay in
 * Warden, so no `updatedPermissions` go back to the SDK: every later call still reaches Warden.
 * When Warden cannot be reached, the call is denied.
 * @example
 * const session = createWardenClient({ endpoint, token, project: "demo" }).session("run-42", { cwd });
 * for await (const message of query({ prompt, options: { ...wardenQueryOptions(session), cwd } })) console.log(message);
 */
export function wardenCanUseTool(
  session: WardenSession,
  options: WardenCanUseToolOptions = {},
): CanUseTool {
  return async (toolName, input, sdk): Promise<PermissionResult> => {
    let decision: Decision;
    try {
      const details = describe(sdk);
      decision = await session.requestPermission({
        toolName,
        input,
        requestId: await toRequestId(sdk.toolUseID),
        signal: sdk.signal,
        ...(sdk.title ? { action: sdk.title.slice(0, 2000) } : {}),
        ...(details ? { details } : {}),
      });
    } catch (error) {
      return {
        behavior: "deny",
        message: `Warden could not decide: ${toWardenError(error).message}`,
        toolUseID: sdk.toolUseID,
      };
    }
    if (decision.behavior === "allow") {
      // An input edited by a person or the hook must still be one the tool reads as meant.
      const problem = sameValue(decision.input, input)
        ? undefined
        : editedInputProblem(toolName, input, decision.input);
      if (problem !== undefined) {
        return {
          behavior: "deny",
          message: `Warden refused the edited input: ${problem}. The call was not run.`,
          toolUseID: sdk.toolUseID,
        };
      }
      return { behavior: "allow", updatedInput: decision.input, toolUseID: sdk.toolUseID };
    }
    return {
      behavior: "deny",
      message: decision.message,
      toolUseID: sdk.toolUseID,
      ...(options.interruptOnReject && decision.reason === "rejected" ? { interrupt: true } : {}),
    };
  };
}

/** Whether two JSON values are equal, whatever the order of their keys. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every(
    (key) =>
      Object.hasOwn(b, key) &&
      sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/** The text approvers see under the action line: the SDK's reasons, then its suggestions as Warden rules. */
function describe(sdk: CanUseToolOptions): string | undefined {
  const reasons = [
    sdk.description,
    sdk.decisionReason,
    sdk.blockedPath && `Blocked path: ${sdk.blockedPath}`,
  ];
  const { rules } = suggestionsToRules(sdk.suggestions);
  const suggested =
    rules.length > 0 && !sdk.suppressAlwaysAllowRule ? `${SUGGESTED}${JSON.stringify(rules)}` : "";
  const keep = suggested.length <= MAX_SUGGESTED ? suggested : "";
  const text = reasons
    .filter(Boolean)
    .join("\n")
    .slice(0, MAX_DETAILS - keep.length - 1);
  return [text, keep].filter(Boolean).join("\n") || undefined;
}

/**
 * The "always" rules the agent's SDK suggested for a request, as Warden patterns: pass them as
 * `rule` when answering "always". They come from the agent, so show them as its suggestion; the
 * server still validates them and a deny rule still wins.
 * @example await approver.respond(request.permissionId, "always", { rule: suggestedRules(request) });
 */
export function suggestedRules(request: Pick<PermissionRequest, "details">): string[] {
  const line = request.details?.split("\n").find((l) => l.startsWith(SUGGESTED));
  if (!line) return [];
  try {
    const rules: unknown = JSON.parse(line.slice(SUGGESTED.length));
    return Array.isArray(rules)
      ? rules.filter((r): r is string => typeof r === "string" && r.length > 0)
      : [];
  } catch {
    return [];
  }
}

/**
 * Warden's mode for an SDK permission mode (the names match); `auto` has no Warden equivalent.
 * Set it on the Warden session (an admin's `setMode`) rather than on the SDK: the SDK skips
 * `canUseTool` for what its own mode allows.
 */
export function toWardenMode(mode: PermissionMode): WardenMode | undefined {
  return mode === "auto" ? undefined : mode;
}

/**
 * Query options that route permission prompts to Warden: `canUseTool`, and the SDK's
 * `permissionMode: "default"`, the mode in which the SDK asks `canUseTool` for every call its
 * settings do not already allow (modes are Warden's to apply, see {@link toWardenMode}).
 * @example query({ prompt, options: { ...wardenQueryOptions(session), cwd: "/repo" } })
 */
export function wardenQueryOptions(
  session: WardenSession,
  options: WardenCanUseToolOptions = {},
): { canUseTool: CanUseTool; permissionMode: "default" } {
  return { canUseTool: wardenCanUseTool(session, options), permissionMode: "default" };
}
