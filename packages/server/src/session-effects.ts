// The session actor's side of the lifecycle: commits a transition to the state and applies its
// effects (save, broadcast, timers, waiters, audit log, inbox, project rules).
import type { CompiledPolicy } from "@warden/rules";
import type { ActorContext, Client, Registry } from "rivetkit";
import type { db } from "rivetkit/db";
import {
  appendToAuditLog,
  findLoggedPermission,
  hasUnindexed,
  type LoggedRequest,
  listLoggedPermissionIds,
  listLoggedRequestIds,
  listUnindexed,
  markIndexed,
  readLogCounters,
} from "./audit-log.ts";
import type { Principal } from "./auth.ts";
import type { InboxChange, InboxReport } from "./inbox.ts";
import {
  type Effect,
  projectRulesDelivered,
  removeLogged,
  settledInLog,
  type Transition,
} from "./lifecycle.ts";
import { compileOrFail, type ServerPolicy } from "./policy.ts";
import type { createProjectActor } from "./project.ts";
import { historyBatch, historyEntryOf } from "./project-history.ts";
import { type CallInput, outcomeOf, publicRequest, type RequestRecord } from "./request-record.ts";
import {
  findByPermissionId,
  onlyLogRecoverable,
  pendingRequests,
  recoverFromLog,
  requestKey,
  type SessionState,
} from "./session-state.ts";
import type { RequestOutcome, RulesChangedEvent, SessionRule } from "./types.ts";

/** How inbox changes wait to be sent to the project actor together. */
const INBOX_BATCH_MS = 100;
/** How long resolved records wait to be appended to the audit log together. */
const LOG_BATCH_MS = 50;
/**
 * Rows of rule-settled and local decisions go to the project's history once the session has logged
 * nothing new for `HISTORY_QUIET_MS`, or `HISTORY_MAX_DELAY_MS` after the first of them at the
 * latest. The delivery counts as activity and postpones the actor's sleep (30 s after its last
 * activity): sent right after an agent's last call, the history barely postpones it, and the
 * session falls asleep with nothing to report on its next wake (see `syncAfterWake`). A session
 * busy with calls sends one report per `HISTORY_MAX_DELAY_MS`, not one per call.
 */
const HISTORY_QUIET_MS = 3_000;
const HISTORY_MAX_DELAY_MS = 60_000;

/** The part of Warden's registry a session calls: the project actor. */
export type ProjectRegistry = Registry<{ wardenProject: ReturnType<typeof createProjectActor> }>;
/** RivetKit's client for it, as `c.client<ProjectRegistry>()` gives it to a session. */
export type ProjectClient = Client<ProjectRegistry>;

/** How a session reaches its project's actor. */
export interface ProjectLink {
  /** The project's learned rules, read when a session first decides. */
  loadRules(client: ProjectClient, projectId: string, sessionId: string): Promise<SessionRule[]>;
  /** Keeps "always" rules of scope project for the project's future sessions. */
  addRules(client: ProjectClient, projectId: string, rules: SessionRule[]): Promise<void>;
  /** Sends the project one report: pending list when due, inbox changes, resolved requests. */
  noteInbox(client: ProjectClient, projectId: string, report: InboxReport): Promise<void>;
}

/** What the effects need from the rest of the server. */
export interface EffectDependencies {
  readonly policy: ServerPolicy;
  readonly project: ProjectLink;
}

/** A call being decided (the hook may be running): a retry of the same id joins it. */
export interface InflightCall {
  readonly requestId: string;
  readonly requestedBy: string;
  readonly toolName: string;
  readonly input: CallInput["input"];
  readonly outcome: Promise<RequestOutcome>;
}

/** In-memory companions of the state (lost on restart, rebuilt on demand). */
export interface SessionVars {
  policy: { key: string; compiled: CompiledPolicy } | undefined;
  /** Agents waiting for a request's decision, woken with the resolved record. */
  waiters: Map<string, Set<(resolved?: RequestRecord) => void>>;
  /** Requests resolved in state whose save has not completed: not for the audit log yet. */
  settling: Set<string>;
  /** Calls being decided now, by `requestKey` (request ids are per requester). */
  inflight: Map<string, InflightCall>;
  /** Requests known to be in the audit log, by `requestKey` (all of them once `loaded`). */
  logged: { ids: Set<string>; loaded: boolean };
  logDue: boolean;
  /** The audit-log append running now, if any. */
  logging: Promise<void> | undefined;
  /** The state last assigned to `c.state` (see `commit`). */
  saved: SessionState | undefined;
  /** The state when it is ahead of `saved` only by what the audit log restores. */
  live: SessionState | undefined;
  /** The state brought up to the audit log, once per wake (see `recoverFromAuditLog`). */
  recovered: Promise<void> | undefined;
  /** The project's rules being read, if a read runs (see `ensureProjectRules`). */
  rulesRead: Promise<void> | undefined;
  /**
   * The expiry alarms this wake scheduled that have not fired, by time, each with its
   * `c.schedule.at` call. Alarms from before the wake are not counted on (the wake arms its own).
   */
  alarms: { readonly at: number; readonly armed: Promise<unknown> }[];
  /** Inbox changes waiting to be sent to the project actor together. */
  inbox: InboxChange[];
  /** Whether the inbox should be told the whole pending list (after a wake). */
  inboxSyncDue: boolean;
  /** Whether the audit log may hold entries the project's history index lacks. */
  historyDue: boolean;
  /** The pending delivery of new log rows to the project's history, and when it was first due. */
  history: { timer: ReturnType<typeof setTimeout>; since: number } | undefined;
  /** Whether the inbox delivery loop runs. */
  inboxDelivering: boolean;
  /** Whether the project-rule outbox is being delivered. */
  delivering: boolean;
  /** Set when a save failed: the state in memory may hold changes storage lacks. */
  unsaved: boolean;
  /** Saves that failed so far (a save clears `unsaved` only if none failed while it ran). */
  failedSaves: number;
}

export interface ConnState {
  principal: Principal;
}

/** The session actor's context, as RivetKit types it. */
export type SessionContext = ActorContext<
  SessionState,
  unknown,
  ConnState,
  SessionVars,
  unknown,
  ReturnType<typeof db>
>;

/** What reads and writes the session's state: any of its contexts. */
export type StateHolder = Pick<SessionContext, "state" | "vars">;

/** The compiled policy of this session, rebuilt when its inputs change. */
export function sessionPolicy(c: SessionContext, server: ServerPolicy): CompiledPolicy {
  const key = `${live(c).revision}`;
  if (c.vars.policy?.key !== key) {
    c.vars.policy = {
      key,
      compiled: compileOrFail(server, {
        projectId: live(c).projectId,
        projectRules: live(c).projectRules,
        sessionRules: live(c).rules,
        mode: live(c).mode,
      }),
    };
  }
  return c.vars.policy.compiled;
}

/**
 * The session's state as of now: `c.state`, or ahead of it by what the audit log restores after a
 * crash (see `commit`). Read it, never `c.state`.
 */
export function live(c: StateHolder): SessionState {
  return c.vars.live ?? c.vars.saved ?? c.state;
}

/**
 * Writes a transition's state; nothing may be awaited between computing it and this call. A state
 * ahead of the last one given to RivetKit only by what the audit log restores (a rule-settled
 * call's sequence number, usage and log row) stays in memory: assigning `c.state` schedules a
 * save, one more storage commit per call for a call paced slower than RivetKit's save interval.
 * Any other change is assigned whole: RivetKit unwraps the proxies of values read from `c.state`
 * on a whole assignment (a nested write would store proxies inside the state, and every later
 * save would clone them recursively, slower at each step until the actor stalls).
 */
export function commit(c: StateHolder, transition: Pick<Transition, "state">): void {
  const next = transition.state;
  if (next === live(c)) return;
  if (c.vars.saved !== undefined && onlyLogRecoverable(c.vars.saved, next)) {
    c.vars.live = next;
    return;
  }
  c.state = next;
  c.vars.saved = next;
  c.vars.live = undefined;
}

/**
 * Saves the state now. A failed save leaves the state in memory ahead of storage (the change was
 * committed first): it is remembered, so that nothing read from memory is acknowledged before a
 * later save succeeds (see `durable`).
 */
export async function saveNow(c: SessionContext): Promise<void> {
  const vars = c.vars;
  const failedBefore = vars.failedSaves;
  try {
    await c.saveState({ immediate: true });
  } catch (error) {
    vars.failedSaves += 1;
    vars.unsaved = true;
    throw error;
  }
  if (vars.failedSaves === failedBefore) vars.unsaved = false;
}

/**
 * A settlement whose log row failed is in memory only (see `commit`): it goes to RivetKit whole
 * and counts as unsaved, so that a retry that finds it saves it before acknowledging it.
 */
function keepUnlogged(c: SessionContext): void {
  const current = live(c);
  c.state = current;
  c.vars.saved = current;
  c.vars.live = undefined;
  c.vars.unsaved = true;
}

/**
 * Makes what memory holds durable before it is acknowledged. After a failed save (storage cut
 * mid-commit, e.g. by an engine failover) the actor keeps running with the change in memory; a
 * retry would otherwise find it there and acknowledge a request that a restart then loses.
 */
export async function durable(c: SessionContext): Promise<void> {
  if (c.vars.unsaved) await saveNow(c);
}

/** Commits a transition and applies its effects. */
export async function run(
  c: SessionContext,
  deps: EffectDependencies,
  transition: Transition,
): Promise<void> {
  commit(c, transition);
  await applyEffects(c, deps, transition.effects);
}

/** Applies a committed transition's effects: the save (or the audit row) first, timers last. */
export async function applyEffects(
  c: SessionContext,
  deps: EffectDependencies,
  effects: Transition["effects"],
): Promise<void> {
  // Fails the call when the row cannot be written: an answer that is not durable is not given.
  if (effects.some((e) => e.type === "audit")) {
    try {
      await appendSerialized(c);
    } catch (error) {
      keepUnlogged(c);
      throw error;
    }
    historyInBackground(c, deps);
  }
  if (effects.some((e) => e.type === "save")) {
    const settling = effects.flatMap((e) => (e.type === "wake" ? [e.record.permissionId] : []));
    for (const id of settling) c.vars.settling.add(id);
    try {
      await saveNow(c);
    } finally {
      for (const id of settling) c.vars.settling.delete(id);
    }
  }
  for (const effect of effects) applyNow(c, deps, effect);
  for (const effect of effects) {
    if (effect.type === "schedule") await armAlarm(c, effect.at);
  }
}

function applyNow(c: SessionContext, deps: EffectDependencies, effect: Effect): void {
  switch (effect.type) {
    case "broadcast":
      c.broadcast(effect.event, effect.payload);
      return;
    case "announceRules":
      announceRules(c, deps);
      return;
    case "wake":
      wake(c, effect.record);
      return;
    case "log":
      logInBackground(c, deps);
      return;
    case "notifyInbox":
      notifyInbox(c, deps, effect.change);
      return;
    case "addProjectRules":
      deliverProjectRules(c, deps);
      return;
    case "save":
    case "audit":
    case "schedule":
      return;
  }
}

/**
 * Makes sure an expiry alarm fires by `at`: an alarm of this wake due at or before it serves (one
 * storage write per session instead of one per ask and its cancel). Resolves once that alarm is
 * durable; when its scheduling failed, arms one of its own (or throws).
 */
async function armAlarm(c: SessionContext, at: number): Promise<void> {
  const covering = c.vars.alarms.find((alarm) => alarm.at <= at);
  if (covering) {
    try {
      await covering.armed;
      return;
    } catch {
      return armAlarm(c, at);
    }
  }
  // The alarm carries its own time: fired a little early, it still expires what it was armed for.
  const alarm = { at, armed: c.schedule.at(at, "expirePermission", at) };
  c.vars.alarms.push(alarm);
  try {
    await alarm.armed;
  } catch (error) {
    c.vars.alarms = c.vars.alarms.filter((other) => other !== alarm);
    throw error;
  }
}

/**
 * An alarm fired, expiring what was due by `dueBy`: the alarms due by then count as fired; what is
 * left pending is due later than all of them.
 */
export function alarmsFired(c: SessionContext, dueBy: number): void {
  c.vars.alarms = c.vars.alarms.filter((alarm) => alarm.at > dueBy);
}

/** Tells subscribers the session's rules or mode changed. */
export function announceRules(c: SessionContext, deps: EffectDependencies): void {
  const payload: RulesChangedEvent = {
    sessionId: live(c).sessionId,
    rules: live(c).rules,
    mode: live(c).mode,
    version: sessionPolicy(c, deps.policy).version,
  };
  c.broadcast("rulesChanged", payload);
}

function wake(c: SessionContext, record: RequestRecord) {
  const waiters = c.vars.waiters.get(record.permissionId);
  if (!waiters) return;
  c.vars.waiters.delete(record.permissionId);
  for (const done of waiters) done(record);
}

/** A request in state or, once it left the state, in the audit log. */
export async function findRecord(
  c: SessionContext,
  permissionId: string,
): Promise<RequestRecord | LoggedRequest | undefined> {
  return (
    findByPermissionId(live(c), permissionId) ?? (await findLoggedPermission(c.db, permissionId))
  );
}

/**
 * Waits up to `waitMs` for a request to settle. Registers at once (before any await), and reads
 * the log when the record has left the state: a decided request is never `not_found`.
 */
export async function waitForResolution(
  c: SessionContext,
  record: RequestRecord,
  waitMs: number,
): Promise<RequestOutcome> {
  const current = findByPermissionId(live(c), record.permissionId);
  if (current?.status === "pending" && waitMs > 0) {
    const resolved = await new Promise<RequestRecord | undefined>((resolve) => {
      const set = c.vars.waiters.get(record.permissionId) ?? new Set();
      c.vars.waiters.set(record.permissionId, set);
      const timer = setTimeout(done, waitMs);
      set.add(done);
      function done(settled?: RequestRecord) {
        clearTimeout(timer);
        set.delete(done);
        resolve(settled);
      }
    });
    if (resolved) return outcomeOf(resolved);
  }
  return outcomeOf((await findRecord(c, record.permissionId)) ?? record);
}

/** Tries of one report (about 80 s with the backoff: longer than an engine failover). */
const INBOX_ATTEMPTS = 20;
/** Audit entries read for one report (then cut to `MAX_HISTORY_BATCH_BYTES`). */
const HISTORY_ROWS = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const inboxBackoff = (attempt: number) => Math.min(250 * 2 ** attempt, 5_000);

/**
 * Queues a change for the project's inbox. Changes go to the project actor together,
 * `INBOX_BATCH_MS` after the first, so that the call does not compete with the fan-out to the
 * session's own subscribers.
 */
function notifyInbox(c: SessionContext, deps: EffectDependencies, change: InboxChange) {
  c.vars.inbox.push(change);
  deliverInbox(c, deps);
}

/**
 * Tells the inbox every request this session holds pending and the project's history what the
 * audit log holds for it (after a wake). It goes through the same ordered delivery as changes,
 * and the list is read when it is sent: a list read earlier and sent after a newer change would
 * remove that change's request from the inbox.
 */
function syncInbox(c: SessionContext, deps: EffectDependencies): void {
  c.vars.inboxSyncDue = true;
  c.vars.historyDue = true;
  deliverInbox(c, deps);
}

/**
 * After a wake, tells the project what it may have missed while this session was down: the
 * pending list and the log rows its history lacks. A session with neither has nothing to tell and
 * does not call the project (a mass wake-up of idle sessions would otherwise all report to the one
 * project actor at once). After a crash nothing is missed: what was pending is in the saved
 * state, what was logged and not indexed is marked so in the log, and an inbox entry whose
 * settlement report was lost with the crash is corrected by the project's reconciliation.
 */
export async function syncAfterWake(c: SessionContext, deps: EffectDependencies): Promise<void> {
  // A session that never held a request has nothing to tell (and leaves no trace there).
  if (live(c).seq === 0) return;
  // A log that cannot be read is assumed to hold something: the sync is resent, never skipped.
  const missed =
    pendingRequests(live(c)).length > 0 || (await hasUnindexed(c.db).catch(() => true));
  if (missed) syncInbox(c, deps);
}

/**
 * Sends new log rows to the project's history when the session goes quiet (see
 * `HISTORY_QUIET_MS`). A plain timer, not `waitUntil` (a pending `waitUntil` holds off the
 * actor's sleep); if the actor stopped first, the rows stay marked unindexed and its next wake
 * sends them.
 */
function historyInBackground(c: SessionContext, deps: EffectDependencies): void {
  const vars = c.vars;
  const now = Date.now();
  const since = vars.history?.since ?? now;
  if (vars.history) clearTimeout(vars.history.timer);
  const timer = setTimeout(
    () => {
      vars.history = undefined;
      // Once the actor has stopped, its context no longer holds these vars.
      if (c.vars !== vars) return;
      vars.historyDue = true;
      deliverInbox(c, deps);
    },
    Math.max(0, Math.min(HISTORY_QUIET_MS, since + HISTORY_MAX_DELAY_MS - now)),
  );
  timer.unref();
  vars.history = { timer, since };
}

/**
 * One delivery loop per session sends, in one call per round, everything due at send time: the
 * sync (when due), the queued changes in order, and the audit entries the project's history
 * lacks (read from the log, where they wait durably: `indexed = 0`). A failed call is retried (the
 * project actor may be restarting on another runner); the project applies a resent report
 * idempotently. After `INBOX_ATTEMPTS` the changes are dropped and logged (the next wake syncs
 * again and the project reconciles); the history entries stay in the log for the next round.
 */
function deliverInbox(c: SessionContext, deps: EffectDependencies) {
  if (c.vars.inboxDelivering) return;
  c.vars.inboxDelivering = true;
  const client = c.client<ProjectRegistry>();
  const { projectId, sessionId } = live(c);
  const queue = c.vars.inbox;
  c.waitUntil(
    (async () => {
      await sleep(INBOX_BATCH_MS);
      let attempt = 0;
      while (c.vars.inboxSyncDue || queue.length > 0 || c.vars.historyDue) {
        const syncing = c.vars.inboxSyncDue;
        const historyDue = c.vars.historyDue;
        c.vars.historyDue = false;
        let sent = 0;
        try {
          // The inbox lists only what a restart keeps.
          await durable(c);
          const unindexed = historyDue ? await listUnindexed(c.db, HISTORY_ROWS) : [];
          const history = historyBatch(unindexed.map(historyEntryOf));
          // Read after the await, with nothing awaited before the call: the sync covers every
          // change queued so far (the state already holds them).
          if (syncing) {
            c.vars.inboxSyncDue = false;
            queue.splice(0);
          }
          const changes = queue.slice();
          sent = changes.length;
          const report: InboxReport = {
            sessionId,
            // The project stamps it on this session's requests: approvers reply to it by id.
            actorId: c.actorId,
            ...(syncing ? { sync: pendingRequests(live(c)).map(publicRequest) } : {}),
            changes,
            history,
          };
          if (syncing || changes.length > 0 || history.length > 0)
            await deps.project.noteInbox(client, projectId, report);
          queue.splice(0, sent);
          if (history.length > 0) {
            await markIndexed(
              c.db,
              history.map((entry) => entry.permissionId),
            );
            // A full read, or one cut by size: there is more.
            if (unindexed.length === HISTORY_ROWS || history.length < unindexed.length)
              c.vars.historyDue = true;
          }
          attempt = 0;
        } catch (error) {
          c.log.warn({ msg: "inbox update failed", attempt, error: String(error) });
          if (++attempt >= INBOX_ATTEMPTS) {
            queue.splice(0, sent);
            attempt = 0;
          } else {
            // A failed sync is read again when it is resent.
            if (syncing) c.vars.inboxSyncDue = true;
            if (historyDue) c.vars.historyDue = true;
            await sleep(inboxBackoff(attempt));
          }
        }
      }
    })().finally(() => {
      c.vars.inboxDelivering = false;
    }),
  );
}

/**
 * Sends the project-rule outbox to the project actor after the resolution is durable, retrying
 * through restarts; a refusal by the project is logged and the rules stay in this session only.
 */
function deliverProjectRules(c: SessionContext, deps: EffectDependencies): void {
  if (c.vars.delivering) return;
  c.vars.delivering = true;
  const client = c.client<ProjectRegistry>();
  c.waitUntil(
    (async () => {
      for (
        let delay = 200;
        live(c).projectRuleOutbox.length > 0;
        delay = Math.min(delay * 2, 5_000)
      ) {
        const rules = [...live(c).projectRuleOutbox];
        const ids = new Set(rules.map((rule) => rule.id));
        try {
          await deps.project.addRules(client, live(c).projectId, rules);
        } catch (error) {
          if ((error as { group?: string }).group !== "user") {
            await new Promise((resolve) => setTimeout(resolve, delay));
            continue;
          }
          c.log.warn({ msg: "the project refused learned rules", error: String(error) });
        }
        commit(c, { state: projectRulesDelivered(live(c), ids) });
        await saveNow(c);
      }
    })().finally(() => {
      c.vars.delivering = false;
    }),
  );
}

/**
 * Appends to the audit log after the answer went out, batching the decisions of the next
 * `LOG_BATCH_MS` into one insert. The decision is already durable in state; a record that misses
 * the log in a crash is appended on the next wake (inserts are idempotent).
 */
function logInBackground(c: SessionContext, deps: EffectDependencies): void {
  if (c.vars.logDue) return;
  c.vars.logDue = true;
  c.waitUntil(
    new Promise((resolve) => setTimeout(resolve, LOG_BATCH_MS)).then(async () => {
      c.vars.logDue = false;
      await logResolved(c);
      // What was logged (now or by another path since) goes on to the project's history.
      c.vars.historyDue = true;
      deliverInbox(c, deps);
    }),
  );
}

/** Moves resolved records into the audit log; they then leave the state. A failure is retried later. */
export async function logResolved(c: SessionContext): Promise<void> {
  try {
    await appendSerialized(c);
  } catch (error) {
    c.log.warn({ msg: "audit log append failed; will retry", error: String(error) });
  }
}

/**
 * One append at a time: a call while one runs follows it (and finds only what that one left), so
 * two appends never write the same records. Throws when the append fails.
 */
function appendSerialized(c: SessionContext): Promise<void> {
  // Read once, now: once the actor has stopped, `c.vars` is undefined, and reading it from the
  // settlement below threw out of an unhandled rejection and crashed the whole runner.
  const vars = c.vars;
  const next = (vars.logging ?? Promise.resolve()).then(
    () => appendResolved(c),
    () => appendResolved(c),
  );
  vars.logging = next;
  const forget = () => {
    if (vars.logging === next) vars.logging = undefined;
  };
  void next.then(forget, forget);
  return next;
}

/** Moves resolved records into the audit log, or throws (they then stay in the state). */
async function appendResolved(c: SessionContext): Promise<void> {
  // A resolution whose save is still running may yet be lost in a crash: it waits for the next batch.
  const unlogged = live(c).requests.filter(
    (r) => r.status === "resolved" && !c.vars.settling.has(r.permissionId),
  );
  if (unlogged.length === 0) return;
  await appendToAuditLog(c.db, unlogged as LoggedRequest[], live(c).usage);
  for (const record of unlogged)
    c.vars.logged.ids.add(requestKey(record.requestedBy, record.requestId));
  commit(c, { state: removeLogged(live(c), new Set(unlogged.map((r) => r.permissionId))) });
}

/**
 * Brings the state up to what the audit log proves, once per wake and before anything reads the
 * requests or decides: the state save that followed a logged decision or settlement may have been
 * lost. The counters take the log's maxima; a pending request the log holds settled leaves the
 * state.
 */
export function recoverFromAuditLog(c: SessionContext): Promise<void> {
  c.vars.recovered ??= Promise.all([
    readLogCounters(c.db),
    listLoggedPermissionIds(
      c.db,
      pendingRequests(live(c)).map((r) => r.permissionId),
    ),
  ]).then(
    ([log, settled]) => commit(c, { state: recoverFromLog(settledInLog(live(c), settled), log) }),
    (error: unknown) => {
      c.vars.recovered = undefined;
      throw error;
    },
  );
  return c.vars.recovered;
}

/**
 * Whether the audit log holds this requester's request id (another requester's use of the id
 * does not count: ids are per requester); reads the log's ids at most once per wake.
 */
export async function isLogged(
  c: SessionContext,
  requestedBy: string,
  requestId: string,
): Promise<boolean> {
  const { logged: known } = c.vars;
  const key = requestKey(requestedBy, requestId);
  if (known.ids.has(key)) return true;
  if (live(c).evicted === 0 || known.loaded) return false;
  for (const id of await listLoggedRequestIds(c.db))
    known.ids.add(requestKey(id.requestedBy, id.requestId));
  known.loaded = true;
  return known.ids.has(key);
}
