/**
 * A runner-wide bound on Warden's storage work in flight. Every SQLite commit of every actor on a
 * runner goes through the runner's one link to the engine; with 100 sessions asking at once the
 * engine's commits queued past its own timeouts, the link dropped and every actor's database
 * closed (docs/scale.md). So at most `limit` holders run at a time; the rest wait in order, and
 * one still waiting after `queueMs` is refused with `StorageBusyError` before it starts. Callers
 * take their slot before they decide anything: a refused action has changed nothing, and its
 * caller retries (the SDK treats the error as transient).
 */
export interface StorageGate {
  /** Waits for a slot; resolves with its release (idempotent), or rejects with `StorageBusyError`. */
  acquire(): Promise<() => void>;
  /** Runs `work` holding a slot. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Holders now, and callers waiting now. */
  load(): { readonly running: number; readonly waiting: number };
}

export interface StorageGateOptions {
  /** Holders at once. */
  readonly limit: number;
  /** How long a caller may wait for a slot before it is refused. */
  readonly queueMs: number;
}

/** Refused before it started: the runner's storage work is saturated; retry later. */
export class StorageBusyError extends Error {
  override readonly name = "StorageBusyError";
}

export function createStorageGate({ limit, queueMs }: StorageGateOptions): StorageGate {
  if (!(limit >= 1)) throw new Error(`a storage gate needs a limit of at least 1, not ${limit}`);
  let running = 0;
  const waiting: { readonly start: () => void; readonly timer: ReturnType<typeof setTimeout> }[] =
    [];
  const releaser = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next) {
        // The slot passes straight on: nobody arriving meanwhile can jump the queue.
        clearTimeout(next.timer);
        next.start();
      } else {
        running -= 1;
      }
    };
  };
  const acquire = () =>
    new Promise<() => void>((resolve, reject) => {
      if (running < limit) {
        running += 1;
        resolve(releaser());
        return;
      }
      const entry = {
        start: () => resolve(releaser()),
        timer: setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(
            new StorageBusyError(
              `storage busy: ${running} in flight and ${waiting.length + 1} waiting; refused after ${queueMs} ms`,
            ),
          );
        }, queueMs),
      };
      waiting.push(entry);
    });
  return {
    acquire,
    async run(work) {
      const release = await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
    load: () => ({ running, waiting: waiting.length }),
  };
}
