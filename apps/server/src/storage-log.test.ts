import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { faultOfLogLine, SAVE_TICK_POLICY } from "./storage-log.ts";
import { EMPTY_STORAGE_WATCH, type Fault, noteFault } from "./storage-watch.ts";

// Real lines of runners' output from the cluster test runs of 2026-12-03 (each cut after the actor
// and its generation, one in 100 or one in 10 kept): a leftover's save ticks
// (/tmp/warden-cluster-NYPy74/runner-1.log: actor p6txmivy… generation 3 failed 87,661 times from
// 19:52:41 to 19:56:11) and two bursts that ended by themselves (warden-cluster-lRjUpw runner-2,
// 15 s; warden-cluster-wv3HTv runner-2, 17 s).
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../tests/fixtures", name), "utf8").split("\n");

function firstRestart(lines: readonly string[]): { fault?: Fault; first?: Fault } {
  let state = EMPTY_STORAGE_WATCH;
  let first: Fault | undefined;
  for (const line of lines) {
    const fault = faultOfLogLine(line);
    if (!fault) continue;
    first ??= fault;
    const noted = noteFault(state, fault, SAVE_TICK_POLICY);
    state = noted.state;
    if (noted.verdict.kind === "restart") return { fault, first };
  }
  return { first };
}

describe("faultOfLogLine", () => {
  test("reads the actor, its generation and the time of a failed save tick", () => {
    const [line] = fixture("save-ticks-leftover.txt");
    expect(faultOfLogLine(line as string)).toEqual({
      actorId: "p6txmivyvrgglvtecducz195cqbl00/3",
      code: "save_tick",
      at: Date.parse("2026-12-03T19:52:41.921839005Z"),
    });
  });

  test("other lines are no fault, a closed coordinator at an actor's normal stop included", () => {
    for (const line of [
      'ts=2026-12-04T04:23:03.822069519Z level=error message="sqlite operation failed" actor_id=927hvflvgyrh7znllhoihhd7iqbl00 generation=Some(1) backend=LocalNative operation=query sql="SELECT MIN(trigger_at) FROM _rivet_schedule_events" binding_count=0 statement_count=1 group=sqlite code=transaction_closed error_message="SQLite transaction coordinator is closed."',
      "warden: runner joined http://127.0.0.1:24666 | namespace default",
      'level=error message="failed to persist actor save tick" error="actor x generation 1"',
      "",
    ])
      expect(faultOfLogLine(line)).toBeUndefined();
  });
});

describe("on real runners' output", () => {
  test("a leftover's save ticks restart the runner 20 s after they began", () => {
    const { fault, first } = firstRestart(fixture("save-ticks-leftover.txt"));
    expect(fault?.actorId).toBe("p6txmivyvrgglvtecducz195cqbl00/3");
    const afterMs = (fault?.at ?? 0) - (first?.at ?? 0);
    expect(afterMs).toBeGreaterThanOrEqual(SAVE_TICK_POLICY.minSpanMs);
    expect(afterMs).toBeLessThan(SAVE_TICK_POLICY.minSpanMs + 2_000);
  });

  test("bursts that ended by themselves restart nothing", () => {
    const lines = fixture("save-ticks-healed.txt");
    expect(lines.filter((l) => faultOfLogLine(l)).length).toBeGreaterThan(150);
    expect(firstRestart(lines).fault).toBeUndefined();
  });
});
