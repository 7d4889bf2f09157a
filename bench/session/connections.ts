import { within } from "./stats.ts";

/** Longest any single event or answer may take before the bench gives up. */
export const PATIENCE_MS = 30_000;

/** Awaits an action, failing with its name rather than hanging if no answer comes. */
export const call = <T>(what: string, promise: Promise<T>) => within(promise, PATIENCE_MS, what);

/** When the last expected receiver got an event, and the event. */
export interface Arrival<T> {
  readonly at: number;
  readonly event: T;
}

/**
 * Counts the receivers of each event id. Subscribers call `note` from a handler registered once
 * (`conn.on`): subscribing per event with `once` races the action that triggers the event.
 */
export class Arrivals<T> {
  readonly #waiting = new Map<string, { left: number; done: (arrival: Arrival<T>) => void }>();

  /** Resolves when `receivers` subscribers have noted `id`. Call before triggering the event. */
  expect(id: string, receivers: number, patienceMs = PATIENCE_MS): Promise<Arrival<T>> {
    const last = within(
      new Promise<Arrival<T>>((done) => this.#waiting.set(id, { left: receivers, done })),
      patienceMs,
      `event ${id} to ${receivers} receivers`,
    );
    last.catch(() => this.#waiting.delete(id));
    return last;
  }

  note(id: string, event: T): void {
    const at = performance.now();
    const entry = this.#waiting.get(id);
    if (!entry) return;
    entry.left -= 1;
    if (entry.left === 0) {
      this.#waiting.delete(id);
      entry.done({ at, event });
    }
  }
}

/** Runs `attempt` until it succeeds, at most `attempts` times. */
export async function retry<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= attempts) throw error;
      if (process.env.WARDEN_BENCH_DEBUG === "1")
        process.stderr.write(
          `    retrying after: ${error instanceof Error ? error.message : String(error)}\n`,
        );
    }
  }
}

interface Disposable {
  dispose(): Promise<unknown>;
}

export async function closeAll(conns: readonly Disposable[]): Promise<void> {
  await Promise.all(conns.map((conn) => within(conn.dispose(), 10_000, "dispose").catch(() => {})));
}

/**
 * Opens `count` connections, ten at a time, each answering its first action before the next batch
 * starts: a hundred opened at once to a new actor took seconds and some dropped. A batch that fails
 * (a busy engine can time out resolving a route) is closed and opened again. Events subscribed in
 * `open` before the first action are being received once it answers.
 */
export async function openConnections<C extends Disposable>(
  count: number,
  open: () => { conn: C; ready: () => Promise<unknown> },
): Promise<C[]> {
  const conns: C[] = [];
  for (let start = 0; start < count; start += 10) {
    const size = Math.min(10, count - start);
    const batch = await retry(async () => {
      const opened = Array.from({ length: size }, open);
      try {
        await call("opening connections", Promise.all(opened.map((entry) => entry.ready())));
        return opened.map((entry) => entry.conn);
      } catch (error) {
        await closeAll(opened.map((entry) => entry.conn));
        throw error;
      }
    });
    conns.push(...batch);
  }
  return conns;
}

/** Opens one connection as `openConnections` does. */
export async function openConnection<C extends Disposable>(
  open: () => { conn: C; ready: () => Promise<unknown> },
): Promise<C> {
  const [conn] = await openConnections(1, open);
  return conn!;
}
