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

/**
 * Whether RivetKit's error says that the actor a call addressed by id is not there (destroyed, or
 * never was): a caller that learned the id then forgets it and addresses the actor by key.
 */
export function isActorGone(error: unknown): boolean {
  const { group, code } = (error ?? {}) as { group?: unknown; code?: unknown };
  return (
    group === "actor" &&
    typeof code === "string" &&
    (code === "not_found" || code.startsWith("destroyed_"))
  );
}

/** Identifiers (actor keys, request, permission, rule and reply ids): 1–200 of these characters. */
export const ID_PATTERN = /^[\w.:@/-]+$/;
export const MAX_ID_LENGTH = 200;

/** Characters of JSON an input may take (its `JSON.stringify` length). */
export const MAX_INPUT_BYTES = 64 * 1024;

/** The transport limit for one message: above the input limit, so inputs get the typed error. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** Levels of nesting an input may have; deeper ones are refused before anything walks them. */
export const MAX_INPUT_DEPTH = 32;

/** Whether a value nests deeper than `limit` arrays or objects; iterative, and stops at the limit. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== "object") continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Keys no object a client sends may have, anywhere: `__proto__` sets a prototype where it is
 * assigned, and the transport does not carry it as sent (cbor-x renames it `__proto_`, zod's
 * records drop it), so the input decided and run would differ from the one the agent sent.
 * `__proto_` is in the set because after cbor-x the server cannot tell it from a renamed
 * `__proto__`; `constructor` and `prototype` are the rest of the prototype-pollution path.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "__proto_",
  "constructor",
  "prototype",
]);

/**
 * The first reserved key (`RESERVED_KEYS`) that an object anywhere in `value` has as its own, or
 * `undefined`. Each object is visited once, so a cycle ends the walk rather than looping.
 */
export function reservedKeyIn(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object" || seen.has(node)) continue;
    seen.add(node);
    for (const key of Object.keys(node)) {
      if (RESERVED_KEYS.has(key)) return key;
      stack.push((node as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}

/** Limits of a call's fields (characters; the cost in USD). */
export const CALL_LIMITS = { toolName: 256, action: 2000, details: 10_000, cost: 1e6 } as const;

/** A call's fields, as an agent sends them. */
export interface CallFields {
  readonly requestId: string;
  readonly toolName: string;
  readonly input: Record<string, unknown>;
  readonly action?: string | undefined;
  readonly details?: string | undefined;
  readonly cost?: number | undefined;
}

/**
 * Names an id may not take: the server keeps records by id, and these are `Object.prototype`'s.
 * A set, not `id in Object.prototype`: `in` interns every new id V8 sees, ~2 µs per fresh uuid.
 */
const RESERVED_IDS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Whether an id is one of the reserved names (`__proto__`, `constructor`, `toString`, …). */
export function isReservedId(id: string): boolean {
  return RESERVED_IDS.has(id);
}

/**
 * Whether the server will accept a call's fields other than its input (the checks of its schema,
 * without zod; the input's size and depth are the caller's to check against `MAX_INPUT_BYTES` and
 * `MAX_INPUT_DEPTH`). The SDK decides locally only calls that pass both.
 */
export function fitsCallFields(call: Omit<CallFields, "input">): boolean {
  const { requestId, toolName, action, details, cost } = call;
  return (
    requestId.length <= MAX_ID_LENGTH &&
    ID_PATTERN.test(requestId) &&
    !isReservedId(requestId) &&
    toolName.length >= 1 &&
    toolName.length <= CALL_LIMITS.toolName &&
    (action === undefined || action.length <= CALL_LIMITS.action) &&
    (details === undefined || details.length <= CALL_LIMITS.details) &&
    (cost === undefined || (cost >= 0 && cost <= CALL_LIMITS.cost))
  );
}

/** Local decisions one `recordLocalDecisions` call may carry. */
export const MAX_LOCAL_BATCH = 500;

/** Characters of JSON the SDK puts in one batch of local decisions: half the transport's limit. */
export const MAX_LOCAL_BATCH_CHARS = MAX_MESSAGE_BYTES / 2;

/** A local decision the session's current rules do not make; the SDK refetches its policy. */
export interface LocalMismatch {
  readonly requestId: string;
  readonly local: "allow" | "deny";
  /** What the server decides for the call now; `"ask"`: it would have asked a human. */
  readonly server: AgentDecision | "ask";
}

/** The answer to `recordLocalDecisions`. */
export interface LocalDecisionsRecorded {
  /** Entries written to the audit log by this call. */
  readonly recorded: number;
  /** Request ids already known with the same call (a resent batch): not counted again. */
  readonly duplicates: readonly string[];
  /** Request ids already used for another call or by another caller: not recorded. */
  readonly conflicts: readonly string[];
  readonly mismatches: readonly LocalMismatch[];
  /** The version of the policy the server decided with. */
  readonly policyVersion: string;
}

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

/**
 * What a reply to a request that is already settled gets: the original answer (`resend`) when it
 * is the resend of the reply that settled it (same reply id, same approver), otherwise
 * `already_resolved`, even when the same approver decided (a second click in another tab is not a
 * resend). One source for the session, which answers a late reply, and the SDK's inbox, which
 * answers one it heard was too late before sending it. `isCaller` says whether the decider is the
 * replying approver; `undefined` (the SDK does not know its own principal yet) means the answer
 * cannot be told here (null).
 */
export function lateReplyAnswer(
  permissionId: string,
  resolution: Resolution | undefined,
  reply: {
    readonly replyId: string | undefined;
    readonly isCaller: (decider: Resolution["decidedBy"]) => boolean | undefined;
  },
): LateReplyAnswer | null {
  const decider = resolution?.decidedBy;
  const caller = decider === undefined ? false : reply.isCaller(decider);
  if (caller === undefined) return null;
  if (resolution?.replyId !== undefined && resolution.replyId === reply.replyId && caller)
    return { kind: "resend" };
  const byYou = decider?.kind === "approver" && caller;
  return {
    kind: "already_resolved",
    message: byYou
      ? `request ${permissionId} was already answered by you (another tab or window)`
      : `request ${permissionId} was already resolved`,
    metadata: { resolution: resolution ?? null, byYou },
  };
}

/** See `lateReplyAnswer`. */
export type LateReplyAnswer =
  | { readonly kind: "resend" }
  | {
      readonly kind: "already_resolved";
      readonly message: string;
      readonly metadata: { readonly resolution: Resolution | null; readonly byYou: boolean };
    };
