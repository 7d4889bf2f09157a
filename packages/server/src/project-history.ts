// The project's history index: every resolved request of every session of a project, in the
// project actor's SQLite, so that reading a project's history wakes no session. Sessions append
// to it in batches (through their inbox delivery, at least once); it is idempotent by
// (session, request id) and keeps the newest `MAX_PROJECT_HISTORY` entries.
import type { RawAccess } from "rivetkit/db";
import { z } from "zod";
import type { LoggedRequest } from "./audit-log.ts";
import type { Principal } from "./auth.ts";
import { IdSchema } from "./schema.ts";

/** Entries a project keeps (oldest arrivals dropped first); each session's audit log keeps all. */
export const MAX_PROJECT_HISTORY = 20_000;

/** Rows per INSERT: six parameters each, well under SQLite's limit of 999. */
const ROWS_PER_INSERT = 100;

/**
 * One entry of the project's history, as a session sends it and as readers get it: the audit
 * record without what repeats it (`params`, `description`) or matters only while it is pending
 * (`suggestions`).
 */
export type ProjectHistoryEntry = Omit<LoggedRequest, "params" | "description" | "suggestions">;

/** The history entry of an audit record. */
export function historyEntryOf(record: LoggedRequest): ProjectHistoryEntry {
  const {
    params: _params,
    description: _description,
    suggestions: _suggestions,
    ...entry
  } = record;
  return entry;
}

/** JSON bytes of history one report carries at most (a larger single entry goes alone). */
export const MAX_HISTORY_BATCH_BYTES = 96 * 1024;

/** The longest prefix of `entries` within `MAX_HISTORY_BATCH_BYTES`, and at least one entry. */
export function historyBatch(entries: readonly ProjectHistoryEntry[]): ProjectHistoryEntry[] {
  let bytes = 0;
  const batch: ProjectHistoryEntry[] = [];
  for (const entry of entries) {
    bytes += JSON.stringify(entry).length;
    if (batch.length > 0 && bytes > MAX_HISTORY_BATCH_BYTES) break;
    batch.push(entry);
  }
  return batch;
}

/** A position in the project's history: entries strictly older than it come next. */
const CursorSchema = z.string().regex(/^\d{1,16}\.\d{1,16}$/, "a cursor from nextBefore");

export const ProjectHistoryQuerySchema = z
  .strictObject({
    /** The `nextBefore` of the previous page. */
    before: CursorSchema.optional(),
    limit: z.number().int().min(1).max(500).optional(),
    /** Only this session's entries. */
    sessionId: IdSchema.optional(),
  })
  .default({});
export type ProjectHistoryQuery = z.input<typeof ProjectHistoryQuerySchema>;

/** One page, newest resolution first; `nextBefore` continues it, null at the end. */
export interface ProjectHistoryPage {
  readonly entries: ProjectHistoryEntry[];
  readonly nextBefore: string | null;
}

/** Creates the index (idempotent). `at` is the resolution time; `seq` the arrival order. */
export async function migrateProjectHistory(db: RawAccess): Promise<void> {
  await db.execute(`CREATE TABLE IF NOT EXISTS project_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    record TEXT NOT NULL,
    UNIQUE (session_id, request_id)
  )`);
  await db.execute("CREATE INDEX IF NOT EXISTS project_history_at ON project_history (at, seq)");
  await db.execute(
    "CREATE INDEX IF NOT EXISTS project_history_session ON project_history (session_id, at, seq)",
  );
}

/**
 * Appends resolved requests; one already present (a resent batch) is left as it is. Then drops
 * the arrivals older than the newest `keep`. Run it inside the save's transaction. Returns how many
 * were new.
 */
export async function appendProjectHistory(
  tx: RawAccess,
  entries: readonly ProjectHistoryEntry[],
  keep = MAX_PROJECT_HISTORY,
): Promise<number> {
  if (entries.length === 0) return 0;
  let added = 0;
  for (let start = 0; start < entries.length; start += ROWS_PER_INSERT) {
    const rows = entries.slice(start, start + ROWS_PER_INSERT);
    await tx.execute(
      `INSERT OR IGNORE INTO project_history (session_id, request_id, at, record) VALUES ${rows.map(() => "(?, ?, ?, ?)").join(", ")}`,
      ...rows.flatMap((entry) => [
        entry.sessionId,
        // The column's key is the permission id, one per audit row: request ids are per
        // requester, so another agent of the session using the same id must neither drop nor
        // hide this entry (docs/architecture.md, seventh attack pass). Rows of earlier versions
        // hold their request id.
        entry.permissionId,
        entry.resolution?.resolvedAt ?? entry.createdAt,
        JSON.stringify(entry),
      ]),
    );
    const [changed] = await tx.execute<{ n: number }>("SELECT changes() AS n");
    added += Number(changed?.n ?? 0);
  }
  // By arrival number: a range delete on the primary key, however large the index.
  await tx.execute(
    "DELETE FROM project_history WHERE seq <= (SELECT MAX(seq) FROM project_history) - ?",
    keep,
  );
  return added;
}

/**
 * One page of the project's history, newest resolution first, ties by arrival. Only sessions the
 * principal may reach are read. The cursor names a position, not an offset: entries that arrive
 * meanwhile never shift a page, so paging sees every older entry once.
 */
export async function readProjectHistory(
  db: RawAccess,
  principal: Pick<Principal, "sessions">,
  query: z.output<typeof ProjectHistoryQuerySchema>,
): Promise<ProjectHistoryPage> {
  const { before, limit = 50, sessionId } = query;
  const [at, seq] = before ? before.split(".").map(Number) : [Number.MAX_SAFE_INTEGER, 0];
  const where = ["(at < ? OR (at = ? AND seq < ?))"];
  const args: unknown[] = [at, at, before ? seq : Number.MAX_SAFE_INTEGER];
  if (sessionId !== undefined) {
    where.push("session_id = ?");
    args.push(sessionId);
  }
  if (principal.sessions !== "*") {
    where.push("session_id IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(principal.sessions));
  }
  const rows = await db.execute<{ seq: number; at: number; record: string }>(
    `SELECT seq, at, record FROM project_history WHERE ${where.join(" AND ")} ORDER BY at DESC, seq DESC LIMIT ?`,
    ...args,
    limit,
  );
  const last = rows.at(-1);
  return {
    entries: rows.map((row) => JSON.parse(row.record) as ProjectHistoryEntry),
    nextBefore: rows.length === limit && last ? `${last.at}.${last.seq}` : null,
  };
}
