// A permission request's record and the views of it (public request, agent outcome). Pure.
import type { Decision, EvaluationContext, RuleSuggestion } from "@warden/rules";
import type { Principal } from "./auth.ts";
import { agentDecision, type CallFields } from "./protocol.ts";
import type {
  PermissionRequest,
  RequestOutcome,
  Resolution,
  ResolutionReason,
  StoredRequest,
} from "./types.ts";

/** A stored request with its sequence number. */
export type RequestRecord = StoredRequest & { readonly seq: number };

/** What an agent asks: the validated call. */
export type CallInput = CallFields;

/** The session an evaluation happens in. */
export interface RecordScope {
  readonly projectId: string;
  readonly sessionId: string;
  readonly context: EvaluationContext;
}

/** Builds the record of a new call; `permissionId` and `seq` are given so that this stays pure. */
export function draftRecord(options: {
  readonly scope: RecordScope;
  readonly principal: Principal;
  readonly call: CallInput;
  readonly decision: Decision;
  readonly suggestions: readonly RuleSuggestion[];
  readonly seq: number;
  readonly permissionId: string;
  readonly timeoutMs: number;
  readonly now: number;
}): RequestRecord {
  const { call, decision, scope, now } = options;
  const action = call.action ?? describeCall(call.toolName, call.input);
  return {
    permissionId: options.permissionId,
    requestId: call.requestId,
    projectId: scope.projectId,
    sessionId: scope.sessionId,
    toolName: call.toolName,
    input: call.input,
    action,
    description: action,
    params: call.input,
    ...(call.details !== undefined ? { details: call.details } : {}),
    ...(call.cost !== undefined ? { cost: call.cost } : {}),
    createdAt: now,
    expiresAt: now + options.timeoutMs,
    requestedBy: options.principal.id,
    suggestions: options.suggestions,
    evaluation: {
      decision: decision.decision,
      reason: decision.reason,
      message: decision.message,
      rule: decision.rule?.pattern ?? null,
      tier: decision.tier,
    },
    status: "pending",
    seq: options.seq,
  };
}

/** A one-line description of a call when the agent gave none. */
export function describeCall(toolName: string, input: Record<string, unknown>): string {
  const first = (key: string) =>
    typeof input[key] === "string" ? (input[key] as string) : undefined;
  const command = first("command");
  if (command !== undefined) return `Run command: ${truncate(command)}`;
  const path = first("file_path") ?? first("path") ?? first("notebook_path");
  if (path !== undefined) return `${toolName}: ${truncate(path)}`;
  const url = first("url");
  if (url !== undefined) return `${toolName}: ${truncate(url)}`;
  return `Use tool ${toolName}`;
}

/** Shortens a long value for the one-line description, saying how much is left out (never silently). */
function truncate(text: string, max = 200): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters; the input holds all of it)`;
}

/** Strips the bookkeeping fields of a record. */
export function publicRequest(record: RequestRecord): PermissionRequest {
  const { status: _status, resolution: _resolution, seq: _seq, ...request } = record;
  return request;
}

/** A record as `getRequest` shows it: its data and resolution, without bookkeeping. */
export function storedRequest(record: RequestRecord): StoredRequest {
  const { seq: _seq, ...rest } = record;
  return rest;
}

/** What `requestPermission` and `waitForDecision` return for a record. */
export function outcomeOf(record: StoredRequest): RequestOutcome {
  if (record.status === "resolved" && record.resolution) {
    return {
      status: "decided",
      permissionId: record.permissionId,
      requestId: record.requestId,
      decision: agentDecision(record.resolution),
    };
  }
  return {
    status: "pending",
    permissionId: record.permissionId,
    requestId: record.requestId,
    expiresAt: record.expiresAt,
  };
}

function reasonOf(decision: Decision): ResolutionReason {
  switch (decision.reason) {
    case "budget_exceeded":
      return "budget_exceeded";
    case "mode":
    case "protected_path":
      return "mode";
    case "default":
      return "default";
    default:
      return "rule";
  }
}

/** A resolution made by the policy alone. */
export function policyResolution(
  decision: Decision,
  input: Record<string, unknown>,
  now: number,
): Resolution {
  return {
    outcome: decision.decision === "allow" ? "allow" : "deny",
    reason: reasonOf(decision),
    message: decision.message,
    input,
    decidedBy: {
      kind: "policy",
      rule: decision.rule
        ? { pattern: decision.rule.pattern, tier: decision.rule.tier, id: decision.rule.id }
        : null,
    },
    resolvedAt: now,
  };
}

/** The resolution of a request nobody answered in time: the one place a timeout is worded. */
export function timeoutResolution(record: StoredRequest, message: string, now: number): Resolution {
  return {
    outcome: "deny",
    reason: "timed_out",
    message,
    input: record.input,
    decidedBy: { kind: "timeout" },
    resolvedAt: now,
  };
}

/** Whether a principal may see a request: agents see only their own. */
export function canSee(principal: Principal, record: Pick<StoredRequest, "requestedBy">): boolean {
  return principal.role !== "agent" || record.requestedBy === principal.id;
}
