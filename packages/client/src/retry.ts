import { isTransient, toWardenError, WardenError } from "./errors.ts";

/** How long to keep retrying a call through a server restart, and how fast. */
export interface RetryPolicy {
  /**
   * Give up once the call has kept failing for this long (ms), counted from its first failure.
   * Default: 120 s, longer than RivetKit's recovery window.
   */
  readonly deadlineMs?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Options of one retried call. */
export interface RetryOptions {
  readonly signal?: AbortSignal | undefined;
  /** Give up on one attempt after this long and try again (only for idempotent calls). */
  readonly attemptTimeoutMs?: number | undefined;
}

/**
 * How an approver's reply is retried: its attempts are bounded tighter than reads'. A reply sent
 * to a runner that then dies gets no answer at all (the engine's gateway holds it), and a resend
 * is harmless (the same reply id gets the original answer); the actor is back on another runner
 * ~10 s after such a death (docs/deploy.md). With reads' 30 s, replies in flight at a runner's
 * SIGKILL landed ~30 s late in the cluster test.
 */
export const REPLY_BOUND_MS = 10_000;
/** `REPLY_BOUND_MS` for a reply sent without a live connection (a stateless call). */
export const REPLY_ATTEMPTS: RetryOptions = { attemptTimeoutMs: REPLY_BOUND_MS };

/** How long the attempt that failed with each error first waited its turn (see `afterWaiting`). */
const waits = new WeakMap<object, number>();

/**
 * The error of an attempt that first waited `waitedMs` for its turn under the client's wake bound:
 * that wait is not failure time, so `withRetry` does not count it against the deadline. Only the
 * connection's own transient errors (`unavailable`) are marked, each call with its own copy (one
 * dropped connection fails every call on it with the same error). Others are returned as they are.
 */
export function afterWaiting(error: unknown, waitedMs: number): unknown {
  if (!(error instanceof WardenError) || error.code !== "unavailable" || waitedMs <= 0)
    return error;
  const marked = new WardenError(error.code, error.message, error.metadata);
  waits.set(marked, waitedMs);
  return marked;
}

/**
 * Runs `call` until it succeeds, fails for good, the deadline passes or the signal aborts.
 *
 * The deadline counts from the first failure, not from the call: an attempt may wait a long time
 * without failing, its turn under the client's creation and wake bound (creation-gate.ts) behind
 * hundreds of other sessions. Counted from the call, one stalled wake after such a wait failed the
 * call at once, with no retry (1,000 sessions woken by one client, docs/scale.md). For the same
 * reason a retry's wait for its turn (`afterWaiting`) moves the deadline on by as long: a stalled
 * wake's retry queues behind the other sessions' wakes, and one more stall after minutes in that
 * queue must not end the call.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy = {},
  options: RetryOptions = {},
): Promise<T> {
  const { signal, attemptTimeoutMs } = options;
  const deadlineMs = policy.deadlineMs ?? 120_000;
  let deadline: number | undefined;
  let delay = policy.initialDelayMs ?? 100;
  for (;;) {
    if (signal?.aborted) throw new WardenError("aborted", "the call was aborted");
    try {
      const attempt = call();
      return await abortable(
        attemptTimeoutMs ? timeLimited(attempt, attemptTimeoutMs) : attempt,
        signal,
      );
    } catch (error) {
      if (signal?.aborted) throw new WardenError("aborted", "the call was aborted");
      if (!isTransient(error)) throw toWardenError(error);
      if (deadline === undefined) deadline = Date.now() + deadlineMs;
      else deadline += waits.get(error as object) ?? 0;
      if (Date.now() + delay > deadline) throw toWardenError(error);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, policy.maxDelayMs ?? 2_000);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Settles with `promise`, or rejects as soon as the signal aborts (the call itself runs on). */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new WardenError("aborted", "the call was aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Rejects with `unavailable` (transient) when the call takes longer than `ms`. */
function timeLimited<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new WardenError("unavailable", `no answer within ${ms} ms`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
