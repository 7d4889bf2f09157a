import { describe, expect, test } from "vitest";
import { canonicalJson, PolicyCache } from "./policy-cache.ts";

const allow = (tool: string) => ({ rules: [{ tool, behavior: "allow" }] });

describe("PolicyCache", () => {
  test("equal documents compile once, whatever their key order", () => {
    const cache = new PolicyCache();
    const first = cache.compile({
      default_behavior: "deny",
      rules: [{ tool: "Read", behavior: "allow" }],
    });
    const second = cache.compile({
      rules: [{ behavior: "allow", tool: "Read" }],
      default_behavior: "deny",
    });
    expect(second).toBe(first);
    expect(cache.compiles).toBe(1);
  });

  test("a broken document is remembered as its error", () => {
    const cache = new PolicyCache();
    const broken = allow("Bash(npm *");
    expect(() => cache.compile(broken)).toThrow(
      expect.objectContaining({ code: "invalid_pattern" }),
    );
    expect(() => cache.compile(broken)).toThrow(
      expect.objectContaining({ code: "invalid_pattern" }),
    );
    expect(cache.compiles).toBe(1);
  });

  test("the least recently used document is evicted at the limit", () => {
    const cache = new PolicyCache(2);
    cache.compile(allow("A"));
    cache.compile(allow("B"));
    cache.compile(allow("A"));
    cache.compile(allow("C"));
    expect(cache.compiles).toBe(3);
    cache.compile(allow("A"));
    expect(cache.compiles).toBe(3);
    cache.compile(allow("B"));
    expect(cache.compiles).toBe(4);
  });
});

describe("canonicalJson", () => {
  test("sorts object keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: "x" })).toBe(
      '{"a":"x","b":[2,{"c":null,"d":1}]}',
    );
    expect(canonicalJson([3, 1])).not.toBe(canonicalJson([1, 3]));
  });
});
