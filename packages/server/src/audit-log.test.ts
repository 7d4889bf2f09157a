// The audit log's table against a real SQLite (Node's node:sqlite): a session gets it with its
// first row, in that row's transaction, not from a migration of its own (one storage commit less
// per session created); until then every read finds an empty log.
import { DatabaseSync } from "node:sqlite";
import type { RawAccess } from "rivetkit/db";
import { describe, expect, test } from "vitest";
import {
  appendToAuditLog,
  findLoggedPermission,
  findLoggedRequests,
  hasUnindexed,
  type LoggedRequest,
  listLoggedPermissionIds,
  listLoggedRequestIds,
  listUnindexed,
  migrateAuditLog,
  readAuditLog,
  readLogCounters,
} from "./audit-log.ts";

/** A RawAccess over an in-memory SQLite database. */
function sqlite() {
  const database = new DatabaseSync(":memory:");
  const access: RawAccess = {
    execute: async (sql: string, ...args: unknown[]) =>
      database.prepare(sql).all(...(args as never[])) as never,
    transaction: async (callback) => {
      database.exec("BEGIN");
      try {
        const result = await callback(access);
        database.exec("COMMIT");
        return result;
      } catch (error) {
        database.exec("ROLLBACK");
        throw error;
      }
    },
    close: async () => database.close(),
  };
  const tables = () =>
    (
      database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[]
    ).map((row) => row.name);
  return { access, database, tables };
}

const record = (seq: number) =>
  ({
    seq,
    permissionId: `perm_${seq}`,
    requestId: `req-${seq}`,
    requestedBy: "agent-1",
    projectId: "p1",
    sessionId: "s1",
    toolName: "Read",
    input: { file_path: "a" },
    status: "resolved",
  }) as unknown as LoggedRequest;

describe("the audit log's table", () => {
  test("a new session's migration creates nothing, and every read finds an empty log", async () => {
    const { access, tables } = sqlite();
    await migrateAuditLog(access);
    expect(tables()).toEqual([]);
    await expect(readLogCounters(access)).resolves.toEqual({
      seq: 0,
      turns: 0,
      costUsd: 0,
      rows: 0,
    });
    await expect(listUnindexed(access, 10)).resolves.toEqual([]);
    await expect(hasUnindexed(access)).resolves.toBe(false);
    await expect(listLoggedPermissionIds(access, ["perm_1"])).resolves.toEqual(new Set());
    await expect(listLoggedRequestIds(access)).resolves.toEqual([]);
    await expect(readAuditLog(access, { limit: 10 })).resolves.toEqual([]);
    await expect(findLoggedRequests(access, "req-1")).resolves.toEqual([]);
    await expect(findLoggedPermission(access, "perm_1")).resolves.toBeUndefined();
  });

  test("the first row brings the table in its own transaction", async () => {
    const { access, tables } = sqlite();
    await migrateAuditLog(access);
    await appendToAuditLog(access, [record(1)], { turns: 2, costUsd: 0.5 });
    expect(tables()).toEqual(["history"]);
    await expect(readLogCounters(access)).resolves.toEqual({
      seq: 1,
      turns: 2,
      costUsd: 0.5,
      rows: 1,
    });
    await expect(listUnindexed(access, 10)).resolves.toEqual([record(1)]);
    await appendToAuditLog(access, [record(2)], { turns: 3, costUsd: 0.5 });
    await expect(listLoggedRequestIds(access)).resolves.toEqual([
      { requestedBy: "agent-1", requestId: "req-1" },
      { requestedBy: "agent-1", requestId: "req-2" },
    ]);
  });

  test("a request id used by two requesters finds both rows, each with its requester", async () => {
    const { access } = sqlite();
    const theirs = { ...record(2), requestId: "req-1", requestedBy: "agent-2" } as LoggedRequest;
    await appendToAuditLog(access, [record(1), theirs], { turns: 2, costUsd: 0 });
    await expect(findLoggedRequests(access, "req-1")).resolves.toEqual([record(1), theirs]);
    await expect(listLoggedRequestIds(access)).resolves.toEqual([
      { requestedBy: "agent-1", requestId: "req-1" },
      { requestedBy: "agent-2", requestId: "req-1" },
    ]);
  });

  test("a table made before later columns is upgraded on wake", async () => {
    const { access, database } = sqlite();
    database.exec(`CREATE TABLE history (
      seq INTEGER PRIMARY KEY, permission_id TEXT NOT NULL UNIQUE, request_id TEXT NOT NULL,
      record TEXT NOT NULL)`);
    database
      .prepare("INSERT INTO history (seq, permission_id, request_id, record) VALUES (?, ?, ?, ?)")
      .run(1, "perm_1", "req-1", JSON.stringify(record(1)));
    await migrateAuditLog(access);
    // Logged before the column existed: counts as indexed, not sent again.
    await expect(hasUnindexed(access)).resolves.toBe(false);
    await expect(readLogCounters(access)).resolves.toMatchObject({ seq: 1, turns: 0, rows: 1 });
  });

  test("any other error of a read is the caller's", async () => {
    const { access, database } = sqlite();
    database.exec("CREATE TABLE history (seq INTEGER PRIMARY KEY)");
    await expect(listLoggedRequestIds(access)).rejects.toThrow(/no such column/);
  });

  test("a log that cannot be read fails the read: it is never taken for an empty one", async () => {
    const broken: RawAccess = {
      execute: async () => {
        throw new Error("An internal error occurred");
      },
      transaction: async () => {
        throw new Error("An internal error occurred");
      },
      close: async () => undefined,
    };
    await expect(readLogCounters(broken)).rejects.toThrow(/internal error/);
    await expect(hasUnindexed(broken)).rejects.toThrow(/internal error/);
  });
});
