// Reads a runner's output for an actor whose save ticks keep failing (storage-log.ts), for those
// who hold that output: compose's output watch (output-watch.ts) and the cluster supervisor
// (scripts/cluster/runner.ts). Calls `onLeftover` once, with the line to log.

import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { faultOfLogLine, SAVE_TICK_POLICY } from "./storage-log.ts";
import { describeLeftover, EMPTY_STORAGE_WATCH, noteFault } from "./storage-watch.ts";

export function watchSaveTicks(
  streams: readonly (Readable | null)[],
  onLeftover: (description: string) => void,
): void {
  let faults = EMPTY_STORAGE_WATCH;
  let found = false;
  for (const stream of streams) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
      const fault = faultOfLogLine(line);
      if (!fault || found) return;
      const noted = noteFault(faults, fault, SAVE_TICK_POLICY);
      faults = noted.state;
      if (noted.verdict.kind === "watch") return;
      found = true;
      onLeftover(`${describeLeftover(noted.verdict)} (save ticks)`);
    });
  }
}
