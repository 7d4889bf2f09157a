import type { RawAccess } from "rivetkit/db";
import type { StoredRequest } from "./types.ts";

/** A resolved request in the durable audit log, with its sequence number. */
export type LoggedRequest = StoredRequest & { readonly seq: number };

/** Creates the audit table (idempotent). */
export async function migrateAuditLog(db: RawAccess): Promise<void> {
  await db.execute(`CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY,
    permission_id TEXT NOT NULL UNIQUE,
    request_id TEXT NOT NULL,
    record TEXT NOT NULL
  )`);
  await db.execute("CREATE INDEX IF NOT EXISTS history_request_id ON history (request_id)");
}

/** Rows per INSERT: four parameters each, well under SQLite's limit of 999. */
const ROWS_PER_INSERT = 100;

/**
 * Appends resolved requests in one transaction (one commit to the engine, however many
 * statements), one statement per hundred; entries already present are left as they are.
 */
export async function appendToAuditLog(
  db: RawAccess,
  records: readonly LoggedRequest[],
): Promise<void> {
  await db.transaction(
    async (tx) => {
      for (let start = 0; start < records.length; start += ROWS_PER_INSERT) {
        const rows = records.slice(start, start + ROWS_PER_INSERT);
        await tx.execute(
          `INSERT OR IGNORE INTO history (seq, permission_id, request_id, record) VALUES ${rows.map(() => "(?, ?, ?, ?)").join(", ")}`,
          ...rows.flatMap((record) => [
            record.seq,
            record.permissionId,
            record.requestId,
            JSON.stringify(record),
          ]),
        );
      }
    },
    { name: "audit_append" },
  );
}

/** Every request id in the log. */
export async function listLoggedRequestIds(db: RawAccess): Promise<string[]> {
  const rows = await db.execute<{ request_id: string }>("SELECT request_id FROM history");
  return rows.map((row) => row.request_id);
}

/** One page of the log, newest first. */
export async function readAuditLog(
  db: RawAccess,
  options: { before?: number; limit: number },
): Promise<LoggedRequest[]> {
  const rows = await db.execute<{ record: string }>(
    "SELECT record FROM history WHERE seq < ? ORDER BY seq DESC LIMIT ?",
    options.before ?? Number.MAX_SAFE_INTEGER,
    options.limit,
  );
  return rows.map((row) => JSON.parse(row.record) as LoggedRequest);
}

/** Finds a logged request by the agent's request id. */
export async function findLoggedRequest(
  db: RawAccess,
  requestId: string,
): Promise<LoggedRequest | undefined> {
  const rows = await db.execute<{ record: string }>(
    "SELECT record FROM history WHERE request_id = ? LIMIT 1",
    requestId,
  );
  return rows[0] ? (JSON.parse(rows[0].record) as LoggedRequest) : undefined;
}

/** Finds a logged request by its permission id. */
export async function findLoggedPermission(
  db: RawAccess,
  permissionId: string,
): Promise<LoggedRequest | undefined> {
  const rows = await db.execute<{ record: string }>(
    "SELECT record FROM history WHERE permission_id = ? LIMIT 1",
    permissionId,
  );
  return rows[0] ? (JSON.parse(rows[0].record) as LoggedRequest) : undefined;
}
