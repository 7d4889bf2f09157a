// The session's durable state and the reads on it. Pure.
import type { EvaluationContext, Mode } from "@warden/rules";
import type { Principal } from "./auth.ts";
import { fail } from "./errors.ts";
import type { CallInput, RequestRecord } from "./request-record.ts";
import type { SessionRule, StoredRequest } from "./types.ts";

/** The durable state of one permission session. */
export interface SessionState {
  readonly projectId: string;
  readonly sessionId: string;
  readonly createdAt: number;
  readonly cwd: string | null;
  readonly home: string | null;
  readonly mode: Mode | null;
  readonly rules: SessionRule[];
  readonly projectRules: SessionRule[];
  readonly projectRulesLoaded: boolean;
  /** Bumped whenever rules, project rules or the mode change: keys the compiled-policy cache. */
  readonly revision: number;
  /** How many resolved requests left the state (they live in the audit log only). */
  readonly evicted: number;
  /** Tool calls asked for, and the cost of the calls that were allowed. */
  readonly usage: { readonly turns: number; readonly costUsd: number };
  readonly seq: number;
  /**
   * Pending requests, and resolved ones until the audit log has them, in `seq` order. An array,
   * not an object keyed by id: agent-chosen ids such as `__proto__` must never become keys.
   */
  readonly requests: RequestRecord[];
  /** Ids of the latest removed session rules, so that a resent removeRule is not an error. */
  readonly removedRuleIds?: string[];
  /** Project rules learned by an "always" reply that the project actor has not confirmed yet. */
  readonly projectRuleOutbox: SessionRule[];
}

/** The state of a new session. */
export function initialState(projectId: string, sessionId: string, now: number): SessionState {
  return {
    projectId,
    sessionId,
    createdAt: now,
    cwd: null,
    home: null,
    mode: null,
    rules: [],
    projectRules: [],
    projectRulesLoaded: false,
    revision: 0,
    evicted: 0,
    usage: { turns: 0, costUsd: 0 },
    seq: 0,
    requests: [],
    removedRuleIds: [],
    projectRuleOutbox: [],
  };
}

export const findByPermissionId = (state: SessionState, permissionId: string) =>
  state.requests.find((r) => r.permissionId === permissionId);

/**
 * Request ids are the requester's (providers' tool-use ids such as `call_0`): a request is named
 * by who asked and its id, so two agents of a session using the same id have two requests, and
 * neither can learn of the other's through it (docs/architecture.md, seventh attack pass).
 */
export type RequestName = Pick<StoredRequest, "requestedBy" | "requestId">;

/** One string per (requester, request id): the key of in-memory maps of requests. */
export const requestKey = (requestedBy: string, requestId: string): string =>
  JSON.stringify([requestedBy, requestId]);

/** The requester's own request under this id, among `records`. */
export function findOwnRequest<T extends RequestName>(
  records: Iterable<T>,
  requestedBy: string,
  requestId: string,
): T | undefined {
  for (const record of records)
    if (record.requestId === requestId && record.requestedBy === requestedBy) return record;
  return undefined;
}

/** The requester's own request under this id, in state. */
export const findByRequestId = (state: SessionState, requestedBy: string, requestId: string) =>
  findOwnRequest(state.requests, requestedBy, requestId);

/**
 * The request a principal reads by request id, and which of `sources` (in state, in the log, in
 * flight, …) holds it: its own, wherever it is, first; approvers and admins, who see every
 * request, otherwise anyone's under that id. An agent never finds another agent's.
 */
export function pickRequest<T extends RequestName>(
  sources: readonly Iterable<T>[],
  principal: Principal,
  requestId: string,
): { readonly record: T; readonly source: number } | undefined {
  for (const anyone of principal.role === "agent" ? [false] : [false, true]) {
    for (const [source, records] of sources.entries()) {
      for (const record of records) {
        if (record.requestId === requestId && (anyone || record.requestedBy === principal.id))
          return { record, source };
      }
    }
  }
  return undefined;
}

export const pendingRequests = (state: SessionState) =>
  state.requests.filter((r) => r.status === "pending");

/** The evaluation context of a session: its paths and usage. */
export function evaluationContext(state: SessionState): EvaluationContext {
  return {
    ...(state.cwd ? { cwd: state.cwd } : {}),
    ...(state.home ? { home: state.home } : {}),
    usage: { turns: state.usage.turns, costUsd: state.usage.costUsd },
  };
}

/**
 * The context a new call is decided in: the usage, plus the cost of the asks still pending, held
 * against `max_cost_usd` until they settle (an allowed one then counts in the usage, a denied,
 * timed-out or cancelled one is released).
 */
export function decisionContext(state: SessionState): EvaluationContext {
  const context = evaluationContext(state);
  const reserved = pendingRequests(state).reduce((sum, r) => sum + (r.cost ?? 0), 0);
  if (reserved === 0) return context;
  return {
    ...context,
    usage: { turns: state.usage.turns, costUsd: state.usage.costUsd + reserved },
  };
}

/**
 * Checks a call against the caller's own known request with the same `requestId` (in state, in
 * flight, or in the log): another call under the same id is a `conflict`. Other callers'
 * requests are never looked at (request ids are per requester, see `findByRequestId`).
 */
export function checkRetry(
  known: Pick<StoredRequest, "toolName" | "input">,
  call: Pick<CallInput, "requestId" | "toolName" | "input">,
): void {
  if (known.toolName !== call.toolName || !sameJson(known.input, call.input)) {
    fail("conflict", `request id ${call.requestId} was already used for another call`, {
      requestId: call.requestId,
    });
  }
}

/** Structural equality of JSON values (inputs arrive as JSON; key order does not matter). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (key) =>
      Object.hasOwn(b, key) &&
      sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/**
 * The state with the counters the audit log proves: a rule-settled decision is durable through its
 * log row alone, so after a crash the saved state may lag the log. Taking the maxima keeps sequence
 * numbers unique and never forgets a turn or a cost. Returns the same object when nothing lags.
 */
export function recoverFromLog(
  state: SessionState,
  log: {
    readonly seq: number;
    readonly turns: number;
    readonly costUsd: number;
    readonly rows: number;
  },
): SessionState {
  if (
    log.seq <= state.seq &&
    log.turns <= state.usage.turns &&
    log.costUsd <= state.usage.costUsd &&
    (log.rows === 0 || state.evicted > 0)
  )
    return state;
  return {
    ...state,
    seq: Math.max(state.seq, log.seq),
    usage: {
      turns: Math.max(state.usage.turns, log.turns),
      costUsd: Math.max(state.usage.costUsd, log.costUsd),
    },
    evicted: Math.max(state.evicted, log.rows),
  };
}

/** Fields the audit log restores after a crash (`recoverFromLog`), and the records themselves. */
const LOG_RECOVERABLE = new Set<string>(["seq", "usage", "evicted", "requests"]);

/**
 * Whether `next` differs from `saved` only in what the audit log restores after a crash: the
 * sequence number, usage and evicted count (`recoverFromLog`) and resolved records (durable
 * through their log rows, or never acknowledged). Every request pending in `next` must be pending
 * in `saved`, in the same order (a pending record never changes while pending): opening one needs
 * a save. One pending in `saved` may have settled since: every settlement writes its log row (or
 * saves) before anyone hears of it, and a wake settles from the log what the saved state still
 * holds pending (`settledInLog`). Every other field must keep the same value.
 */
export function onlyLogRecoverable(saved: SessionState, next: SessionState): boolean {
  const keys = Object.keys(next);
  if (keys.length !== Object.keys(saved).length) return false;
  for (const key of keys) {
    if (LOG_RECOVERABLE.has(key)) continue;
    if (
      !Object.hasOwn(saved, key) ||
      (next as unknown as Record<string, unknown>)[key] !==
        (saved as unknown as Record<string, unknown>)[key]
    )
      return false;
  }
  const before = pendingRequests(saved);
  let from = 0;
  for (const record of pendingRequests(next)) {
    while (from < before.length && before[from]!.permissionId !== record.permissionId) from++;
    if (from === before.length) return false;
    from++;
  }
  return true;
}

/**
 * The state as this version keeps it, from a state saved by an earlier one (requests kept in an
 * object keyed by id, a timer per request, no project-rule outbox). Returns the same object when
 * current. The timers of an earlier version still fire; they expire whatever is due.
 */
export function upgradeState(saved: SessionState): SessionState {
  const old = saved as unknown as {
    requests: RequestRecord[] | Record<string, RequestRecord>;
    timers?: Record<string, string>;
    requestIds?: unknown;
    projectRuleOutbox?: SessionRule[];
  };
  if (
    Array.isArray(old.requests) &&
    old.projectRuleOutbox &&
    !old.requests.some((r) => Object.hasOwn(r, "timerId"))
  )
    return saved;
  const requests = (Array.isArray(old.requests) ? old.requests : Object.values(old.requests))
    .map((r) => {
      const {
        logged: _logged,
        timerId: _timerId,
        ...record
      } = r as RequestRecord & { logged?: boolean; timerId?: string };
      return record;
    })
    .sort((a, b) => a.seq - b.seq);
  const { timers: _t, requestIds: _r, ...rest } = old as unknown as SessionState & typeof old;
  return { ...rest, requests, projectRuleOutbox: old.projectRuleOutbox ?? [] };
}
