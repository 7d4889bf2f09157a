import { describe, expect, test } from "vitest";
import { lintPattern } from "./pattern-lint.ts";

describe("lintPattern", () => {
  test.each([
    ["Bash(echo command ~rm*)", 19],
    ["Bash(FOO\\=bar a=b)", 16],
    ["Bash(npm --loglevel=silent test)", 20],
    ["Bash(ls x~y)", 10],
    ["Bash(echo a=b)", 12],
    ["Bash(npm test, command ~ 'rm *')", 24],
  ])("%s warns at column %i", (pattern, column) => {
    const [warning] = lintPattern(pattern);
    expect(warning).toMatchObject({ code: "operator_in_glob", patternColumn: column });
    expect(pattern[column - 1]).toMatch(/[=~]/);
  });

  test("the warning says how to write a condition and a literal", () => {
    expect(lintPattern("Bash(echo command ~rm*)")[0]?.message).toBe(
      `the glob echo command ~rm* has '~' outside quotes and matches it as text; for a condition write command ~ "…", for a literal '~' write \\~`,
    );
  });

  test.each([
    'Bash(git commit -m "a = b")',
    "Bash(git commit -m 'a = b')",
    "Bash(npm test)",
    "Bash(FOO\\=bar npm test)",
    "Read(~/.ssh/**)",
    "Read(~)",
    "Bash(ls ~)",
    "Bash(cat ~/notes.txt ~/b)",
    'Bash(command ~ "x=y")',
    "Bash",
    "Bash(*)",
  ])("%s does not warn", (pattern) => {
    expect(lintPattern(pattern)).toEqual([]);
  });
});
