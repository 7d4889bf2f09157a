import { describe, expect, test } from "vitest";
import {
  enqueueRulePushes,
  evictRuleSessions,
  nextRulePushAt,
  type RulePushState,
  settleRulePush,
} from "./project-pushes.ts";

const empty = (): RulePushState => ({ rulePushes: {}, rulePushRound: 0, rulePushFailures: 0 });

describe("the outbox of rule changes", () => {
  test("a session leaves it once it took the latest change, not an older one", () => {
    const state = empty();
    const first = enqueueRulePushes(state, ["a", "b"]);
    const second = enqueueRulePushes(state, ["a"]);
    settleRulePush(state, "a", first);
    settleRulePush(state, "b", first);
    expect(state.rulePushes).toEqual({ a: second });
    settleRulePush(state, "a", second);
    expect(state.rulePushes).toEqual({});
  });

  test("failed pushes are retried with doubling waits, bounded, reset by a success", () => {
    const state = empty();
    expect(nextRulePushAt(state, 0)).toBe(1_000);
    expect(nextRulePushAt(state, 0)).toBe(2_000);
    for (let i = 0; i < 30; i++) nextRulePushAt(state, 0);
    expect(nextRulePushAt(state, 0)).toBe(300_000);
    settleRulePush(state, "x", 1);
    expect(nextRulePushAt(state, 0)).toBe(1_000);
  });
});

describe("eviction of recorded sessions", () => {
  test("the oldest readers beyond the bound are evicted and returned, to be told", () => {
    const sessions = { a: 1, b: 4, c: 2, d: 3 };
    const evicted = evictRuleSessions(sessions, 2);
    expect(evicted.sort()).toEqual(["a", "c"]);
    expect(sessions).toEqual({ b: 4, d: 3 });
    // Every evicted session enters the outbox (project.ts `loadSessionRules`).
    const state = empty();
    enqueueRulePushes(state, evicted);
    expect(Object.keys(state.rulePushes).sort()).toEqual(["a", "c"]);
  });

  test("nothing is evicted within the bound", () => {
    const sessions = { a: 1 };
    expect(evictRuleSessions(sessions, 1)).toEqual([]);
    expect(sessions).toEqual({ a: 1 });
  });
});
