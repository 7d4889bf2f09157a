import { expect, test } from "vitest";
import { argumentsProblem, argumentsTooLarge } from "./tool-arguments.ts";

const nested = (depth: number): unknown => (depth === 0 ? "leaf" : { next: nested(depth - 1) });

test.each([
  ['{"__proto__":{"isAdmin":true}}'],
  ['{"a":[{"b":{"__proto__":{}}}]}'],
  ['{"a":1,"__proto__":null}'],
])("a __proto__ key anywhere is refused: %s", (json) => {
  expect(argumentsProblem(JSON.parse(json))).toMatch(/__proto__/);
});

test("constructor, prototype and other Object.prototype names are ordinary keys", () => {
  expect(
    argumentsProblem({ constructor: { prototype: { x: 1 } }, toString: "s", __proto_: 1 }),
  ).toBeUndefined();
});

test("32 levels of nesting pass, 33 do not; a very deep input is refused without recursion", () => {
  expect(argumentsProblem(nested(31) as Record<string, unknown>)).toBeUndefined();
  expect(argumentsProblem(nested(33) as Record<string, unknown>)).toMatch(/deeper than 32/);
  const deep = JSON.parse(`{"a":${"[".repeat(500_000)}${"]".repeat(500_000)}}`);
  expect(argumentsProblem(deep)).toMatch(/deeper than 32/);
});

test("arguments over 64 KiB of JSON are too large", () => {
  expect(argumentsTooLarge({ text: "x".repeat(60_000) })).toBeUndefined();
  expect(argumentsTooLarge({ text: "x".repeat(70_000) })).toMatch(/characters of JSON/);
});
