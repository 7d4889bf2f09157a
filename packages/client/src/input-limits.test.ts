import { MAX_INPUT_BYTES, MAX_INPUT_DEPTH, nestsDeeperThan } from "@warden/server/protocol";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { boundInputChars, inputRefusal, inputWithinLimits } from "./input-limits.ts";

/**
 * Whether a reserved key is anywhere in the value, whatever its value: a key whose value is
 * `undefined` is left out of JSON but kept by the structured encodings the SDK sends (CBOR), so it
 * is read from the object, not from its JSON.
 */
const hasReservedKey = (value: unknown): boolean => {
  if (Array.isArray(value)) return value.some(hasReservedKey);
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(
    ([key, item]) =>
      ["__proto__", "__proto_", "constructor", "prototype"].includes(key) || hasReservedKey(item),
  );
};

/** The server's own check (schema.ts), the oracle, plus: no reserved key. */
const exact = (input: Record<string, unknown>) =>
  JSON.stringify(input).length <= MAX_INPUT_BYTES &&
  !nestsDeeperThan(input, MAX_INPUT_DEPTH) &&
  !hasReservedKey(input);

const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = i % 2 ? { a: [value] } : { o: value };
  return value;
};

/** Objects of JSON-like values with the strings JSON escapes the most. */
const inputs = fc.dictionary(
  fc.string(),
  fc
    .jsonValue({ maxDepth: 6 })
    .chain((value) =>
      fc.oneof(
        fc.constant(value),
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.constantFrom('\u0000\u001f"\\', "\ud800", "\u2028", undefined, Number.NaN, -0),
      ),
    ),
);

describe("input limits on the fast path", () => {
  test("the bound is never below the JSON length, and never admits a too-deep input", () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const bound = boundInputChars(input, Number.MAX_SAFE_INTEGER);
        if (bound === undefined) return;
        expect(JSON.stringify(input).length).toBeLessThanOrEqual(bound);
        expect(nestsDeeperThan(input, MAX_INPUT_DEPTH)).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });

  test("agrees with the server's check on generated inputs", () => {
    fc.assert(
      fc.property(inputs, (input) => {
        expect(inputWithinLimits(input)).toBe(exact(input));
      }),
      { numRuns: 1_000 },
    );
  });

  const cases: [string, Record<string, unknown>][] = [
    ["a small flat input", { file_path: "src/index.ts" }],
    ["the deepest allowed nesting", nested(MAX_INPUT_DEPTH)],
    ["one level too deep", nested(MAX_INPUT_DEPTH + 1)],
    ["a string just within the size limit", { s: "x".repeat(MAX_INPUT_BYTES - 8) }],
    ["a string just over the size limit", { s: "x".repeat(MAX_INPUT_BYTES - 7) }],
    ["control characters that JSON escapes 6 for 1", { s: "\u0001".repeat(11_000) }],
    [
      "escaped characters over the limit",
      { s: "\u0001".repeat(11_000), t: "\u0001".repeat(11_000) },
    ],
    ["lone surrogates", { s: "\ud800".repeat(10_000) }],
    ["a Date (toJSON)", { at: new Date(0) }],
    ["a toJSON that grows the input", { v: { toJSON: () => "x".repeat(MAX_INPUT_BYTES) } }],
    [
      "a class instance",
      {
        v: new (class {
          a = "x".repeat(10);
        })(),
      },
    ],
    ["a Map", { v: new Map([["a", 1]]) }],
    ["a sparse array", { v: Object.assign(new Array(3), { 0: 1, 2: 3 }) }],
    ["an array with a named deep property", { v: Object.assign([1], { deep: nested(40) }) }],
    ["a null-prototype object", { v: Object.assign(Object.create(null), { a: 1 }) }],
    ["undefined and functions, which JSON omits", { u: undefined, f: () => 1 }],
    [
      "many small keys over the limit",
      Object.fromEntries(Array.from({ length: 9_000 }, (_, i) => [`k${i}`, i])),
    ],
  ];
  test.each(cases)("agrees with the server's check: %s", (_, input) => {
    expect(inputWithinLimits(input)).toBe(exact(input));
  });

  test.each([
    '{"__proto__":{"x":1}}',
    '{"a":{"b":[{"__proto__":1}]}}',
    `{"big":"${"x".repeat(2000)}","deep":[[{"__proto__":null}]]}`,
    '{"__proto_":1}',
    '{"a":{"constructor":{"prototype":{"x":1}}}}',
    '{"a":[{"prototype":1}]}',
  ])("an input with a reserved key is refused at once, never decided locally: %s", (json) => {
    // The transport renames (cbor) or drops (the schema) such a key, and the server refuses it.
    const input = JSON.parse(json);
    expect(inputWithinLimits(input)).toBe(false);
    expect(inputRefusal(input)).toMatch(/holds the key (__proto__|__proto_|constructor|prototype)/);
  });

  test("a string that spells a reserved key is only a string", () => {
    const input = { command: '{"__proto__":1}', note: "constructor", prototype_: 1 };
    expect(inputWithinLimits(input)).toBe(true);
    expect(inputRefusal(input)).toBeUndefined();
  });

  test("a cycle or a bigint throws as JSON.stringify does", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => inputWithinLimits(cycle)).toThrow(TypeError);
    expect(() => inputWithinLimits({ n: 1n })).toThrow(TypeError);
  });
});
