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

/** Appends resolved requests; entries already present are left as they are. */
export async function appendToAuditLog(
  db: RawAccess,
  records: readonly LoggedRequest[],
): Promise<void> {
  for (const record of records) {
    await db.execute(
      "INSERT OR IGNORE INTO history (seq, permission_id, request_id, record) VALUES (?, ?, ?, ?)",
      record.seq,
      record.permissionId,
      record.requestId,
      JSON.stringify(record),
    );
  }
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
