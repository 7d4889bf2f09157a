// The project inbox in the project actor's SQLite: one row per pending request, per session and per
// tombstone, so that a report writes the rows it changed and not the whole inbox (a save of the
// whole inbox in the actor's state took 2.6–3 s near 9,000 pending). The actor holds the rows in
// memory while awake (inbox.ts decides on them) and loads them when it wakes.
import type { RawAccess } from "rivetkit/db";
import { emptyInbox, type InboxState } from "./inbox.ts";
import type { PermissionRequest } from "./types.ts";

/** Rows per INSERT: two parameters each, well under SQLite's limit of 999. */
const ROWS_PER_INSERT = 200;

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

/** Creates the inbox tables (idempotent). */
export async function migrateInbox(db: RawAccess): Promise<void> {
  await db.execute(
    "CREATE TABLE IF NOT EXISTS inbox_pending (key TEXT PRIMARY KEY, request TEXT NOT NULL) WITHOUT ROWID",
  );
  await db.execute(
    "CREATE TABLE IF NOT EXISTS inbox_sessions (session_id TEXT PRIMARY KEY, last_seen INTEGER NOT NULL) WITHOUT ROWID",
  );
  await db.execute(
    "CREATE TABLE IF NOT EXISTS inbox_tombstones (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID",
  );
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
    pending: [...unsaved.pending].map((key) => [key, state.pending[key] ?? null] as const),
    sessions: [...unsaved.sessions].flatMap((id) => {
      const at = state.sessions[id];
      return at === undefined ? [] : [[id, at] as const];
    }),
    resolved: [...unsaved.resolved].map((key) => [key, state.resolved[key] ?? null] as const),
  };
  unsaved.pending.clear();
  unsaved.sessions.clear();
  unsaved.resolved.clear();
  return writes;
}

/** Marks a failed save's keys unsaved again, so that the next save writes their values then. */
export function restoreInboxWrites(state: InboxState, writes: InboxWrites): void {
  for (const [key] of writes.pending) state.unsaved.pending.add(key);
  for (const [id] of writes.sessions) state.unsaved.sessions.add(id);
  for (const [key] of writes.resolved) state.unsaved.resolved.add(key);
}

const isWritten = <T>(row: readonly [string, T | null]): row is readonly [string, T] =>
  row[1] !== null;

/** Upserts `rows` into a two-column table, a statement per `ROWS_PER_INSERT`. */
async function upsert(
  tx: RawAccess,
  table: string,
  columns: string,
  rows: readonly (readonly [string, unknown])[],
) {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const chunk = rows.slice(start, start + ROWS_PER_INSERT);
    await tx.execute(
      `INSERT OR REPLACE INTO ${table} (${columns}) VALUES ${chunk.map(() => "(?, ?)").join(", ")}`,
      ...chunk.flat(),
    );
  }
}

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
    "inbox_pending",
    "key, request",
    writes.pending.filter(isWritten).map(([key, request]) => [key, JSON.stringify(request)]),
  );
  await remove(
    tx,
    "inbox_pending",
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
    state.pending[key] = request;
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

/** Reads the whole inbox from its rows. */
export async function loadInbox(db: RawAccess): Promise<InboxState> {
  const state = emptyInbox();
  const pending = await db.execute<{ key: string; request: string }>(
    "SELECT key, request FROM inbox_pending",
  );
  const sessions = await db.execute<{ session_id: string; last_seen: number }>(
    "SELECT session_id, last_seen FROM inbox_sessions",
  );
  const tombstones = await db.execute<{ key: string; at: number }>(
    "SELECT key, at FROM inbox_tombstones",
  );
  for (const row of pending) state.pending[row.key] = JSON.parse(row.request) as PermissionRequest;
  for (const row of sessions) state.sessions[row.session_id] = Number(row.last_seen);
  for (const row of tombstones) state.resolved[row.key] = Number(row.at);
  return state;
}
