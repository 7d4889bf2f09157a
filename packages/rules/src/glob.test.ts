import fc from "fast-check";
import picomatch from "picomatch";
import { RE2JS } from "re2js";
import { describe, expect, test } from "vitest";
import { compileGlob, compileGlobRegex, compileRegex } from "./glob.ts";

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
    ["a/b/**/b/c", "a/b/c", false],
    ["a/b/**/b/c", "a/b/b/c", true],
    ["a/b/**/*b/c.ts", "a/b/c.ts", false],
    ["a/b/**/*b/c.ts", "a/b/xb/c.ts", true],
    ["pkg/**/*.json", "pkg/a/b.json", true],
    ["pkg/**/*.json", "pkg.json", false],
  ])("%s on %s is %s", (glob, value, expected) => {
    expect(compileGlob(glob, "path")(value)).toBe(expected);
    expect(compileGlobRegex(glob, "path")(value)).toBe(expected);
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
    expect(compileGlob("a/**/*.json", "path")(`${"a/".repeat(50_000)}x.jso`)).toBe(false);
    expect(compileGlob("**/a/a", "path")("a/".repeat(50_000))).toBe(false);
    expect(compileGlob("a*a*a*b", "text")(`a${"a".repeat(50_000)}`)).toBe(false);
  });

  test("plain-literal regexes stay linear on long inputs", () => {
    expect(compileRegex("(?i)danger")("DANGE ".repeat(20_000))).toBe(false);
    expect(compileRegex("(?i)danger")(`${"\u017F".repeat(50_000)}danger`)).toBe(true);
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
    "src/**/*.js",
    "**/b.ts",
    "src/**/a",
    "lib/**/*",
  );
  fc.assert(
    fc.property(glob, path, (g, p) => {
      expect(compileGlob(g, "path")(p)).toBe(picomatch(g, { dot: true })(p));
    }),
    { numRuns: 2000 },
  );
});

test("the fast paths and literal guards agree with the plain regex", () => {
  const piece = fc.constantFrom("a", "b", "src", ".json", "x.json", "/", "//", "é", "😀", "*", "?");
  const glob = fc.oneof(
    fc
      .tuple(
        fc.constantFrom("", "src/", "a/b/"),
        fc.constantFrom("x.json", ".env", "a/b", "b/x.json", "*.json", "*a", "*b/x.json"),
      )
      .map(([lead, tail]) => `${lead}**/${tail}`),
    fc.array(piece, { minLength: 1, maxLength: 5 }).map((parts) => parts.join("")),
  );
  const value = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(""));
  fc.assert(
    fc.property(glob, value, fc.constantFrom("path", "text"), (g, v, flavor) => {
      expect(compileGlob(g, flavor)(v)).toBe(compileGlobRegex(g, flavor)(v));
    }),
    { numRuns: 5000 },
  );
});

test("plain-literal regexes agree with RE2, case folding included", () => {
  const char = fc.constantFrom(
    "d",
    "D",
    "k",
    "K",
    "\u212A",
    "s",
    "S",
    "\u017F",
    "\u0130",
    "i",
    "I",
    "5",
    " ",
    "-",
  );
  const text = fc.array(char, { maxLength: 10 }).map((chars) => chars.join(""));
  const source = fc.constantFrom("(?i)disk", "(?i)kiss", "(?i)d5", "(?i)is", "disk", "rm -rf", "K");
  fc.assert(
    fc.property(source, text, (s, t) => {
      expect(compileRegex(s)(t)).toBe(RE2JS.compile(s).test(t));
    }),
    { numRuns: 5000 },
  );
});

test("under (?i), RE2 folds only ſ and the Kelvin sign onto ASCII letters", () => {
  // The plain-literal search relies on this: lower-casing finds every other candidate.
  let all = "";
  for (let c = 0x80; c <= 0x10ffff; c++)
    if (c < 0xd800 || c > 0xdfff) all += String.fromCodePoint(c);
  const matcher = RE2JS.compile("(?i)[a-z]").matcher(all);
  const found: string[] = [];
  while (matcher.find()) found.push(matcher.group()!);
  expect(found).toEqual(["\u017F", "\u212A"]);
});
