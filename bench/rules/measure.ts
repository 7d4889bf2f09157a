/** A measured function: given a running call number, it makes one call and returns its result. */
export type Measured = (n: number) => unknown;

/** How long to warm up and how to sample. */
export interface MeasureOptions {
  /** Time spent calling each function before measuring, so that the JIT has optimised it. */
  readonly warmupMs?: number;
  /** Rounds over all the functions; interleaving spreads a noisy neighbour over all of them. */
  readonly rounds?: number;
  /** Batches timed per function and round; the result is the median of all batches. */
  readonly samplesPerRound?: number;
  /** Calls per batch are doubled until a batch takes at least this long. */
  readonly minBatchNs?: number;
}

/** Times `size` calls; each result is checked, so that no measured call is dead code. */
function timeBatch(fn: Measured, size: number, start: number): number {
  let missing = 0;
  const begin = process.hrtime.bigint();
  for (let i = 0; i < size; i++) if (fn(start + i) === undefined) missing++;
  const elapsed = Number(process.hrtime.bigint() - begin);
  if (missing > 0) throw new Error("a measured function must return its result");
  return elapsed;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * Median nanoseconds per call of each function: warm each up, size its batch so that the
 * clock's resolution does not matter, then time batches in interleaved rounds.
 */
export function measureMedians<K extends string>(
  functions: Readonly<Record<K, Measured>>,
  options: MeasureOptions = {},
): Record<K, number> {
  const { warmupMs = 300, rounds = 10, samplesPerRound = 30, minBatchNs = 100_000 } = options;
  const names = Object.keys(functions) as K[];
  const state = names.map((name) => ({
    name,
    fn: functions[name],
    size: 1,
    n: 0,
    perCall: [] as number[],
  }));

  for (const entry of state) {
    const warmupEnd = performance.now() + warmupMs;
    while (performance.now() < warmupEnd) {
      timeBatch(entry.fn, 16, entry.n);
      entry.n += 16;
    }
    while (timeBatch(entry.fn, entry.size, entry.n) < minBatchNs) {
      entry.n += entry.size;
      entry.size *= 2;
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const entry of state) {
      for (let s = 0; s < samplesPerRound; s++) {
        entry.perCall.push(timeBatch(entry.fn, entry.size, entry.n) / entry.size);
        entry.n += entry.size;
      }
    }
  }
  const result = {} as Record<K, number>;
  for (const entry of state) result[entry.name] = median(entry.perCall);
  return result;
}
