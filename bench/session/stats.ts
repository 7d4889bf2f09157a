/** Median and 99th percentile of a set of samples, in the samples' unit. */
export interface Summary {
  readonly median: number;
  readonly p99: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, p99: at(0.99) };
}

/** One timed operation: resolves with the milliseconds it took (see `timed`). */
export type Trial = (i: number) => Promise<number>;

/** A trial timed from its call to its end. */
export const timed =
  (operation: (i: number) => Promise<unknown>): Trial =>
  async (i) => {
    const start = performance.now();
    await operation(i);
    return performance.now() - start;
  };

/** How many timed iterations follow how many untimed ones, and how many failed trials to redo. */
export interface Plan {
  readonly iterations: number;
  readonly warmup: number;
  /** Failed trials (e.g. a connection the engine dropped) redone before giving up; default 5. */
  readonly tolerate?: number;
}

/**
 * Runs each trial `warmup + iterations` times, alternating between them on every iteration so that
 * load from other processes falls on all of them alike. A failed trial is reported to `onFailure`
 * and run again, up to `plan.tolerate` times in all. Returns each trial's samples in ms.
 */
export async function interleave<K extends string>(
  trials: Record<K, Trial>,
  plan: Plan,
  onFailure: (trial: K, error: unknown) => void = () => {},
): Promise<Record<K, number[]>> {
  const names = Object.keys(trials) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  let failures = 0;
  for (let i = 0; i < plan.warmup + plan.iterations; i++) {
    // Rotate the order too, so no trial always runs right after the same other one.
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]!;
      for (;;) {
        try {
          const ms = await trials[name](i);
          if (i >= plan.warmup) samples[name].push(ms);
          break;
        } catch (error) {
          if (++failures > (plan.tolerate ?? 5)) throw error;
          onFailure(name, error);
        }
      }
    }
  }
  return samples;
}

/** Rejects if `promise` takes longer than `ms`, naming what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
