import { describe, expect, test } from "vitest";
import { createStorageGate, StorageBusyError } from "./storage-gate.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("storage gate", () => {
  test("never runs more than its limit at once, and runs every write in arrival order", async () => {
    const gate = createStorageGate({ limit: 3, queueMs: 10_000 });
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const writes = Array.from({ length: 20 }, (_, i) =>
      gate.run(async () => {
        started.push(i);
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        return i;
      }),
    );
    while (started.length < 20) {
      await tick();
      expect(gate.load().running).toBeLessThanOrEqual(3);
      releases.shift()?.();
    }
    for (const release of releases) release();
    expect(await Promise.all(writes)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  test("refuses a write that waited past the deadline before running it, and keeps the others", async () => {
    const gate = createStorageGate({ limit: 1, queueMs: 50 });
    let release!: () => void;
    const held = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    let ran = false;
    const refused = gate.run(async () => {
      ran = true;
    });
    await expect(refused).rejects.toBeInstanceOf(StorageBusyError);
    expect(ran).toBe(false);
    expect(gate.load()).toEqual({ running: 1, waiting: 0 });
    release();
    await held;
    await gate.run(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  test("a failed write gives its slot back; a release called twice frees one slot", async () => {
    const gate = createStorageGate({ limit: 1, queueMs: 1_000 });
    await expect(gate.run(() => Promise.reject(new Error("disk")))).rejects.toThrow("disk");
    const release = await gate.acquire();
    const next = gate.acquire();
    release();
    release();
    const second = await next;
    expect(gate.load()).toEqual({ running: 1, waiting: 0 });
    second();
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });
});
