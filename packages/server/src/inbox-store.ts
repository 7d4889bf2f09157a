// The project inbox in the project actor's SQLite: one row per pending request, per session and per
// tombstone, so that a report writes the rows it changed and not the whole inbox (a save of the
// whole inbox in the actor's state took 2.6–3 s near 9,000 pending). The actor keeps an index of
// the pending requests in memory (inbox.ts decides on it, without the requests' inputs) and reads
// the requests themselves a page at a time, in SQL, for the approvers who list them.
import type { RawAccess } from "rivetkit/db";
import {
  emptyInbox,
  type InboxCursor,
  type InboxState,
  type IndexedRequest,
  indexedRequestOf,
} from "./inbox.ts";
import type { PermissionRequest } from "./types.ts";

/** Rows per INSERT: at most seven parameters each, well under SQLite's limit of 999. */
const ROWS_PER_INSERT = 100;

/** The pending requests' columns, in the order `pendingRow` gives them. */
const PENDING_COLUMNS =
  "key, session_id, permission_id, request_id, created_at, expires_at, request";
/** The index's columns (all but the request). */
const INDEX_COLUMNS = "key, session_id, permission_id, request_id, created_at, expires_at";

/** What the next save writes: each changed key with its value, or null for a deleted row. */
export interface InboxWrites {
  readonly pending: readonly (readonly [string, PermissionRequest | null])[];
  readonly sessions: readonly (readonly [string, number])[];
  readonly resolved: readonly (readonly [string, number | null])[];
}

/** The inbox as the project's state held it before it moved to rows (read to import it once). */
export interface LegacyInbox {
  pending?: Record<string, PermissionRequest>;
  sessions?: Record<string, number>;
  resolved?: Record<string, number>;
  revisions?: Record<string, number>;
}

/**
 * Creates the inbox tables (idempotent). Pending requests are rows of `inbox_requests`, stored in
 * creation order (the primary key), because the actor's SQLite reads each page of its file from
 * the engine, a round trip per page it has not cached: a page of the inbox read through a
 * creation-time index from a table in key order touched a table page per request (584 to 3,577
 * round trips, 3 to 24 s per statement at load 20 with 10,000 pending); in creation order it reads
 * the few pages that hold it. `inbox_requests_index` holds the columns the actor's index needs
 * (with the key columns SQLite appends), so that a wake reads it and not the requests. A project
 * from before (rows of `inbox_pending`, the request alone) has them copied over once, and the old
 * table dropped.
 */
export async function migrateInbox(db: RawAccess): Promise<void> {
  await db.execute(`CREATE TABLE IF NOT EXISTS inbox_requests (
    created_at INTEGER NOT NULL,
    key TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    permission_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    request TEXT NOT NULL,
    PRIMARY KEY (created_at, key)
  ) WITHOUT ROWID`);
  await db.execute(
    "CREATE INDEX IF NOT EXISTS inbox_requests_index ON inbox_requests (session_id, permission_id, request_id, expires_at)",
  );
  await db.execute(
    "CREATE TABLE IF NOT EXISTS inbox_sessions (session_id TEXT PRIMARY KEY, last_seen INTEGER NOT NULL) WITHOUT ROWID",
  );
  await db.execute(
    "CREATE TABLE IF NOT EXISTS inbox_tombstones (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID",
  );
  const old = await db.execute(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox_pending'",
  );
  // RivetKit runs a migration in one savepoint; and were it cut short, running it again is harmless.
  if (old.length > 0) {
    await db.execute(
      `INSERT OR IGNORE INTO inbox_requests (${PENDING_COLUMNS}) SELECT key,
        json_extract(request, '$.sessionId'), json_extract(request, '$.permissionId'),
        json_extract(request, '$.requestId'), json_extract(request, '$.createdAt'),
        json_extract(request, '$.expiresAt'), request FROM inbox_pending`,
    );
    await db.execute("DROP TABLE inbox_pending");
  }
  // One row once the state's inbox was imported: a later wake must not import it again.
  await db.execute("CREATE TABLE IF NOT EXISTS inbox_imported (at INTEGER NOT NULL)");
}

/**
 * Takes what changed since the last save, with the values as they are now, and clears it: a
 * change made while the save runs is left for the next one.
 */
export function takeInboxWrites(state: InboxState): InboxWrites {
  const { unsaved } = state;
  const writes: InboxWrites = {
    pending: [...unsaved.pending].map((key) =>
      key in state.pending ? ([key, bodyOf(state, key)] as const) : ([key, null] as const),
    ),
    sessions: [...unsaved.sessions].flatMap((id) => {
      const at = state.sessions[id];
      return at === undefined ? [] : [[id, at] as const];
    }),
    resolved: [...unsaved.resolved].map((key) => [key, state.resolved[key] ?? null] as const),
  };
  for (const key of unsaved.pending) delete state.bodies[key];
  unsaved.pending.clear();
  unsaved.sessions.clear();
  unsaved.resolved.clear();
  return writes;
}

/** The whole request of an unsaved pending entry (every change that makes one pending keeps it). */
function bodyOf(state: InboxState, key: string): PermissionRequest {
  const body = state.bodies[key];
  if (!body) throw new Error(`inbox: the request of ${key} is neither written nor kept`);
  return body;
}

/**
 * Marks a failed save's keys unsaved again, so that the next save writes their values then: a
 * request still pending as it was gets its body back (none of a failed save is in the rows).
 */
export function restoreInboxWrites(state: InboxState, writes: InboxWrites): void {
  for (const [key, request] of writes.pending) {
    state.unsaved.pending.add(key);
    if (request && key in state.pending && !(key in state.bodies)) state.bodies[key] = request;
  }
  for (const [id] of writes.sessions) state.unsaved.sessions.add(id);
  for (const [key] of writes.resolved) state.unsaved.resolved.add(key);
}

const isWritten = <T>(row: readonly [string, T | null]): row is readonly [string, T] =>
  row[1] !== null;

/** Upserts `rows` into `table`, a statement per `ROWS_PER_INSERT`. */
async function upsert(
  tx: RawAccess,
  table: string,
  columns: string,
  rows: readonly (readonly unknown[])[],
) {
  const marks = `(${columns
    .split(",")
    .map(() => "?")
    .join(", ")})`;
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const chunk = rows.slice(start, start + ROWS_PER_INSERT);
    await tx.execute(
      `INSERT OR REPLACE INTO ${table} (${columns}) VALUES ${chunk.map(() => marks).join(", ")}`,
      ...chunk.flat(),
    );
  }
}

const pendingRow = (key: string, request: PermissionRequest) => [
  key,
  request.sessionId,
  request.permissionId,
  request.requestId,
  request.createdAt,
  request.expiresAt,
  JSON.stringify(request),
];

async function remove(tx: RawAccess, table: string, keys: readonly string[]) {
  if (keys.length === 0) return;
  await tx.execute(
    `DELETE FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`,
    JSON.stringify(keys),
  );
}

/** Writes a save's rows; run it inside the save's transaction. */
export async function writeInbox(tx: RawAccess, writes: InboxWrites): Promise<void> {
  await upsert(
    tx,
    "inbox_requests",
    PENDING_COLUMNS,
    writes.pending.filter(isWritten).map(([key, request]) => pendingRow(key, request)),
  );
  await remove(
    tx,
    "inbox_requests",
    writes.pending.filter((row) => !isWritten(row)).map(([key]) => key),
  );
  await upsert(tx, "inbox_sessions", "session_id, last_seen", writes.sessions);
  await upsert(tx, "inbox_tombstones", "key, at", writes.resolved.filter(isWritten));
  await remove(
    tx,
    "inbox_tombstones",
    writes.resolved.filter((row) => !isWritten(row)).map(([key]) => key),
  );
}

/**
 * Imports an inbox the project's state held before it moved to rows, in one transaction with the
 * mark that it was done: a wake after a crash that left the old state in place (its save is not
 * awaited) does not import it again over rows that reports changed since.
 */
export async function importLegacyInbox(db: RawAccess, legacy: LegacyInbox): Promise<void> {
  const state = emptyInbox();
  for (const [key, request] of Object.entries(legacy.pending ?? {})) {
    state.pending[key] = indexedRequestOf(request);
    state.bodies[key] = request;
    state.unsaved.pending.add(key);
  }
  for (const [id, at] of Object.entries(legacy.sessions ?? {})) {
    state.sessions[id] = at;
    state.unsaved.sessions.add(id);
  }
  for (const [key, at] of Object.entries(legacy.resolved ?? {})) {
    state.resolved[key] = at;
    state.unsaved.resolved.add(key);
  }
  const writes = takeInboxWrites(state);
  await db.transaction(
    async (tx) => {
      const done = await tx.execute("SELECT 1 FROM inbox_imported LIMIT 1");
      if (done.length > 0) return;
      await writeInbox(tx, writes);
      await tx.execute("INSERT INTO inbox_imported (at) VALUES (?)", Date.now());
    },
    { name: "inbox_import" },
  );
}

/** Reads the inbox's index from its rows (the requests' inputs stay in storage). */
export async function loadInbox(db: RawAccess): Promise<InboxState> {
  const state = emptyInbox();
  const pending = await db.execute<{
    key: string;
    session_id: string;
    permission_id: string;
    request_id: string;
    created_at: number;
    expires_at: number;
  }>(`SELECT ${INDEX_COLUMNS} FROM inbox_requests INDEXED BY inbox_requests_index`);
  const sessions = await db.execute<{ session_id: string; last_seen: number }>(
    "SELECT session_id, last_seen FROM inbox_sessions",
  );
  const tombstones = await db.execute<{ key: string; at: number }>(
    "SELECT key, at FROM inbox_tombstones",
  );
  for (const row of pending) {
    state.pending[row.key] = {
      sessionId: row.session_id,
      permissionId: row.permission_id,
      requestId: row.request_id,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    } satisfies IndexedRequest;
  }
  for (const row of sessions) state.sessions[row.session_id] = Number(row.last_seen);
  for (const row of tombstones) state.resolved[row.key] = Number(row.at);
  return state;
}

/**
 * The pending requests after `after`, oldest first, of the `sessions` given ("*": all), at most
 * `count`: a range of the table's own order, filtered in SQL, so that a page costs the same
 * however many are pending and only the page is in memory. Ties of creation time go by key, as the
 * cursor.
 */
export async function readInboxRequests(
  db: RawAccess,
  sessions: "*" | readonly string[],
  after: InboxCursor | undefined,
  count: number,
): Promise<PermissionRequest[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (after) {
    where.push("(created_at, key) > (?, ?)");
    args.push(after.createdAt, after.key);
  }
  if (sessions !== "*") {
    where.push("session_id IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(sessions));
  }
  const rows = await db.execute<{ request: string }>(
    `SELECT request FROM inbox_requests ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at, key LIMIT ?`,
    ...args,
    count,
  );
  return rows.map((row) => JSON.parse(row.request) as PermissionRequest);
}
