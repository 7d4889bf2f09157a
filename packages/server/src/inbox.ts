import { z } from "zod";
import { fail } from "./errors.ts";
import type { ProjectHistoryEntry } from "./project-history.ts";
import type { PermissionRequest, Resolution } from "./types.ts";

/** A change of the project inbox: a request became pending, or it was settled. */
export interface InboxChange {
  readonly kind: "pending" | "resolved";
  readonly sessionId: string;
  readonly permissionId: string;
  readonly requestId?: string;
  /** With `pending`: the request. */
  readonly request?: InboxRequest;
  /** With `resolved`: how it ended (absent when a reconciliation found it gone). */
  readonly resolution?: Resolution;
}

/**
 * A pending request as the inbox lists it: with the id of its session's actor when the session
 * reported it, so that an approver's reply goes to the actor by id, not by a lookup of its key.
 * The id is an address only: the session checks every caller's token, project and role itself,
 * and a reply it does not reach changes nothing. Absent on requests a reconciliation found (and
 * on rows written before ids were carried): replies then go by key.
 */
export type InboxRequest = PermissionRequest & { readonly sessionActorId?: string };

/**
 * What one session sends its project in one call: when due, every request it holds pending (after
 * a wake); then its inbox changes in order; then resolved requests for the project's history.
 */
export interface InboxReport {
  readonly sessionId: string;
  /** The session actor's own id (`c.actorId`), stamped on the requests it reports. */
  readonly actorId?: string;
  readonly sync?: readonly PermissionRequest[];
  readonly changes: readonly InboxChange[];
  readonly history: readonly ProjectHistoryEntry[];
}

/** Keys whose rows storage may lack, by table: written (or deleted) by the next save. */
export interface InboxUnsaved {
  readonly pending: Set<string>;
  readonly sessions: Set<string>;
  readonly resolved: Set<string>;
}

/**
 * What the project keeps in memory of a pending request: enough to decide on reports and to know
 * when to check it with its session. The request itself (its input, ~1 KB and more) stays in the
 * rows, read a page at a time by `listInbox`.
 */
export type IndexedRequest = Pick<
  PermissionRequest,
  "sessionId" | "permissionId" | "requestId" | "createdAt" | "expiresAt"
>;

export const indexedRequestOf = (request: IndexedRequest): IndexedRequest => ({
  sessionId: request.sessionId,
  permissionId: request.permissionId,
  requestId: request.requestId,
  createdAt: request.createdAt,
  expiresAt: request.expiresAt,
});

/**
 * The project's inbox: rows of its SQLite database (inbox-store.ts), indexed in memory while the
 * actor is awake. Every function here that changes an entry notes its key in `unsaved`, so that a
 * save writes only the rows that changed, however many are pending.
 */
export interface InboxState {
  /** Pending requests by `sessionId/permissionId` (what the index needs of them). */
  pending: Record<string, IndexedRequest>;
  /** The whole requests of pending entries not yet written (keys of `unsaved.pending`). */
  bodies: Record<string, InboxRequest>;
  /** Sessions that ever had a request here, with when they last reported. */
  sessions: Record<string, number>;
  /** Recently settled requests (key → when), so that a late `pending` report cannot revive them. */
  resolved: Record<string, number>;
  /**
   * Bumped at every write of a session's entries (reports, checks); see `applyReconciliation`.
   * In memory only: it orders reads and writes of one wake.
   */
  revisions: Record<string, number>;
  /** When the project last began to check a session with it (in memory: a wake checks anew). */
  checked: Record<string, number>;
  unsaved: InboxUnsaved;
}

/** An inbox with nothing in it. */
export function emptyInbox(): InboxState {
  return {
    pending: {},
    bodies: {},
    sessions: {},
    resolved: {},
    revisions: {},
    checked: {},
    unsaved: { pending: new Set(), sessions: new Set(), resolved: new Set() },
  };
}

/** How long a settled request is remembered, and how many at most. */
const TOMBSTONE_MS = 60 * 60 * 1000;
const MAX_TOMBSTONES = 5_000;
/** Past its deadline plus this grace, an indexed request is checked with its session. */
const EXPIRY_GRACE_MS = 5_000;
/** A session still holding a request past its deadline is checked again this much later. */
const RECHECK_MS = 60_000;
/**
 * A session with entries that has not been heard from (a report, or a check) for this long is
 * checked. Sessions resend a report until the project acknowledges it, so the index only drifts
 * when a session lost a report it never saved (a crash between settling and reporting): this bounds
 * how long such a stale entry stays, at one call per silent session per period, not per minute.
 */
const SILENT_MS = 15 * 60_000;

export const inboxKey = (sessionId: string, permissionId: string) => `${sessionId}/${permissionId}`;

/** Applies one report; returns the change to broadcast, or null when it changed nothing. */
export function applyInboxChange(
  state: InboxState,
  change: InboxChange,
  now: number,
): InboxChange | null {
  const key = inboxKey(change.sessionId, change.permissionId);
  seen(state, change.sessionId, now);
  bumpRevision(state, change.sessionId);
  if (change.kind === "pending") {
    if (!change.request || key in state.resolved || key in state.pending) return null;
    setPending(state, key, change.request);
    return change;
  }
  setTombstone(state, key, now);
  if (!(key in state.pending)) return change.resolution ? change : null;
  setPending(state, key, undefined);
  return change;
}

/**
 * Applies a session's own sync: the index holds exactly `pending` for that session. What the
 * session no longer has is reported resolved (without its resolution; subscribers read it from the
 * session), what it has and the index lacks is added. Returns the changes to broadcast.
 *
 * A session's reports arrive in the order it read them, but a reconciliation's read does not: an
 * entry it added may be newer than this sync (opened after the sync was read). So what the sync
 * removes gets no tombstone: the session's own report of that request, which follows the sync,
 * must still count.
 */
export function applyInboxSync(
  state: InboxState,
  sessionId: string,
  pending: readonly PermissionRequest[],
  now: number,
): InboxChange[] {
  seen(state, sessionId, now);
  return replaceSession(state, sessionId, pending, now, false);
}

/** The revision of a session's entries, noted by a reconciliation before it reads the session. */
export function sessionRevision(state: InboxState, sessionId: string): number {
  return state.revisions[sessionId] ?? 0;
}

/**
 * Applies a reconciliation's read of one session's pending requests, begun at `revision`, or
 * discards it (null) when the session's entries were written meanwhile (by a report of the
 * session or by another reconciliation): that write may be newer than the read, and applying the
 * read would undo it (a request opened after the read would leave the inbox, one settled after it
 * would come back). The next reconciliation reads again. Otherwise the read is the newest word on
 * the session: what it lacks is settled, with a tombstone against a late `pending` report, and
 * what it holds is pending. Returns the changes to broadcast.
 */
export function applyReconciliation(
  state: InboxState,
  sessionId: string,
  pending: readonly PermissionRequest[],
  revision: number,
  now: number,
): InboxChange[] | null {
  if (sessionRevision(state, sessionId) !== revision) return null;
  return replaceSession(state, sessionId, pending, now, true);
}

function bumpRevision(state: InboxState, sessionId: string) {
  state.revisions[sessionId] = sessionRevision(state, sessionId) + 1;
}

function seen(state: InboxState, sessionId: string, now: number) {
  state.sessions[sessionId] = now;
  state.unsaved.sessions.add(sessionId);
}

/** Makes a request pending, or (undefined) takes it out of the inbox. */
function setPending(state: InboxState, key: string, request: InboxRequest | undefined) {
  if (request) {
    state.pending[key] = indexedRequestOf(request);
    state.bodies[key] = request;
  } else {
    delete state.pending[key];
    delete state.bodies[key];
  }
  state.unsaved.pending.add(key);
}

/** Remembers that a request was settled at `at`, or (undefined) forgets it. */
function setTombstone(state: InboxState, key: string, at: number | undefined) {
  if (at === undefined) delete state.resolved[key];
  else state.resolved[key] = at;
  state.unsaved.resolved.add(key);
}

function replaceSession(
  state: InboxState,
  sessionId: string,
  pending: readonly PermissionRequest[],
  now: number,
  tombstones: boolean,
): InboxChange[] {
  bumpRevision(state, sessionId);
  const changes: InboxChange[] = [];
  const current = new Set(pending.map((r) => inboxKey(sessionId, r.permissionId)));
  for (const [key, request] of Object.entries(state.pending)) {
    if (request.sessionId !== sessionId || current.has(key)) continue;
    setPending(state, key, undefined);
    if (tombstones) setTombstone(state, key, now);
    changes.push({
      kind: "resolved",
      sessionId,
      permissionId: request.permissionId,
      requestId: request.requestId,
    });
  }
  for (const request of pending) {
    const key = inboxKey(sessionId, request.permissionId);
    if (key in state.pending) continue;
    // The session is the source of truth: what it still holds pending is pending.
    if (key in state.resolved) setTombstone(state, key, undefined);
    setPending(state, key, request);
    changes.push({ kind: "pending", sessionId, permissionId: request.permissionId, request });
  }
  return changes;
}

/**
 * Applies a session's report to the index: its sync first, then its changes in order. Returns the
 * changes to broadcast. A report may speak only of its own session.
 */
export function applyInboxReport(
  state: InboxState,
  report: InboxReport,
  now: number,
): InboxChange[] {
  const { sessionId } = report;
  const foreign =
    report.changes.some((change) => change.sessionId !== sessionId) ||
    report.history.some((entry) => entry.sessionId !== sessionId) ||
    (report.sync ?? []).some((request) => request.sessionId !== sessionId);
  if (foreign) fail("invalid_input", `a report of session ${sessionId} names another session`);
  const { actorId } = report;
  const address = (request: PermissionRequest): InboxRequest =>
    actorId === undefined ? request : { ...request, sessionActorId: actorId };
  const applied = report.sync
    ? applyInboxSync(state, sessionId, report.sync.map(address), now)
    : [];
  for (const change of report.changes) {
    const addressed = change.request ? { ...change, request: address(change.request) } : change;
    const done = applyInboxChange(state, addressed, now);
    if (done) applied.push(done);
  }
  return applied;
}

/** When each session with entries is due to be checked with it (see `takeDueSessions`). */
function dueTimes(state: InboxState): Map<string, number> {
  const due = new Map<string, number>();
  for (const request of Object.values(state.pending)) {
    const { sessionId } = request;
    const checked = state.checked[sessionId] ?? Number.NEGATIVE_INFINITY;
    const overdue = Math.max(request.expiresAt + EXPIRY_GRACE_MS, checked + RECHECK_MS);
    const silent = Math.max(state.sessions[sessionId] ?? 0, checked) + SILENT_MS;
    due.set(sessionId, Math.min(due.get(sessionId) ?? Number.POSITIVE_INFINITY, overdue, silent));
  }
  return due;
}

/**
 * The sessions to check with now, noted as checked (so that a concurrent round leaves them
 * alone): those holding an entry past its deadline (they should have reported it settled; again
 * every `RECHECK_MS` while they still hold it), and those silent for `SILENT_MS` (after a wake of
 * the project, those whose last report is that old). A session that reports is never asked.
 */
export function takeDueSessions(state: InboxState, now: number): string[] {
  const due = [...dueTimes(state)].filter(([, at]) => at <= now).map(([sessionId]) => sessionId);
  for (const sessionId of due) state.checked[sessionId] = now;
  return due;
}

/** When the index should next be checked against a session, or null when it is empty. */
export function nextReconcileAt(state: InboxState, now: number): number | null {
  let first = Number.POSITIVE_INFINITY;
  for (const at of dueTimes(state).values()) first = Math.min(first, at);
  return first === Number.POSITIVE_INFINITY ? null : Math.max(now + 1_000, first);
}

/** Forgets old tombstones. */
export function pruneTombstones(state: InboxState, now: number): void {
  const entries = Object.entries(state.resolved).sort((a, b) => b[1] - a[1]);
  for (const [index, [key, at]] of entries.entries()) {
    if (index >= MAX_TOMBSTONES || now - at > TOMBSTONE_MS) setTombstone(state, key, undefined);
  }
}

/** Requests in one page of the inbox at most, and characters of JSON (the transport sends 1 MiB). */
export const INBOX_PAGE_LIMIT = 500;
export const INBOX_PAGE_CHARS = 512 * 1024;

/** One page of the inbox, oldest first; `next` continues it, null at the end. */
export interface InboxPage {
  readonly requests: InboxRequest[];
  readonly next: string | null;
}

/** A position in the inbox's order, `<createdAt>:<sessionId>/<permissionId>`: entries after it come next. */
export interface InboxCursor {
  readonly createdAt: number;
  readonly key: string;
}

export const InboxPageQuerySchema = z
  .strictObject({
    /** The `next` of the previous page. */
    after: z
      .string()
      .max(420)
      .regex(/^\d{1,16}:[\w.:@/-]+$/, "a cursor from next")
      .transform((after): InboxCursor => {
        const split = after.indexOf(":");
        return { createdAt: Number(after.slice(0, split)), key: after.slice(split + 1) };
      })
      .optional(),
    limit: z.number().int().min(1).max(INBOX_PAGE_LIMIT).optional(),
  })
  .default({});
export type InboxPageQuery = z.input<typeof InboxPageQuerySchema>;

/**
 * Cuts a page from `rows`, the visible pending requests after the cursor, oldest first, read with
 * one more than `limit` so that a full page knows whether more follow: at most `limit` requests and
 * `INBOX_PAGE_CHARS` of JSON (one request at least), so that no answer outgrows the transport
 * however many are pending. Requests opened while an approver pages reach it as events.
 */
export function cutInboxPage(rows: readonly InboxRequest[], limit: number): InboxPage {
  const requests: InboxRequest[] = [];
  let chars = 0;
  for (const request of rows) {
    if (requests.length >= limit) break;
    const size = JSON.stringify(request).length;
    if (requests.length > 0 && chars + size > INBOX_PAGE_CHARS) break;
    chars += size;
    requests.push(request);
  }
  const last = requests.at(-1);
  return {
    requests,
    next:
      requests.length < rows.length && last
        ? `${last.createdAt}:${inboxKey(last.sessionId, last.permissionId)}`
        : null,
  };
}
