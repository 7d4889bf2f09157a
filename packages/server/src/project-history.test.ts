import { expect, test } from "vitest";
import type { LoggedRequest } from "./audit-log.ts";
import {
  historyBatch,
  historyEntryOf,
  MAX_HISTORY_BATCH_BYTES,
  type ProjectHistoryEntry,
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
