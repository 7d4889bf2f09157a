import { readFileSync } from "node:fs";
import { join } from "node:path";
import { closedStorageCode } from "@warden/server";
import { describe, expect, test } from "vitest";
import {
  describeLeftover,
  EMPTY_STORAGE_WATCH,
  type Fault,
  noteFault,
  STORAGE_WATCH_POLICY,
  type StorageVerdict,
} from "./storage-watch.ts";

/** Feeds faults in order; returns the first restart verdict and the index of its fault. */
function replay(faults: readonly Fault[]): { verdict?: StorageVerdict; index: number } {
  let state = EMPTY_STORAGE_WATCH;
  for (const [index, fault] of faults.entries()) {
    const noted = noteFault(state, fault);
    state = noted.state;
    if (noted.verdict.kind === "restart") return { verdict: noted.verdict, index };
  }
  return { index: -1 };
}

const fault = (actorId: string, at: number, code = "sqlite/transaction_closed"): Fault => ({
  actorId,
  code,
  at,
});

describe("noteFault", () => {
  test("one burst at the moment of a stop is not a leftover", () => {
    const burst = Array.from({ length: 50 }, (_, i) => fault("a", 1_000 + i));
    expect(replay(burst).verdict).toBeUndefined();
  });

  test("calls that keep failing over a second make a leftover", () => {
    const { verdict, index } = replay([fault("a", 0), fault("a", 500), fault("a", 1_000)]);
    expect(index).toBe(2);
    expect(verdict).toMatchObject({ kind: "restart", actorId: "a" });
  });

  test("faults of different actors do not add up", () => {
    expect(replay([fault("a", 0), fault("b", 600), fault("c", 1_200)]).verdict).toBeUndefined();
  });

  test("faults older than the window are forgotten", () => {
    const { windowMs } = STORAGE_WATCH_POLICY;
    const spread = [fault("a", 0), fault("a", windowMs + 1), fault("a", 2 * windowMs + 2)];
    expect(replay(spread).verdict).toBeUndefined();
  });

  test("a leftover failing hundreds of calls a second is found once it failed for a second", () => {
    const flood = Array.from({ length: 2_000 }, (_, i) => fault("a", i * 2));
    const { verdict, index } = replay(flood);
    expect(verdict?.kind).toBe("restart");
    expect(flood[index]?.at).toBe(1_000);
  });

  test("what it keeps per actor stays bounded", () => {
    let state = EMPTY_STORAGE_WATCH;
    for (let i = 0; i < 500; i++) state = noteFault(state, fault("a", i)).state;
    expect(state.get("a")?.length).toBeLessThanOrEqual(STORAGE_WATCH_POLICY.count);
    expect(state.get("a")?.[0]?.at).toBe(0);
  });

  test("describes the actor, the codes and the span", () => {
    const { verdict } = replay([
      fault("a", 0),
      fault("a", 700, "actor/database_client_not_ready"),
      fault("a", 1_500),
    ]);
    if (verdict?.kind !== "restart") throw new Error("expected a restart");
    expect(describeLeftover(verdict)).toBe(
      "actor a is on closed storage: storage errors (sqlite/transaction_closed, actor/database_client_not_ready) for 1.5 s",
    );
  });
});

// Real lines: the action errors a runner logged in the cluster test run that failed on a leftover
// (2026-12-03, /tmp/warden-cluster-fFpmew/runner-1.log: the `fleet` project actor, generation 4,
// answered every call with database_client_not_ready for three minutes), and lines of other runs
// whose errors were not closed storage.
const LOG = readFileSync(
  join(import.meta.dirname, "../tests/fixtures/closed-storage-actions.txt"),
  "utf8",
);
const ACTION_ERROR =
  /^ts=(\S+) .*message="actor framework action error response" actor_id=(\w+) .* group=(\w+) code=(\w+)$/;

/** The faults `storage-fault.ts` would report for these responses, classified by its own rule. */
function faultsOfLog(log: string): Fault[] {
  return log.split("\n").flatMap((line) => {
    const match = ACTION_ERROR.exec(line);
    if (!match) return [];
    const [, ts, actorId, group, code] = match as unknown as string[];
    const closed = closedStorageCode({ group, code });
    return closed
      ? [{ actorId: actorId as string, code: closed, at: Date.parse(ts as string) }]
      : [];
  });
}

describe("on the action errors of a real leftover", () => {
  test("only database_client_not_ready counts; the other errors do not", () => {
    const faults = faultsOfLog(LOG);
    expect(LOG.split("\n").filter((l) => ACTION_ERROR.test(l)).length).toBeGreaterThan(
      faults.length,
    );
    expect(new Set(faults.map((f) => f.code))).toEqual(
      new Set(["actor/database_client_not_ready"]),
    );
  });

  test("the runner restarts within seconds of the leftover's first failed call", () => {
    const faults = faultsOfLog(LOG);
    const { verdict, index } = replay(faults);
    expect(verdict).toMatchObject({ kind: "restart", actorId: "147oz279jz18eo2bg406hjwi0gcl00" });
    const first = faults[0] as Fault;
    const decidedAfterMs = (faults[index] as Fault).at - first.at;
    expect(decidedAfterMs).toBeGreaterThanOrEqual(STORAGE_WATCH_POLICY.minSpanMs);
    expect(decidedAfterMs).toBeLessThan(10_000);
  });
});
