import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { analyzeShell } from "./analyze.ts";
import type { ShellAnalysis } from "./types.ts";

const FRAGMENTS = [
  "ls",
  "rm -rf /",
  "sudo",
  "bash -c",
  "sh -lc 'a | b'",
  "eval",
  "xargs -0",
  "find . -exec rm {} \\;",
  "env -i X=1",
  "timeout 5",
  "cd /tmp",
  "cd $X",
  "echo",
  "$CMD",
  '"$(which rm)"',
  "$(",
  ")",
  "(",
  "{",
  "}",
  "`",
  "'",
  '"',
  "<<EOF",
  "EOF",
  "<(curl x)",
  "> out",
  "2>&1",
  ">&",
  "| tee -a log",
  "if",
  "then",
  "fi",
  "for x in *; do",
  "done",
  "case $x in",
  "esac",
  "f() {",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  "${x:-$(id)}",
  "{a,b}",
  "\\",
  "#",
  "日本",
  "$((1+",
  "[[ -f x ]]",
];
const OPERATORS = [" ", " && ", " || ", "; ", " | ", " & ", "\n", " $( ", " ` ", " ) "];

const composition = fc
  .array(fc.tuple(fc.constantFrom(...FRAGMENTS), fc.constantFrom(...OPERATORS)), { maxLength: 12 })
  .map((parts) => parts.map(([fragment, operator]) => fragment + operator).join(""));

const commandName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/).map((name) => `c_${name}`);
const argument = fc.stringMatching(/^[a-zA-Z0-9._/:@%+=,-]{1,10}$/);
const simpleCommand = fc
  .tuple(commandName, fc.array(argument, { maxLength: 4 }))
  .map(([name, args]) => [name, ...args].join(" "));

function isDeeplyFrozen(analysis: ShellAnalysis): boolean {
  return (
    Object.isFrozen(analysis) &&
    Object.isFrozen(analysis.commands) &&
    Object.isFrozen(analysis.writes) &&
    Object.isFrozen(analysis.uncertain) &&
    analysis.commands.every(
      (command) =>
        Object.isFrozen(command) &&
        Object.isFrozen(command.argv) &&
        Object.isFrozen(command.aliases),
    ) &&
    analysis.writes.every((write) => Object.isFrozen(write))
  );
}

function analyzesSafely(line: string): boolean {
  return isDeeplyFrozen(analyzeShell(line));
}

describe("analyzeShell properties", () => {
  test("arbitrary strings never throw and give frozen results", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), analyzesSafely), { numRuns: 2000 });
  });

  test("arbitrary unicode never throws and gives frozen results promptly", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 100 }), analyzesSafely), {
      numRuns: 500,
    });
  });

  test("compositions of shell fragments never throw and give frozen results", () => {
    fc.assert(fc.property(composition, analyzesSafely), { numRuns: 3000 });
  });

  test("literal commands joined by list and pipe operators are collected as written", () => {
    fc.assert(
      fc.property(
        fc.array(simpleCommand, { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom(" && ", " ; ", " | "), { minLength: 5, maxLength: 5 }),
        (commands, operators) => {
          const line = commands
            .map((command, index) => (index === 0 ? "" : operators[index - 1]) + command)
            .join("");
          const analysis = analyzeShell(line);
          expect(analysis.commands.map((command) => command.text)).toEqual([...new Set(commands)]);
          expect(analysis.uncertain).toEqual([]);
          expect(analysis.writes).toEqual([]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("a deny-worthy command is seen however it is nested, unless the nesting is invalid shell", () => {
    const wrap = fc.constantFrom(
      (inner: string) => `echo $( ${inner} )`,
      (inner: string) => `( ${inner} )`,
      (inner: string) => `{ ${inner}; }`,
      (inner: string) => `if true; then ${inner}; fi`,
      (inner: string) => `true && ${inner}`,
      (inner: string) => `timeout 5 ${inner}`,
      (inner: string) => `sudo ${inner}`,
      (inner: string) => `bash -c '${inner.replaceAll("'", "'\\''")}'`,
      (inner: string) => `eval "${inner.replaceAll(/["\\$`]/g, "\\$&")}"`,
      (inner: string) => `cat <( ${inner} )`,
    );
    fc.assert(
      fc.property(fc.array(wrap, { maxLength: 5 }), (wrappers) => {
        const line = wrappers.reduce((inner, wrapper) => wrapper(inner), "rm -rf /");
        const analysis = analyzeShell(line);
        const texts = analysis.commands.flatMap((command) => [command.text, ...command.aliases]);
        if (!analysis.uncertain.includes("parse_error")) expect(texts).toContain("rm -rf /");
      }),
      { numRuns: 1000 },
    );
  });
});
