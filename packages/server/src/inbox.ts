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

/** The inbox part of the project's durable state. */
export interface InboxState {
  /** Pending requests by `sessionId/permissionId`. */
  pending: Record<string, PermissionRequest>;
  /** Sessions that ever had a request here, with when they last reported. */
  sessions: Record<string, number>;
  /** Recently settled requests (key → when), so that a late `pending` report cannot revive them. */
  resolved: Record<string, number>;
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
  state.sessions[change.sessionId] = now;
  if (change.kind === "pending") {
    if (!change.request || key in state.resolved || key in state.pending) return null;
    state.pending[key] = change.request;
    return change;
  }
  state.resolved[key] = now;
  if (!(key in state.pending)) return change.resolution ? change : null;
  delete state.pending[key];
  return change;
}

/**
 * Makes the index hold exactly `pending` for one session: what the session no longer has is
 * reported resolved (without its resolution; subscribers read it from the session), what it has
 * and the index lacks is added. Returns the changes to broadcast.
 */
export function applyInboxSync(
  state: InboxState,
  sessionId: string,
  pending: readonly PermissionRequest[],
  now: number,
): InboxChange[] {
  const changes: InboxChange[] = [];
  const current = new Set(pending.map((r) => inboxKey(sessionId, r.permissionId)));
  state.sessions[sessionId] = now;
  for (const [key, request] of Object.entries(state.pending)) {
    if (request.sessionId !== sessionId || current.has(key)) continue;
    delete state.pending[key];
    state.resolved[key] = now;
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
    delete state.resolved[key];
    state.pending[key] = request;
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
    if (index >= MAX_TOMBSTONES || now - at > TOMBSTONE_MS) delete state.resolved[key];
  }
}
