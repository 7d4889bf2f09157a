// The other face of an actor left on closed storage: RivetKit's native core retries the actor's
// state save at once, forever, and logs each failure ("failed to persist actor save tick"),
// whether or not any call reaches the actor. Those lines come from native code straight to the
// runner's standard output, where no JavaScript hook sees them: whoever reads the runner's output
// (its supervisor, scripts/cluster/runner.ts) can. storage-watch.ts decides on them.
import type { Fault, StorageWatchPolicy } from "./storage-watch.ts";

/**
 * Save ticks failed for seconds on end also when a failover moved an actor away and its old copy
 * lost its storage (bursts of hundreds of lines, over for good within 17 s in the cluster runs of
 * 2026-12-03); a leftover failed for minutes (three to four hundred lines a second). So here a
 * leftover is one actor generation whose save ticks kept failing for 20 s.
 */
export const SAVE_TICK_POLICY: StorageWatchPolicy = {
  count: 20,
  windowMs: 30_000,
  minSpanMs: 20_000,
};

const SAVE_TICK =
  /^ts=(\S+) level=error message="failed to persist actor save tick" .*?actor (\w+) generation (\d+)/;

/** The fault a line of a runner's output reports, if it is a failed save tick. */
export function faultOfLogLine(line: string): Fault | undefined {
  const match = SAVE_TICK.exec(line);
  if (!match) return undefined;
  const at = Date.parse(match[1] as string);
  if (Number.isNaN(at)) return undefined;
  // By generation: the engine's next start of the same actor is a new copy, healthy or not.
  return { actorId: `${match[2]}/${match[3]}`, code: "save_tick", at };
}
