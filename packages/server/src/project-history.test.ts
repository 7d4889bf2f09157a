import { DatabaseSync } from "node:sqlite";
import type { RawAccess } from "rivetkit/db";
import { expect, test } from "vitest";
import type { LoggedRequest } from "./audit-log.ts";
import {
  appendProjectHistory,
  historyBatch,
  historyEntryOf,
  MAX_HISTORY_BATCH_BYTES,
  migrateProjectHistory,
  type ProjectHistoryEntry,
  readProjectHistory,
} from "./project-history.ts";

const sized = (id: string, bytes: number) =>
  ({ permissionId: id, input: { text: "x".repeat(bytes) } }) as unknown as ProjectHistoryEntry;

test("a history entry drops what repeats the record or matters only while pending", () => {
  const record = {
    permissionId: "p",
    input: { a: 1 },
    params: { a: 1 },
    action: "Use tool T",
    description: "Use tool T",
    suggestions: [{ tool: "T", behavior: "allow" }],
    seq: 3,
  } as unknown as LoggedRequest;
  expect(historyEntryOf(record)).toEqual({
    permissionId: "p",
    input: { a: 1 },
    action: "Use tool T",
    seq: 3,
  });
});

test("a batch stays within its byte budget, and an entry larger than it goes alone", () => {
  const quarter = MAX_HISTORY_BATCH_BYTES / 4;
  const entries = ["a", "b", "c", "d", "e"].map((id) => sized(id, quarter - 100));
  expect(historyBatch(entries).map((e) => e.permissionId)).toEqual(["a", "b", "c", "d"]);
  const huge = [sized("big", MAX_HISTORY_BATCH_BYTES * 2), sized("next", 10)];
  expect(historyBatch(huge).map((e) => e.permissionId)).toEqual(["big"]);
  expect(historyBatch([])).toEqual([]);
});

test("two agents of a session using one request id keep two entries; a resend adds none", async () => {
  const database = new DatabaseSync(":memory:");
  const db = {
    execute: async (sql: string, ...args: unknown[]) =>
      database.prepare(sql).all(...(args as never[])) as never,
  } as unknown as RawAccess;
  await migrateProjectHistory(db);
  const entry = (permissionId: string, requestedBy: string) =>
    ({
      sessionId: "s1",
      requestId: "call_0",
      permissionId,
      requestedBy,
      createdAt: 1,
      resolution: { resolvedAt: 2 },
    }) as unknown as ProjectHistoryEntry;
  const mine = entry("perm_1_a", "agent-1");
  const theirs = entry("perm_2_b", "agent-2");
  await expect(appendProjectHistory(db, [theirs])).resolves.toBe(1);
  await expect(appendProjectHistory(db, [mine, theirs])).resolves.toBe(1);
  const page = await readProjectHistory(db, { sessions: "*" }, {});
  expect(page.entries.map((e) => e.permissionId).sort()).toEqual(["perm_1_a", "perm_2_b"]);
});
