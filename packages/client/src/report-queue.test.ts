import { describe, expect, test } from "vitest";
import { type QueuedReport, ReportQueue, type ReportQueueOptions } from "./report-queue.ts";

const OPTIONS: ReportQueueOptions = { maxBatch: 4, maxBatchChars: 100, delayMs: 5, maxQueued: 10 };

/** A receiver that records batches and can be held closed or made to fail. */
function receiver() {
  const batches: number[][] = [];
  let failures = 0;
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  return {
    batches,
    fail(times: number) {
      failures = times;
    },
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
    send: async (batch: readonly QueuedReport<number>[]) => {
      await gate;
      if (failures > 0) {
        failures -= 1;
        throw new Error("unavailable");
      }
      batches.push(batch.map((item) => item.entry));
    },
  };
}

describe("the report queue", () => {
  test("batches by count and delivers every entry once, in order", async () => {
    const r = receiver();
    const queue = new ReportQueue(r.send, OPTIONS);
    for (let i = 0; i < 9; i++) queue.push(i);
    await queue.drained();
    expect(r.batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8]]);
    expect(queue.size).toBe(0);
  });

  test("batches by size: an entry larger than a batch goes alone", async () => {
    const r = receiver();
    const sizes = [60, 60, 500, 10];
    const queue = new ReportQueue(r.send, OPTIONS, (i) => "x".repeat(sizes[i]!));
    for (let i = 0; i < 4; i++) queue.push(i);
    await queue.drained();
    expect(r.batches).toEqual([[0], [1], [2], [3]]);
  });

  test("entries are serialized when a batch is cut, once each, never on push", async () => {
    const r = receiver();
    r.fail(2);
    const measured: number[] = [];
    const queue = new ReportQueue(r.send, OPTIONS, (i) => {
      measured.push(i);
      return String(i);
    });
    for (let i = 0; i < 6; i++) queue.push(i);
    expect(measured).toEqual([]);
    await queue.drained();
    expect(r.batches.flat()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(measured.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test("each entry is sent with its JSON, made by the serializer", async () => {
    const sent: string[] = [];
    const queue = new ReportQueue(async (batch: readonly QueuedReport<{ n: number }>[]) => {
      sent.push(...batch.map((item) => item.json));
    }, OPTIONS);
    queue.push({ n: 1 });
    queue.push({ n: 2 });
    await queue.drained();
    expect(sent).toEqual(['{"n":1}', '{"n":2}']);
  });

  test("a failed batch is sent again, never dropped", async () => {
    const r = receiver();
    r.fail(3);
    const queue = new ReportQueue(r.send, OPTIONS);
    for (let i = 0; i < 3; i++) queue.push(i);
    await queue.drained();
    expect(r.batches.flat()).toEqual([0, 1, 2]);
  });

  test("stops accepting at the bound and accepts again once drained to half", async () => {
    const r = receiver();
    r.hold();
    const queue = new ReportQueue(r.send, OPTIONS);
    for (let i = 0; i < 9; i++) queue.push(i);
    expect(queue.accepting).toBe(true);
    queue.push(9);
    expect(queue.accepting).toBe(false);
    // Pushed anyway (a caller that checked before the bound): kept, not dropped.
    queue.push(10);
    expect(queue.size).toBe(11);
    r.release();
    await expect.poll(() => queue.size <= 5).toBe(true);
    expect(queue.accepting).toBe(true);
    await queue.drained();
    expect(r.batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test("after close nothing more is sent", async () => {
    const r = receiver();
    r.hold();
    const queue = new ReportQueue(r.send, { ...OPTIONS, delayMs: 1_000 });
    queue.push(1);
    queue.close();
    r.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.batches).toEqual([]);
    expect(queue.accepting).toBe(false);
  });
});
