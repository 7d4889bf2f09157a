import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { WardenError } from "./errors.ts";
import { afterWaiting, withRetry } from "./retry.ts";

// withRetry's clock is `Date.now()` and its backoff `setTimeout`: both faked, so that minutes pass
// at once and no test depends on how fast the machine is.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const unavailable = () => new WardenError("unavailable", "no connection within 8000 ms");

test("an attempt that waited longer than the deadline before failing is retried", async () => {
  // The first attempt waits its turn for 5 minutes (a session behind hundreds of wakes under the
  // client's bound), then its connection stalls; the retry is answered.
  let attempts = 0;
  const call = () => {
    attempts += 1;
    if (attempts > 1) return Promise.resolve("answered");
    return new Promise<string>((_resolve, reject) =>
      setTimeout(() => reject(unavailable()), 300_000),
    );
  };
  const result = withRetry(call, { deadlineMs: 120_000 });
  await vi.advanceTimersByTimeAsync(300_000 + 1_000);
  await expect(result).resolves.toBe("answered");
  expect(attempts).toBe(2);
});

test("a retry's wait for its turn does not count against the deadline", async () => {
  // The first attempt stalls; its retry waits its turn for 5 minutes (a stalled wake queued behind
  // hundreds of others under the client's bound, as the connection marks it), then stalls too;
  // the third is answered. Counted with the wait, the second failure was past the deadline.
  let attempts = 0;
  const call = () => {
    attempts += 1;
    if (attempts === 1) return Promise.reject(unavailable());
    if (attempts === 2)
      return new Promise<string>((_resolve, reject) =>
        setTimeout(() => reject(afterWaiting(unavailable(), 300_000)), 300_000 + 8_000),
      );
    return Promise.resolve("answered");
  };
  const result = withRetry(call, { deadlineMs: 120_000 });
  await vi.advanceTimersByTimeAsync(300_000 + 8_000 + 5_000);
  await expect(result).resolves.toBe("answered");
  expect(attempts).toBe(3);
});

test("a wait is marked per call, on the connection's own transient errors only", () => {
  const shared = unavailable();
  const a = afterWaiting(shared, 1_000);
  const b = afterWaiting(shared, 2_000);
  expect(a).not.toBe(shared);
  expect(a).not.toBe(b);
  expect(a).toMatchObject({ code: "unavailable", message: shared.message });
  const refusal = new WardenError("forbidden", "no");
  expect(afterWaiting(refusal, 1_000)).toBe(refusal);
  expect(afterWaiting(shared, 0)).toBe(shared);
});

test("a call that keeps failing gives up once it has failed for the deadline", async () => {
  let attempts = 0;
  let firstFailure: number | undefined;
  const call = () => {
    attempts += 1;
    firstFailure ??= Date.now();
    return Promise.reject(unavailable());
  };
  const result = withRetry(call, { deadlineMs: 10_000, maxDelayMs: 1_000 });
  const settled = result.then(
    () => "resolved",
    (error: WardenError) => ({ code: error.code, at: Date.now() }),
  );
  await vi.advanceTimersByTimeAsync(20_000);
  const outcome = await settled;
  expect(outcome).toMatchObject({ code: "unavailable" });
  const failedFor = (outcome as { at: number }).at - firstFailure!;
  expect(failedFor).toBeLessThanOrEqual(10_000);
  expect(failedFor).toBeGreaterThan(8_000);
  expect(attempts).toBeGreaterThan(5);
});

test("a refusal is not retried, however early", async () => {
  let attempts = 0;
  const call = () => {
    attempts += 1;
    return Promise.reject(new WardenError("forbidden", "no"));
  };
  await expect(withRetry(call, { deadlineMs: 120_000 })).rejects.toMatchObject({
    code: "forbidden",
  });
  expect(attempts).toBe(1);
});
