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
  readonly request?: PermissionRequest;
  /** With `resolved`: how it ended (absent when a reconciliation found it gone). */
  readonly resolution?: Resolution;
}

/**
 * What one session sends its project in one call: when due, every request it holds pending (after
 * a wake); then its inbox changes in order; then resolved requests for the project's history.
 */
export interface InboxReport {
  readonly sessionId: string;
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
 * The project's inbox: rows of its SQLite database (inbox-store.ts), held in memory while the
 * actor is awake. Every function here that changes an entry notes its key in `unsaved`, so that a
 * save writes only the rows that changed, however many are pending.
 */
export interface InboxState {
  /** Pending requests by `sessionId/permissionId`. */
  pending: Record<string, PermissionRequest>;
  /** Sessions that ever had a request here, with when they last reported. */
  sessions: Record<string, number>;
  /** Recently settled requests (key → when), so that a late `pending` report cannot revive them. */
  resolved: Record<string, number>;
  /**
   * Bumped at every write of a session's entries (reports, checks); see `applyReconciliation`.
   * In memory only: it orders reads and writes of one wake.
   */
  revisions: Record<string, number>;
  unsaved: InboxUnsaved;
}

/** An inbox with nothing in it. */
export function emptyInbox(): InboxState {
  return {
    pending: {},
    sessions: {},
    resolved: {},
    revisions: {},
    unsaved: { pending: new Set(), sessions: new Set(), resolved: new Set() },
  };
}

/** How long a settled request is remembered, and how many at most. */
const TOMBSTONE_MS = 60 * 60 * 1000;
const MAX_TOMBSTONES = 5_000;
/** Past its deadline plus this grace, an indexed request is checked with its session. */
const EXPIRY_GRACE_MS = 5_000;
/** Entries are checked with their sessions at least this often while any exist. */
const RECONCILE_EVERY_MS = 60_000;

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
function setPending(state: InboxState, key: string, request: PermissionRequest | undefined) {
  if (request) state.pending[key] = request;
  else delete state.pending[key];
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
  const applied = report.sync ? applyInboxSync(state, sessionId, report.sync, now) : [];
  for (const change of report.changes) {
    const done = applyInboxChange(state, change, now);
    if (done) applied.push(done);
  }
  return applied;
}

/** When the index should next be checked against the sessions, or null when it is empty. */
export function nextReconcileAt(state: InboxState, now: number): number | null {
  const deadlines = Object.values(state.pending).map((r) => r.expiresAt + EXPIRY_GRACE_MS);
  if (deadlines.length === 0) return null;
  return Math.max(now + 1_000, Math.min(now + RECONCILE_EVERY_MS, ...deadlines));
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
  readonly requests: PermissionRequest[];
  readonly next: string | null;
}

/** A position in the inbox's order, `<createdAt>:<sessionId>/<permissionId>`: entries after it come next. */
const cursorOf = (request: PermissionRequest) =>
  `${request.createdAt}:${inboxKey(request.sessionId, request.permissionId)}`;

export const InboxPageQuerySchema = z
  .strictObject({
    /** The `next` of the previous page. */
    after: z
      .string()
      .max(420)
      .regex(/^\d{1,16}:[\w.:@/-]+$/, "a cursor from next")
      .optional(),
    limit: z.number().int().min(1).max(INBOX_PAGE_LIMIT).optional(),
  })
  .default({});
export type InboxPageQuery = z.input<typeof InboxPageQuerySchema>;

const order = (a: PermissionRequest, b: PermissionRequest) =>
  a.createdAt - b.createdAt ||
  (inboxKey(a.sessionId, a.permissionId) < inboxKey(b.sessionId, b.permissionId) ? -1 : 1);

/**
 * The page of `visible` pending requests after `after` (a `next` of the previous page), oldest
 * first: at most `limit` requests and `INBOX_PAGE_CHARS` of JSON (one request at least), so that
 * no answer outgrows the transport however many are pending. Requests opened while an approver
 * pages reach it as events.
 */
export function inboxPage(
  state: InboxState,
  visible: (request: PermissionRequest) => boolean,
  after: string | undefined,
  limit: number,
): InboxPage {
  const split = after?.indexOf(":") ?? -1;
  const from =
    after === undefined
      ? undefined
      : ([Number(after.slice(0, split)), after.slice(split + 1)] as const);
  const rest = Object.values(state.pending)
    .filter(
      (r) =>
        visible(r) &&
        (from === undefined ||
          r.createdAt > from[0] ||
          (r.createdAt === from[0] && inboxKey(r.sessionId, r.permissionId) > from[1])),
    )
    .sort(order);
  const requests: PermissionRequest[] = [];
  let chars = 0;
  for (const request of rest) {
    if (requests.length >= limit) break;
    const size = JSON.stringify(request).length;
    if (requests.length > 0 && chars + size > INBOX_PAGE_CHARS) break;
    chars += size;
    requests.push(request);
  }
  const last = requests.at(-1);
  return { requests, next: requests.length < rest.length && last ? cursorOf(last) : null };
}
