import { expect, test } from "vitest";
import { argumentsProblem, argumentsTooLarge } from "./tool-arguments.ts";

const nested = (depth: number): unknown => (depth === 0 ? "leaf" : { next: nested(depth - 1) });

test.each([
  ['{"__proto__":{"isAdmin":true}}', "__proto__"],
  ['{"a":[{"b":{"__proto__":{}}}]}', "__proto__"],
  ['{"a":1,"__proto__":null}', "__proto__"],
  ['{"a":{"__proto_":1}}', "__proto_"],
  ['{"constructor":{"x":1}}', "constructor"],
  ['{"a":[{"prototype":1}]}', "prototype"],
])("a reserved key anywhere is refused, as the server refuses it: %s", (json, key) => {
  expect(argumentsProblem(JSON.parse(json))).toContain(`named ${key},`);
});

test("other Object.prototype names, and values that spell reserved keys, are ordinary", () => {
  expect(
    argumentsProblem({ toString: "s", valueOf: ["constructor"], hasOwnProperty: "__proto__" }),
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
