import { describe, expect, test } from "vitest";
import { SHELL_CASES } from "./analyze.cases.ts";
import { analyzeShell } from "./analyze.ts";
import type { ShellAnalysis } from "./types.ts";

function expectDeeplyFrozen(analysis: ShellAnalysis): void {
  expect(Object.isFrozen(analysis)).toBe(true);
  for (const list of [analysis.commands, analysis.writes, analysis.uncertain]) {
    expect(Object.isFrozen(list)).toBe(true);
  }
  for (const command of analysis.commands) {
    expect(Object.isFrozen(command)).toBe(true);
    expect(Object.isFrozen(command.argv)).toBe(true);
    expect(Object.isFrozen(command.aliases)).toBe(true);
  }
  for (const write of analysis.writes) expect(Object.isFrozen(write)).toBe(true);
}

describe("analyzeShell", () => {
  test.each(SHELL_CASES)("$name: $command", (testCase) => {
    const analysis = analyzeShell(testCase.command);
    expect(analysis.commands.map((command) => command.text)).toEqual(testCase.commands);
    expect(analysis.commands.map((command) => command.aliases)).toEqual(
      testCase.aliases ?? testCase.commands.map(() => []),
    );
    expect(analysis.writes).toEqual(
      (testCase.writes ?? []).map((write) =>
        typeof write === "string" ? { path: write, dynamic: false } : write,
      ),
    );
    expect(analysis.uncertain).toEqual(testCase.uncertain ?? []);
  });

  test("text is argv joined by single spaces", () => {
    for (const { command } of SHELL_CASES) {
      for (const found of analyzeShell(command).commands) {
        expect(found.text).toBe(found.argv.join(" "));
      }
    }
  });

  test("argv keeps words with spaces whole", () => {
    const [command] = analyzeShell('git commit -m "fix: a && b"').commands;
    expect(command?.argv).toEqual(["git", "commit", "-m", "fix: a && b"]);
  });

  test("a wrapped command's argv is the inner command", () => {
    const [command] = analyzeShell("timeout 10 npm test").commands;
    expect(command?.argv).toEqual(["npm", "test"]);
  });

  test("results are deeply frozen", () => {
    expectDeeplyFrozen(analyzeShell("cd /tmp && sudo rm -rf $(ls) > out.txt"));
  });

  test("an identical command line returns the cached result", () => {
    const line = "npm run build && npm test -- --coverage";
    expect(analyzeShell(line)).toBe(analyzeShell(line));
  });

  test("the cache is bounded and still answers after eviction", () => {
    const first = analyzeShell("echo cache-probe");
    for (let index = 0; index < 600; index++) analyzeShell(`echo filler-${index}`);
    const again = analyzeShell("echo cache-probe");
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  test("a value that is not a string is a parse error, not a throw", () => {
    expect(analyzeShell(undefined as unknown as string).uncertain).toEqual(["parse_error"]);
  });

  test("a 100 KB command line is analysed", () => {
    const line = `${"echo hello world && ".repeat(5000)}true`;
    const analysis = analyzeShell(line);
    expect(analysis.commands.map((command) => command.text)).toEqual(["echo hello world", "true"]);
  });

  test("more than a thousand distinct commands is too complex but keeps what it saw", () => {
    const line = Array.from({ length: 1500 }, (_, index) => `step${index}`).join("; ");
    const analysis = analyzeShell(line);
    expect(analysis.uncertain).toEqual(["too_complex"]);
    expect(analysis.commands).toHaveLength(1000);
    expect(analysis.commands[0]?.text).toBe("step0");
  });

  test("deep nesting is too complex and still collects the outer commands", () => {
    const line = `${"if a; then ".repeat(40)}rm x${"; fi".repeat(40)}`;
    const analysis = analyzeShell(line);
    expect(analysis.uncertain).toContain("too_complex");
    expect(analysis.commands.map((command) => command.text)).toEqual(["a"]);
  });

  test.each([
    ["deeply nested substitutions", `${"$(".repeat(20000)}x${")".repeat(20000)}`],
    ["a long eval chain", `${"eval ".repeat(20000)}x`],
    ["a deep subshell", `${"(".repeat(50000)}x${")".repeat(50000)}`],
    ["a huge brace list", `echo {${"a,".repeat(30000)}b}`],
    // Option readers scan each word once (a backtracking reading of these took minutes).
    ["a long perl -M cluster", `perl -${"M".repeat(320_000)};`],
    ["a long sqlite3 script of newlines", `sqlite3 db '${"\n".repeat(320_000)}x'`],
    ["a long make variable name", `make a${":".repeat(320_000)}x`],
  ])("%s finishes and is never vouched for", (_, line) => {
    const analysis = analyzeShell(line);
    expectDeeplyFrozen(analysis);
  });
});

describe("environment that changes what runs", () => {
  test.each([
    ["LD_PRELOAD=/tmp/x.so ls", "ls"],
    ["PATH=/tmp/evil:$PATH ls", "ls"],
    ["env NODE_OPTIONS=--require=/tmp/x.js npm test", "npm test"],
    ["GIT_SSH_COMMAND='sh -c x' git fetch", "git fetch"],
  ])("%s is never vouched for", (line, text) => {
    const analysis = analyzeShell(line);
    expect(analysis.commands[0]?.text).toBe(text);
    expect(analysis.uncertain).toContain("dangerous_environment");
  });

  test("ordinary assignments are looked through", () => {
    expect(analyzeShell("CI=1 FOO=bar npm test").uncertain).toEqual([]);
  });
});
