import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { normalizePath, normalizeSegments } from "./path.ts";

describe("normalizePath", () => {
  const context = { cwd: "/repo", home: "/home/dev" };
  test.each([
    ["src/../.env", { relative: ".env", absolute: "/repo/.env" }],
    ["./src//a/./b", { relative: "src/a/b", absolute: "/repo/src/a/b" }],
    ["/repo/src/x", { relative: "src/x", absolute: "/repo/src/x" }],
    ["../outside", { relative: undefined, absolute: "/outside" }],
    ["/etc/hosts", { relative: undefined, absolute: "/etc/hosts" }],
    ["~/.ssh/id", { absolute: "/home/dev/.ssh/id", tilde: "~/.ssh/id" }],
    ["$HOME/.ssh/id", { absolute: "/home/dev/.ssh/id", tilde: "~/.ssh/id" }],
    ["/../../etc", { absolute: "/etc" }],
  ])("%s", (input, expected) => {
    expect(normalizePath(input, context)).toMatchObject(expected);
  });

  test("without a cwd, relative paths stay relative and never escape", () => {
    expect(normalizePath("src/../../x").relative).toBeUndefined();
    expect(normalizePath("src/./a").relative).toBe("src/a");
  });
});

test("normalisation is idempotent", () => {
  const segment = fc.constantFrom("a", "b", ".", "..", "", "~", "é", "x y");
  const path = fc
    .tuple(fc.boolean(), fc.array(segment, { maxLength: 8 }))
    .map(([abs, parts]) => (abs ? "/" : "") + parts.join("/"));
  fc.assert(
    fc.property(path, (p) => {
      const once = normalizeSegments(p);
      expect(normalizeSegments(once)).toBe(once);
    }),
    { numRuns: 2000 },
  );
});
