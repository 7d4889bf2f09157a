import type { RawAccess } from "rivetkit/db";
import type { StoredRequest } from "./types.ts";

/** A resolved request in the durable audit log, with its sequence number. */
export type LoggedRequest = StoredRequest & { readonly seq: number };

/** The session's counters when a row was appended; the log's maxima survive a lost state save. */
export interface LogCounters {
  readonly seq: number;
  readonly turns: number;
  readonly costUsd: number;
  /** Rows in the log. */
  readonly rows: number;
}

/**
 * Upgrades an audit table made before later columns (on every wake). A session without one gets
 * it with its first row (`appendToAuditLog`), in that row's transaction: a migration of its own
 * was one more storage commit for every session created (docs/scale.md, "What a creation costs,
 * by name"). Reads of a log that has no table yet find nothing (`orEmpty`). A migration that only
 * reads commits nothing.
 */
export async function migrateAuditLog(db: RawAccess): Promise<void> {
  if (await hasTable(db)) await createAuditTable(db);
}

/**
 * Creates the audit table (idempotent), adding later columns to a table made before them.
 * `indexed` is 0 until the project's history index has the entry: the outbox of the project
 * history, durable with the entry itself. Entries logged before the column existed count as
 * indexed (they are not sent again).
 */
async function createAuditTable(db: RawAccess): Promise<void> {
  await db.execute(`CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY,
    permission_id TEXT NOT NULL UNIQUE,
    request_id TEXT NOT NULL,
    record TEXT NOT NULL,
    turns INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    indexed INTEGER NOT NULL DEFAULT 1
  )`);
  const columns = await db.execute<{ name: string }>("PRAGMA table_info(history)");
  if (!columns.some((column) => column.name === "turns")) {
    await db.execute("ALTER TABLE history ADD COLUMN turns INTEGER NOT NULL DEFAULT 0");
    await db.execute("ALTER TABLE history ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0");
  }
  if (!columns.some((column) => column.name === "indexed"))
    await db.execute("ALTER TABLE history ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1");
  await db.execute("CREATE INDEX IF NOT EXISTS history_request_id ON history (request_id)");
  await db.execute(
    "CREATE INDEX IF NOT EXISTS history_unindexed ON history (seq) WHERE indexed = 0",
  );
}

/** Logs known to have their table (a table, once made, stays): no need to look again. */
const withTable = new WeakSet<RawAccess>();

/** Whether the log has its table: looked up until it has (SQLite's own catalogue, no commit). */
async function hasTable(db: RawAccess): Promise<boolean> {
  if (withTable.has(db)) return true;
  const found = await db.execute(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history'",
  );
  if (found.length > 0) withTable.add(db);
  return found.length > 0;
}

/**
 * A read of the log: nothing when the log has no table yet (no row was ever appended). Looked up
 * rather than caught: the engine's SQLite reports a missing table as an internal error, like any
 * other failure, which must still fail the read.
 */
async function orEmpty<T>(db: RawAccess, read: () => Promise<T[]>): Promise<T[]> {
  return (await hasTable(db)) ? read() : [];
}

/** The highest sequence number and usage any row recorded, and how many rows there are. */
export async function readLogCounters(db: RawAccess): Promise<LogCounters> {
  const [row] = await orEmpty(db, () =>
    db.execute<{ seq: number; turns: number; cost: number; rows: number }>(
      "SELECT COALESCE(MAX(seq), 0) AS seq, COALESCE(MAX(turns), 0) AS turns, COALESCE(MAX(cost_usd), 0) AS cost, COUNT(*) AS rows FROM history",
    ),
  );
  return {
    seq: Number(row?.seq ?? 0),
    turns: Number(row?.turns ?? 0),
    costUsd: Number(row?.cost ?? 0),
    rows: Number(row?.rows ?? 0),
  };
}

/** Rows per INSERT: six parameters each, well under SQLite's limit of 999. */
const ROWS_PER_INSERT = 100;

/**
 * Appends resolved requests in one transaction (one commit to the engine, however many
 * statements), one statement per hundred, each row with the session's usage at the time (at least
 * the usage its request left); entries already present are left as they are.
 */
export async function appendToAuditLog(
  db: RawAccess,
  records: readonly LoggedRequest[],
  usage: { readonly turns: number; readonly costUsd: number },
): Promise<void> {
  await db.transaction(
    async (tx) => {
      // The first row brings the table (see `migrateAuditLog`): one commit for both. Later
      // appends skip its five statements: they run on every decision.
      if (!withTable.has(db)) await createAuditTable(tx);
      for (let start = 0; start < records.length; start += ROWS_PER_INSERT) {
        const rows = records.slice(start, start + ROWS_PER_INSERT);
        await tx.execute(
          `INSERT OR IGNORE INTO history (seq, permission_id, request_id, record, turns, cost_usd, indexed) VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, 0)").join(", ")}`,
          ...rows.flatMap((record) => [
            record.seq,
            record.permissionId,
            record.requestId,
            JSON.stringify(record),
            usage.turns,
            usage.costUsd,
          ]),
        );
      }
    },
    { name: "audit_append" },
  );
  withTable.add(db);
}

/** Up to `limit` logged entries the project's history index does not have yet, oldest first. */
export async function listUnindexed(db: RawAccess, limit: number): Promise<LoggedRequest[]> {
  const rows = await orEmpty(db, () =>
    db.execute<{ record: string }>(
      "SELECT record FROM history WHERE indexed = 0 ORDER BY seq LIMIT ?",
      limit,
    ),
  );
  return rows.map((row) => JSON.parse(row.record) as LoggedRequest);
}

/** Whether some logged entry still waits for the project's history index. */
export async function hasUnindexed(db: RawAccess): Promise<boolean> {
  const rows = await orEmpty(db, () =>
    db.execute("SELECT 1 FROM history WHERE indexed = 0 LIMIT 1"),
  );
  return rows.length > 0;
}

/** Notes that the project's history index has these entries. */
export async function markIndexed(db: RawAccess, permissionIds: readonly string[]): Promise<void> {
  if (permissionIds.length === 0) return;
  await db.execute(
    "UPDATE history SET indexed = 1 WHERE permission_id IN (SELECT value FROM json_each(?))",
    JSON.stringify(permissionIds),
  );
}

/** Which of these permission ids the log holds. */
export async function listLoggedPermissionIds(
  db: RawAccess,
  permissionIds: readonly string[],
): Promise<Set<string>> {
  if (permissionIds.length === 0) return new Set();
  const rows = await orEmpty(db, () =>
    db.execute<{ permission_id: string }>(
      "SELECT permission_id FROM history WHERE permission_id IN (SELECT value FROM json_each(?))",
      JSON.stringify(permissionIds),
    ),
  );
  return new Set(rows.map((row) => row.permission_id));
}

/** Every request id in the log, with who asked (request ids are per requester). */
export async function listLoggedRequestIds(
  db: RawAccess,
): Promise<{ requestedBy: string; requestId: string }[]> {
  const rows = await orEmpty(db, () =>
    db.execute<{ request_id: string; requested_by: string }>(
      "SELECT request_id, json_extract(record, '$.requestedBy') AS requested_by FROM history",
    ),
  );
  return rows.map((row) => ({ requestedBy: row.requested_by, requestId: row.request_id }));
}

/** One page of the log, newest first. */
export async function readAuditLog(
  db: RawAccess,
  options: { before?: number; limit: number },
): Promise<LoggedRequest[]> {
  const rows = await orEmpty(db, () =>
    db.execute<{ record: string }>(
      "SELECT record FROM history WHERE seq < ? ORDER BY seq DESC LIMIT ?",
      options.before ?? Number.MAX_SAFE_INTEGER,
      options.limit,
    ),
  );
  return rows.map((row) => JSON.parse(row.record) as LoggedRequest);
}

/**
 * The logged requests under a request id: one per requester that used it (request ids are the
 * requester's; the caller picks its own, see `pickRequest` in session-state.ts).
 */
export async function findLoggedRequests(
  db: RawAccess,
  requestId: string,
): Promise<LoggedRequest[]> {
  const rows = await orEmpty(db, () =>
    db.execute<{ record: string }>("SELECT record FROM history WHERE request_id = ?", requestId),
  );
  return rows.map((row) => JSON.parse(row.record) as LoggedRequest);
}

/** Finds a logged request by its permission id. */
export async function findLoggedPermission(
  db: RawAccess,
  permissionId: string,
): Promise<LoggedRequest | undefined> {
  const rows = await orEmpty(db, () =>
    db.execute<{ record: string }>(
      "SELECT record FROM history WHERE permission_id = ? LIMIT 1",
      permissionId,
    ),
  );
  return rows[0] ? (JSON.parse(rows[0].record) as LoggedRequest) : undefined;
}
