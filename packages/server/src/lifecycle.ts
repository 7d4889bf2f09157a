// The permission request's life cycle, pure: (state, input, now) → { state, effects }. A request
// is drafted, then either settled by the policy at once or opened for the hook and humans; an
// open request is settled by exactly one of reply, expiry or cancellation, through `settle`, the
// one compare-and-set. The actor applies the effects (save, broadcast, schedule, log, …).
import { type CompiledPolicy, evaluate, suggestRules } from "@warden/rules";
import type { Principal } from "./auth.ts";
import { fail } from "./errors.ts";
import type { InboxChange } from "./inbox.ts";
import { lateReplyAnswer } from "./protocol.ts";
import { type PolicyEnv, type Reply, resolveReply } from "./reply-resolution.ts";
import {
  type CallInput,
  draftRecord,
  policyResolution,
  publicRequest,
  type RequestRecord,
  timeoutResolution,
} from "./request-record.ts";
import {
  decisionContext,
  findByPermissionId,
  findByRequestId,
  pendingRequests,
  pickRequest,
  type SessionState,
} from "./session-state.ts";
import type {
  PermissionRequestEvent,
  PermissionResolvedEvent,
  Resolution,
  SessionRule,
  StoredRequest,
} from "./types.ts";

/** Work for the actor, as data. */
export type Effect =
  /** Persist the state before anything below is visible to anyone. */
  | { readonly type: "save" }
  | {
      readonly type: "broadcast";
      readonly event: "permissionRequest";
      readonly payload: PermissionRequestEvent;
    }
  | {
      readonly type: "broadcast";
      readonly event: "permissionResolved";
      readonly payload: PermissionResolvedEvent;
    }
  /** The rules or mode changed: tell subscribers (the payload needs the compiled policy). */
  | { readonly type: "announceRules" }
  /**
   * Make sure the session's expiry alarm fires by `at`. One alarm serves every pending request:
   * when it fires, what is due expires and the alarm is armed again for the earliest left.
   */
  | { readonly type: "schedule"; readonly at: number }
  /** Answer the agents waiting for this request. */
  | { readonly type: "wake"; readonly record: RequestRecord }
  | { readonly type: "log" }
  /**
   * Append the resolved records to the audit log before answering. A rule-settled decision is
   * durable through its log row alone: no state save per call (the counters it moved are saved
   * on RivetKit's interval and recovered from the log after a crash, see `recoverFromLog`).
   */
  | { readonly type: "audit" }
  | { readonly type: "notifyInbox"; readonly change: InboxChange }
  /** Deliver `projectRuleOutbox` to the project actor (retried until it confirms). */
  | { readonly type: "addProjectRules" };

export interface Transition {
  readonly state: SessionState;
  readonly effects: readonly Effect[];
}

/** A transition that also produced a record. */
export interface RecordTransition extends Transition {
  readonly record: RequestRecord;
}

/** How much earlier than its time an alarm may fire and still expire what it was armed for. */
export const TIMER_SLACK_MS = 1_000;

/**
 * Evaluates a new call. A rule-settled call is stored resolved (`settled`); an ask comes back
 * as a draft for the hook or humans (`ask`, see `open` and `answer`). Either way the call counts
 * as a turn and takes a sequence number now.
 */
export function decide(
  state: SessionState,
  input: {
    readonly principal: Principal;
    readonly call: CallInput;
    readonly policy: CompiledPolicy;
    readonly permissionId: string;
    readonly now: number;
  },
): { readonly kind: "settled" | "ask" } & RecordTransition {
  const { call, policy, now } = input;
  if (findByRequestId(state, input.principal.id, call.requestId))
    throw new Error(`request id ${call.requestId} of this caller is already in state`);
  const context = decisionContext(state);
  const decision = evaluate(
    policy,
    {
      toolName: call.toolName,
      input: call.input,
      ...(call.cost !== undefined ? { cost: call.cost } : {}),
    },
    context,
  );
  const seq = state.seq + 1;
  const next: SessionState = {
    ...state,
    seq,
    usage: { ...state.usage, turns: state.usage.turns + 1 },
  };
  const draft = draftRecord({
    scope: { projectId: state.projectId, sessionId: state.sessionId, context },
    principal: input.principal,
    call,
    decision,
    suggestions:
      decision.decision === "ask"
        ? suggestRules({ toolName: call.toolName, input: call.input }, context, policy)
        : [],
    seq,
    permissionId: input.permissionId,
    timeoutMs: policy.settings.askTimeoutSeconds * 1000,
    now,
  });
  if (decision.decision === "ask") return { kind: "ask", state: next, effects: [], record: draft };
  const record: RequestRecord = {
    ...draft,
    status: "resolved",
    resolution: policyResolution(decision, call.input, now),
  };
  return {
    kind: "settled",
    state: withUsage({ ...next, requests: [...next.requests, record] }, record),
    effects: [{ type: "audit" }],
    record,
  };
}

/** Opens an ask for humans: stored, announced, put in the inbox, and its expiry alarm armed. */
export function open(state: SessionState, draft: RequestRecord): RecordTransition {
  const request = publicRequest(draft);
  return {
    state: { ...state, requests: [...state.requests, draft] },
    effects: [
      { type: "save" },
      {
        type: "broadcast",
        event: "permissionRequest",
        payload: { sessionId: draft.sessionId, request },
      },
      {
        type: "notifyInbox",
        change: {
          kind: "pending",
          sessionId: draft.sessionId,
          permissionId: draft.permissionId,
          request,
        },
      },
      { type: "schedule", at: draft.expiresAt },
    ],
    record: draft,
  };
}

/**
 * The hook's answer to a draft: stored and settled in one step (throws when it cannot apply).
 * Subscribers hear the resolution; the project inbox, which never listed the request, does not.
 */
export function answerDraft(
  state: SessionState,
  draft: RequestRecord,
  reply: Reply,
  env: PolicyEnv,
  newRuleId: () => string,
  now: number,
): RecordTransition {
  const answered = answer(
    { ...state, requests: [...state.requests, draft] },
    draft.permissionId,
    reply,
    env,
    newRuleId,
    now,
  );
  if (!answered.accepted) throw new Error("a fresh draft cannot be past its deadline");
  // The inbox never listed it: nothing to take out of it.
  return { ...answered, effects: answered.effects.filter((e) => e.type !== "notifyInbox") };
}

/**
 * A reply to an open request. Past its deadline the request times out instead (fail closed). When
 * the reply does not settle the request (`accepted: false`), the actor applies the transition and
 * answers the caller with `lateReply`.
 */
export function answer(
  state: SessionState,
  permissionId: string,
  reply: Reply,
  env: PolicyEnv,
  newRuleId: () => string,
  now: number,
): RecordTransition & { readonly accepted: boolean } {
  const record = findByPermissionId(state, permissionId);
  if (!record) return fail("not_found", `no request ${permissionId}`);
  if (record.status === "pending" && record.expiresAt <= now) {
    const message = env.compiled.settings.askTimeoutMessage;
    return {
      ...settle(state, permissionId, timeoutResolution(record, message, now)),
      accepted: false,
    };
  }
  if (record.status !== "pending") return { state, effects: [], record, accepted: false };
  const { resolution, rules } = resolveReply(
    {
      projectId: state.projectId,
      projectRules: state.projectRules,
      rules: state.rules,
      mode: state.mode,
    },
    env,
    record,
    reply,
    newRuleId,
    now,
  );
  return { ...settle(state, permissionId, resolution, rules), accepted: true };
}

/** What a reply to a settled request gets (see `lateReplyAnswer`, shared with the SDK's inbox). */
export function lateReply(
  record: StoredRequest,
  reply: Pick<Reply, "options" | "decider">,
): RequestRecord {
  const answer = lateReplyAnswer(record.permissionId, record.resolution, {
    replyId: reply.options.replyId,
    isCaller: (decider) => decider.kind === reply.decider.kind && decider.id === reply.decider.id,
  });
  if (answer?.kind === "resend") return record as RequestRecord;
  // The session knows the replying approver: the answer is never undetermined here.
  return fail("already_resolved", answer!.message, { ...answer!.metadata });
}

/**
 * The session's alarm fired: every pending request due by `dueBy` times out, and the alarm is
 * armed again for the earliest one left. `dueBy` is `now`, or the time the alarm was armed for
 * when it fires a little early (see `alarmDueBy`): a request due later is never expired early
 * by another's alarm.
 */
export function expireDue(
  state: SessionState,
  message: string,
  now: number,
  dueBy = now,
): Transition {
  let next = state;
  const effects: Effect[] = [];
  for (const record of pendingRequests(state)) {
    if (record.expiresAt > dueBy) continue;
    const expired = settle(next, record.permissionId, timeoutResolution(record, message, now));
    next = expired.state;
    effects.push(...expired.effects);
  }
  const earliest = nextExpiry(next);
  if (earliest !== undefined) effects.push({ type: "schedule", at: earliest });
  return { state: next, effects: dedupe(effects) };
}

/**
 * What an alarm armed for `alarmAt` that fires at `now` may expire: up to its own time when it
 * fires early, by at most `TIMER_SLACK_MS`. An alarm without a time (armed by an earlier version
 * with a permission id) expires what is due now.
 */
export function alarmDueBy(alarmAt: unknown, now: number): number {
  if (typeof alarmAt !== "number" || !Number.isFinite(alarmAt)) return now;
  return Math.min(Math.max(now, alarmAt), now + TIMER_SLACK_MS);
}

/** When the earliest pending request expires, if any is pending. */
export function nextExpiry(state: SessionState): number | undefined {
  const pending = pendingRequests(state);
  return pending.length === 0 ? undefined : Math.min(...pending.map((r) => r.expiresAt));
}

/** The agent withdrew its request. */
export function cancel(
  state: SessionState,
  principal: Principal,
  requestId: string,
  now: number,
): RecordTransition {
  const record = pickRequest([state.requests], principal, requestId)?.record;
  if (!record) return fail("not_found", `no request with requestId ${requestId}`);
  if (record.status !== "pending") {
    return fail("already_resolved", `request ${requestId} was already resolved`, {
      resolution: record.resolution ?? null,
    });
  }
  return settle(state, record.permissionId, {
    outcome: "deny",
    reason: "cancelled",
    message: "The agent cancelled the request.",
    input: record.input,
    decidedBy: { kind: "agent", id: principal.id },
    resolvedAt: now,
  });
}

/**
 * After a wake: times out what fell due while the actor was down and arms the alarm for the rest
 * (alarms armed before the wake are not counted on: the wake arms its own); the log gets whatever
 * it misses; project rules not yet delivered are sent again.
 */
export function sweep(state: SessionState, message: string, now: number): Transition {
  const due = expireDue(state, message, now);
  const effects: Effect[] = [...due.effects, { type: "log" }];
  if (due.state.projectRuleOutbox.length > 0) effects.push({ type: "addProjectRules" });
  return { state: due.state, effects: dedupe(effects) };
}

/**
 * Pending requests whose resolution the audit log already holds (settled, then the runner died
 * before a state without them was saved) leave the state: the log answers for them. Returns the
 * same object when there are none.
 */
export function settledInLog(state: SessionState, loggedIds: ReadonlySet<string>): SessionState {
  const ids = new Set(
    pendingRequests(state)
      .map((r) => r.permissionId)
      .filter((id) => loggedIds.has(id)),
  );
  return ids.size === 0 ? state : removeLogged(state, ids);
}

/** The audit log has these records: they leave the state (retries are answered from the log). */
export function removeLogged(
  state: SessionState,
  permissionIds: ReadonlySet<string>,
): SessionState {
  const kept = state.requests.filter((r) => !permissionIds.has(r.permissionId));
  return { ...state, requests: kept, evicted: state.evicted + state.requests.length - kept.length };
}

/** The project actor confirmed these rules. */
export function projectRulesDelivered(state: SessionState, ids: ReadonlySet<string>): SessionState {
  return { ...state, projectRuleOutbox: state.projectRuleOutbox.filter((r) => !ids.has(r.id)) };
}

/**
 * The one settle path, and its compare-and-set: only a pending request settles. The resolution,
 * its rules (a project rule also goes to the outbox), and the cost of an allowed call are
 * written together; everything else follows as effects.
 */
export function settle(
  state: SessionState,
  permissionId: string,
  resolution: Resolution,
  rules: readonly SessionRule[] = [],
): RecordTransition {
  const record = findByPermissionId(state, permissionId);
  if (!record) return fail("not_found", `no request ${permissionId}`);
  if (record.status !== "pending") {
    return fail("already_resolved", `request ${permissionId} was already resolved`, {
      resolution: record.resolution ?? null,
    });
  }
  const resolved: RequestRecord = { ...record, status: "resolved", resolution };
  const toProject = resolution.rulesAdded?.scope === "project";
  let next = withUsage(replace(state, resolved), resolved);
  if (rules.length > 0) {
    next = {
      ...next,
      rules: [...next.rules, ...rules],
      revision: next.revision + 1,
      projectRuleOutbox: toProject ? [...next.projectRuleOutbox, ...rules] : next.projectRuleOutbox,
    };
  }
  const effects: Effect[] = [
    // One durable write: the audit row, as for a rule-settled call (the pending record left in a
    // saved state is settled from the log after a crash, see `settledInLog`). Rules learned from
    // the reply live in the state: then the state is saved first, and the row follows.
    rules.length > 0 ? { type: "save" } : { type: "audit" },
    { type: "wake", record: resolved },
    {
      type: "broadcast",
      event: "permissionResolved",
      payload: {
        sessionId: resolved.sessionId,
        permissionId,
        requestId: resolved.requestId,
        requestedBy: resolved.requestedBy,
        resolution,
      },
    },
    {
      type: "notifyInbox",
      change: {
        kind: "resolved",
        sessionId: resolved.sessionId,
        permissionId,
        requestId: resolved.requestId,
        resolution,
      },
    },
    // The session's alarm stays: when it fires it finds nothing due, or re-arms for what is left.
    { type: "log" },
    ...(rules.length > 0 ? [{ type: "announceRules" as const }] : []),
    ...(toProject && rules.length > 0 ? [{ type: "addProjectRules" as const }] : []),
  ];
  return { state: next, effects, record: resolved };
}

/** Usage after a settled call: the cost an agent reported counts only when the call is allowed. */
export function withUsage(state: SessionState, record: RequestRecord): SessionState {
  if (record.resolution?.outcome !== "allow" || !record.cost) return state;
  return { ...state, usage: { ...state.usage, costUsd: state.usage.costUsd + record.cost } };
}

function replace(state: SessionState, record: RequestRecord): SessionState {
  return {
    ...state,
    requests: state.requests.map((r) => (r.permissionId === record.permissionId ? record : r)),
  };
}

/** Keeps one of each effect that carries no data (save, log, …), in first position. */
function dedupe(effects: readonly Effect[]): Effect[] {
  const seen = new Set<string>();
  return effects.filter((effect) => {
    if (Object.keys(effect).length > 1) return true;
    if (seen.has(effect.type)) return false;
    seen.add(effect.type);
    return true;
  });
}
