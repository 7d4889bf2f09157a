import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { WardenError } from "./errors.ts";
import { withRetry } from "./retry.ts";

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
