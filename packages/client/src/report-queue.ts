// The queue of local decisions on their way to the session's audit log: batched by count, size
// and time, one batch in flight, bounded. Nothing is dropped: a failed batch is sent again, and a
// full queue tells the session to stop deciding locally until it has drained to half. An entry is
// serialized when a batch is first cut with it, not when it is pushed (pushing is on the agent's
// hot path), and once: its text is both what counts against the batch's size and what is sent.

/** How reports are batched and bounded. */
export interface ReportQueueOptions {
  /** Entries per batch (at most the server's `MAX_LOCAL_BATCH`). */
  readonly maxBatch: number;
  /** Characters of JSON per batch (an entry larger than this goes alone). */
  readonly maxBatchChars: number;
  /** How long the first entry of a batch waits for others before the batch is sent. */
  readonly delayMs: number;
  /** Entries queued or in flight at most; at this bound the session decides nothing locally. */
  readonly maxQueued: number;
}

export interface QueuedReport<E> {
  readonly entry: E;
  /** The entry as JSON, made when its batch was cut. */
  readonly json: string;
}

interface Item<E> {
  readonly entry: E;
  /** The entry as JSON, made once when a batch is first cut with it. */
  json: string | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => Math.min(100 * 2 ** attempt, 5_000);

/** A bounded, batching, never-dropping queue of reports. */
export class ReportQueue<E> {
  readonly #items: Item<E>[] = [];
  #running = false;
  #full = false;
  #closed = false;
  readonly #idle = new Set<() => void>();
  #wakeDelay: (() => void) | undefined;

  constructor(
    /** Sends one batch; resolves once the server has recorded it, throws to be sent again. */
    readonly send: (batch: readonly QueuedReport<E>[]) => Promise<void>,
    readonly options: ReportQueueOptions,
    /** An entry as JSON: its length counts against `maxBatchChars`. */
    readonly serialize: (entry: E) => string = (entry) => JSON.stringify(entry),
  ) {}

  /** Entries not yet recorded by the server (queued or in flight). */
  get size(): number {
    return this.#items.length;
  }

  /** Whether the session may decide locally: false from the bound until drained to half. */
  get accepting(): boolean {
    return !this.#full && !this.#closed;
  }

  /** Queues a report; the caller checked `accepting` in the same tick. */
  push(entry: E): void {
    this.#items.push({ entry, json: undefined });
    if (this.#items.length >= this.options.maxQueued) this.#full = true;
    if (this.#items.length >= this.options.maxBatch) this.#wakeDelay?.();
    this.#run();
  }

  /** Resolves when every report queued so far has been recorded. */
  drained(): Promise<void> {
    if (this.#items.length === 0) return Promise.resolve();
    this.#wakeDelay?.();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Stops sending (after `dispose`); what is left is lost with the process. */
  close(): void {
    this.#closed = true;
    this.#wakeDelay?.();
  }

  #run() {
    if (this.#running || this.#closed) return;
    this.#running = true;
    void this.#loop().finally(() => {
      this.#running = false;
      if (this.#items.length > 0 && !this.#closed) this.#run();
    });
  }

  async #loop() {
    let attempt = 0;
    while (this.#items.length > 0 && !this.#closed) {
      if (attempt === 0 && this.#items.length < this.options.maxBatch && this.#idle.size === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.delayMs);
          this.#wakeDelay = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeDelay = undefined;
        if (this.#closed) return;
      }
      const batch = this.#nextBatch();
      try {
        await this.send(batch);
        attempt = 0;
      } catch {
        await sleep(backoff(attempt++));
        continue;
      }
      this.#items.splice(0, batch.length);
      if (this.#items.length <= this.options.maxQueued / 2) this.#full = false;
    }
    if (this.#items.length === 0) {
      for (const resolve of this.#idle) resolve();
      this.#idle.clear();
    }
  }

  #nextBatch(): QueuedReport<E>[] {
    const batch: QueuedReport<E>[] = [];
    let chars = 0;
    for (const item of this.#items) {
      if (batch.length >= this.options.maxBatch) break;
      item.json ??= this.serialize(item.entry);
      if (batch.length > 0 && chars + item.json.length > this.options.maxBatchChars) break;
      chars += item.json.length;
      batch.push({ entry: item.entry, json: item.json });
    }
    return batch;
  }
}
