// When a runner gives up on itself because one of its actors is on closed storage (RivetKit
// 2.3.19's failed-stop leftover; @warden/server's storage-fault.ts reports each such error).
//
// One error is not enough: an action caught in its actor's stop may meet the closing storage once,
// and the actor's next generation is healthy. A leftover is different: the engine keeps sending it
// calls and every one of them fails, for as long as the process lives. So the verdict is
// "restart" once one actor failed `count` times over at least `minSpanMs` within `windowMs`: calls
// that keep failing, not one burst at the moment of a stop.

/** A closed-storage error of one actor (what storage-fault.ts reports). */
export interface Fault {
  readonly actorId: string;
  readonly code: string;
  readonly at: number;
}

export interface StorageWatchPolicy {
  /** Errors of one actor that make it a leftover… */
  readonly count: number;
  /** …within this long… */
  readonly windowMs: number;
  /** …spread over at least this long. */
  readonly minSpanMs: number;
}

/** Measured leftovers failed every call for minutes (hundreds of errors); a stop race fails one burst. */
export const STORAGE_WATCH_POLICY: StorageWatchPolicy = {
  count: 3,
  windowMs: 30_000,
  minSpanMs: 1_000,
};

/** Recent faults by actor, oldest first, none older than the window. */
export type StorageWatchState = ReadonlyMap<string, readonly Fault[]>;

export type StorageVerdict =
  | { readonly kind: "watch" }
  | { readonly kind: "restart"; readonly actorId: string; readonly faults: readonly Fault[] };

export const EMPTY_STORAGE_WATCH: StorageWatchState = new Map();

/** Adds a fault and says whether its actor is now a leftover that only a restart removes. */
export function noteFault(
  state: StorageWatchState,
  fault: Fault,
  policy: StorageWatchPolicy = STORAGE_WATCH_POLICY,
): { state: StorageWatchState; verdict: StorageVerdict } {
  const since = fault.at - policy.windowMs;
  const next = new Map<string, readonly Fault[]>();
  for (const [actorId, faults] of state) {
    const recent = faults.filter((f) => f.at > since);
    if (recent.length > 0) next.set(actorId, recent);
  }
  // A leftover fails hundreds of calls a second: keep the oldest (for the span) and the newest.
  let mine = [...(next.get(fault.actorId) ?? []), fault];
  if (mine.length > policy.count) mine = [mine[0] as Fault, ...mine.slice(1 - policy.count)];
  next.set(fault.actorId, mine);
  const first = mine[0] as Fault;
  const leftover = mine.length >= policy.count && fault.at - first.at >= policy.minSpanMs;
  return {
    state: next,
    verdict: leftover
      ? { kind: "restart", actorId: fault.actorId, faults: mine }
      : { kind: "watch" },
  };
}

/** One line for the log: which actor, how many errors (the last few kept) of which codes, over how long. */
export function describeLeftover(verdict: Extract<StorageVerdict, { kind: "restart" }>): string {
  const codes = [...new Set(verdict.faults.map((f) => f.code))].join(", ");
  const first = verdict.faults[0] as Fault;
  const last = verdict.faults[verdict.faults.length - 1] as Fault;
  const seconds = ((last.at - first.at) / 1000).toFixed(1);
  return `actor ${verdict.actorId} is on closed storage: storage errors (${codes}) for ${seconds} s`;
}
