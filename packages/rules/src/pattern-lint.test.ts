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

  test.each([
    ["/mcp__github__.*/", 2],
    ["/^mcp__github__.*/", 2],
    ["/mcp__git__git_(status|diff)$/", 2],
    ["/^mcp__a__x$|mcp__b__y$/", 14],
    ["/^mcp__a__x\\$/", 2],
    ["  /Bash/", 4],
  ])("the regex %s is unanchored, at column %i", (pattern, column) => {
    const warning = lintPattern(pattern).find((w) => w.code === "regex_unanchored");
    expect(warning).toMatchObject({ patternColumn: column });
    expect(warning?.message).toContain("/^(?:");
  });

  test.each([
    "/^mcp__github__.*$/",
    "/^mcp__(gh|gl)__.*$/",
    "/^(?:mcp__a__x|mcp__b__y)$/",
    "/^mcp__git__git_(status|diff|log)$/",
    "/^Bash$|^Read$/",
  ])("the regex %s is anchored", (pattern) => {
    expect(lintPattern(pattern)).toEqual([]);
  });

  test.each([
    ["mcp__gh*", 6],
    ["mcp__*__merge", 6],
    ["mcp__g?__x", 6],
    ["mcp__[ab]__x", 6],
    ["/^mcp__.*__merge$/", 8],
    ["/^mcp__\\w+__x$/", 8],
    ["/^mcp__gh.*$/", 8],
    ["/^mcp__[^_]+__x$/", 8],
    ["/^mcp__(gh|.*)__x$/", 8],
    ["/^mcp__gh$|^mcp__.+__x$/", 18],
  ])("%s does not name its server exactly, at column %i", (pattern, column) => {
    const warning = lintPattern(pattern).find((w) => w.code === "server_not_exact");
    expect(warning).toMatchObject({ patternColumn: column });
  });

  test.each([
    "mcp__github__*",
    "mcp__{gh,gl}__*",
    "mcp__my-server_2__read_*",
    "mcp__*",
    "/^mcp__.*$/",
    "/^mcp__(gh|gl)__(read|list)_.*$/",
    "/^mcp__(?:gh|gl)__x$/",
    "mcp__github",
  ])("%s names its servers exactly", (pattern) => {
    expect(lintPattern(pattern).filter((w) => w.code === "server_not_exact")).toEqual([]);
  });

  test("what the lint calls exact is what the gateway's server names can be", () => {
    // A server named gh__x cannot exist (names.ts folds `__`), so mcp__gh__… is server gh's.
    for (const pattern of ["/^mcp__(gh|gl)__.*$/", "mcp__{gh,gl}__*"])
      expect(lintPattern(pattern)).toEqual([]);
  });
});
