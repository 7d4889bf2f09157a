import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, test } from "vitest";
import { compileGlob, compileRegex } from "./glob.ts";

describe("path globs", () => {
  test.each([
    ["src/**", "src/a/b.ts", true],
    ["src/**", "src", true],
    ["src/**", "srcx/a", false],
    ["/opt/app/**", "/opt/app-secret/x", false],
    ["/opt/app/**", "/opt/app/x/y", true],
    ["**/.env", ".env", true],
    ["**/.env", "a/b/.env", true],
    ["**/.env", "a/b/.envrc", false],
    ["src/*.ts", "src/a.ts", true],
    ["src/*.ts", "src/a/b.ts", false],
    ["src/**/*.ts", "src/a.ts", true],
    ["src/**/*.ts", "src/a/b/c.ts", true],
    ["*.{js,ts}", "a.ts", true],
    ["*.{js,ts}", "a.rs", false],
    ["file[0-9].txt", "file7.txt", true],
    ["file[!0-9].txt", "filex.txt", true],
    ["file[!0-9].txt", "file7.txt", false],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["\\*literal", "*literal", true],
    ["\\*literal", "xliteral", false],
  ])("%s on %s is %s", (glob, value, expected) => {
    expect(compileGlob(glob, "path")(value)).toBe(expected);
  });
});

describe("text globs", () => {
  test.each([
    ["npm *", "npm test --watch", true],
    ["npm *", "npm", false],
    ["rm -rf /*", "rm -rf /usr/lib", true],
    ["mcp__github__*", "mcp__github__create_issue", true],
    ["h?llo", "héllo", true],
    ["h?llo", "h😀llo", true],
    ["*a*b*c*", "xxaxxbxxcxx", true],
  ])("%s on %s is %s", (glob, value, expected) => {
    expect(compileGlob(glob, "text")(value)).toBe(expected);
  });

  test("malformed globs are load errors", () => {
    expect(() => compileGlob("a[bc", "text")).toThrow(/unclosed '\['/);
    expect(() => compileGlob("a{b,c", "text")).toThrow(/unclosed '\{'/);
  });
});

describe("linear time", () => {
  test("adversarial globs and inputs finish", () => {
    const evil = "a".repeat(50_000);
    expect(compileGlob("*a*a*a*a*a*a*b", "text")(evil)).toBe(false);
    expect(compileGlob("**/a/**/a/**/a/**/b", "path")("a/".repeat(20_000))).toBe(false);
  });

  test("regexes run on RE2: catastrophic patterns finish", () => {
    expect(compileRegex("(a+)+$")(`${"a".repeat(50_000)}!`)).toBe(false);
    expect(compileRegex("^(a+)+$")("a".repeat(50_000))).toBe(true);
    expect(compileRegex("(a|aa)*c")("a".repeat(50_000))).toBe(false);
  });

  test("invalid regexes are load errors", () => {
    expect(() => compileRegex("(unclosed")).toThrow(/invalid regex/);
    expect(() => compileRegex("(?<=look)behind")).toThrow(/invalid regex/);
  });
});

test("path globs agree with picomatch on ordinary paths", () => {
  const segment = fc.constantFrom("src", "lib", "a", "b.ts", "c.js", ".env", "x-y", "é");
  const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join("/"));
  const glob = fc.constantFrom(
    "src/**",
    "**/*.ts",
    "src/*.ts",
    "**/.env",
    "lib/**/b.ts",
    "*.js",
    "src/**/a/**",
    "{src,lib}/**",
    "a/?.ts",
    "**",
  );
  fc.assert(
    fc.property(glob, path, (g, p) => {
      expect(compileGlob(g, "path")(p)).toBe(picomatch(g, { dot: true })(p));
    }),
    { numRuns: 2000 },
  );
});
