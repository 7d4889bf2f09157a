import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createWardenClient } from "./client.ts";
import { adjust, CreationGate, type CreationGateOptions, type GateBound } from "./creation-gate.ts";
import { WardenError } from "./errors.ts";

const OPTIONS: CreationGateOptions = { initial: 4, min: 1, max: 16, targetMs: 1_000 };

describe("adjust", () => {
  test("fast answers grow the bound by about one per bound's worth of creations", () => {
    let bound: GateBound = { limit: 4, cutAt: 0 };
    for (let i = 0; i < 4; i++)
      bound = adjust(bound, { startedAt: 1, ms: 100, ok: true }, OPTIONS, 2);
    expect(Math.floor(bound.limit)).toBe(5);
  });

  test("until the first slow answer, every fast one adds one (the bound doubles per round)", () => {
    let bound: GateBound = { limit: 4, cutAt: Number.NEGATIVE_INFINITY };
    for (let i = 0; i < 4; i++)
      bound = adjust(bound, { startedAt: 1, ms: 100, ok: true }, OPTIONS, 2);
    expect(bound.limit).toBe(8);
    for (let i = 0; i < 20; i++)
      bound = adjust(bound, { startedAt: 1, ms: 100, ok: true }, OPTIONS, 2);
    expect(bound.limit).toBe(OPTIONS.max);
  });

  test("a slow answer halves the bound, once per round", () => {
    const bound: GateBound = { limit: 8, cutAt: 0 };
    const cut = adjust(bound, { startedAt: 10, ms: 5_000, ok: true }, OPTIONS, 5_010);
    expect(cut).toEqual({ limit: 4, cutAt: 5_010 });
    // Begun before the cut: the same overload, not counted again.
    expect(adjust(cut, { startedAt: 20, ms: 5_000, ok: true }, OPTIONS, 5_020)).toBe(cut);
    // Begun after it: a new sign.
    expect(adjust(cut, { startedAt: 5_011, ms: 4_000, ok: true }, OPTIONS, 9_011).limit).toBe(2);
  });

  test("a failed creation cuts like a slow one", () => {
    expect(
      adjust({ limit: 6, cutAt: 0 }, { startedAt: 1, ms: 10, ok: false }, OPTIONS, 11).limit,
    ).toBe(3);
  });

  test("the bound stays within min and max whatever the answers", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ms: fc.nat(5_000), ok: fc.boolean(), fresh: fc.boolean() }), {
          maxLength: 200,
        }),
        (samples) => {
          let bound: GateBound = { limit: OPTIONS.initial, cutAt: 0 };
          let now = 1;
          for (const { ms, ok, fresh } of samples) {
            now += ms + 1;
            bound = adjust(bound, { startedAt: fresh ? now - ms : 0, ms, ok }, OPTIONS, now);
            expect(bound.limit).toBeGreaterThanOrEqual(OPTIONS.min);
            expect(bound.limit).toBeLessThanOrEqual(OPTIONS.max);
          }
        },
      ),
    );
  });
});

describe("CreationGate", () => {
  /** A creation the test finishes when it wants. */
  const deferred = () => {
    let finish!: (error?: Error) => void;
    const done = new Promise<string>((resolve, reject) => {
      finish = (error) => (error ? reject(error) : resolve("id"));
    });
    return { done, finish };
  };
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

  test("never more in flight than the bound; the rest start in order as slots free", async () => {
    let clock = 0;
    const gate = new CreationGate({ ...OPTIONS, initial: 2 }, () => clock);
    const creations = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const runs = creations.map((c, i) =>
      gate.run(() => {
        started.push(i);
        return c.done;
      }),
    );
    await flush();
    expect(started).toEqual([0, 1]);
    expect(gate.inFlight).toBe(2);
    // A fast answer frees its slot and, in slow start, adds one.
    clock = 100;
    creations[1]!.finish();
    await flush();
    expect(gate.limit).toBe(3);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(gate.inFlight).toBe(3);
    for (const c of creations) c.finish();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(gate.inFlight).toBe(0);
  });

  test("a wait withdrawn by its signal takes no slot, starts nothing and leaves the bound alone", async () => {
    let clock = 0;
    const gate = new CreationGate({ ...OPTIONS, initial: 1 }, () => clock);
    const first = deferred();
    const started: string[] = [];
    const running = gate.run(() => {
      started.push("first");
      return first.done;
    });
    const withdraw = new AbortController();
    const withdrawn = gate.run(() => {
      started.push("withdrawn");
      return Promise.resolve("id");
    }, withdraw.signal);
    const next = gate.run(() => {
      started.push("next");
      return Promise.resolve("id");
    });
    const reason = new Error("answered elsewhere");
    withdraw.abort(reason);
    await expect(withdrawn).rejects.toBe(reason);
    expect(gate.inFlight).toBe(1);
    expect(gate.limit).toBe(1);
    clock = 100;
    first.finish();
    await Promise.all([running, next]);
    expect(started).toEqual(["first", "next"]);
    expect(gate.inFlight).toBe(0);
    // One fast answer each, the withdrawn wait none: slow start added two.
    expect(gate.limit).toBe(3);
    // Withdrawn before it ran at all: fails at once.
    await expect(gate.run(() => Promise.resolve("id"), withdraw.signal)).rejects.toBe(reason);
  });

  test("an unavailable engine narrows the gate; a refusal does not", async () => {
    let clock = 0;
    const gate = new CreationGate({ ...OPTIONS, initial: 8 }, () => clock);
    const refused = Object.assign(new Error("forbidden"), { group: "user", code: "forbidden" });
    await expect(gate.run(() => Promise.reject(refused))).rejects.toBe(refused);
    expect(gate.limit).toBe(9);
    clock = 10;
    const down = new WardenError("unavailable", "actor_ready_timeout");
    await expect(gate.run(() => Promise.reject(down))).rejects.toBe(down);
    expect(gate.limit).toBe(4);
  });
});

describe("createWardenClient({ creation })", () => {
  const create = (creation: Partial<CreationGateOptions>) => () =>
    createWardenClient({ endpoint: "http://127.0.0.1:1", token: "t", project: "p", creation });

  test.each([
    ["min above max", { min: 5, max: 2 }],
    ["initial above max", { initial: 20, max: 16 }],
    ["a zero bound", { min: 0 }],
    ["a fractional bound", { initial: 2.5 }],
    ["no target", { targetMs: 0 }],
    ["a NaN target", { targetMs: Number.NaN }],
  ])("refuses %s with invalid_input", (_name, creation) => {
    expect(create(creation)).toThrow(expect.objectContaining({ code: "invalid_input" }));
  });

  test("takes a bound that holds", async () => {
    const client = create({ initial: 1, min: 1, max: 1, targetMs: 500 })();
    await client.dispose();
  });
});
