import { describe, expect, test } from "vitest";
import { awkEffects } from "./awk.ts";

describe("awkEffects", () => {
  test.each([
    "{print}",
    "{print $1}",
    '$1 > 100 { print "big" }',
    "NR > 1 && $3 >= 5 { print $1, $2 }",
    '{ if ($3 > 5) print $1; else print "small" }',
    '{ print ($1 > 5 ? "y" : "n") }',
    '{ printf("%s\\n", $1 > $2) }',
    "/a>b/ { print }",
    '{ print /;/, "}" }',
    '# print > "out"\n{ print }',
    'BEGIN { x = "print > \\"out\\"" }',
    "NR == 1 || /error/ { print NR, $0 }",
  ])("%j writes nothing", (program) => {
    expect(awkEffects(program)).toEqual({ runs: false, writes: [] });
  });

  test.each([
    ['{ print > "out" }', ["out"]],
    ['BEGIN { print "}" > "out" }', ["out"]],
    ['BEGIN { print ";" > "out" }', ["out"]],
    ['BEGIN { print ">" >> "out" }', ["out"]],
    ['BEGIN { print "\\"" > "out" }', ["out"]],
    ['BEGIN { print\\\n> "out" }', ["out"]],
    ['BEGIN { print "a",\n"b" > "out" }', ["out"]],
    ['{ print /;/ > "out" }', ["out"]],
    ['BEGIN { printf("%s", "x") > ("out") }', ["out"]],
    ['BEGIN { print 1 >\n"out" }', ["out"]],
    ["{ n = $1 / 2 } END { print n > 3 ? 1 : 0 }", [undefined]],
    ["{ print > $1 }", [undefined]],
    ['{ print "x" > "o" "ut" }', [undefined]],
    ['{ print "x" >= "out" }', [undefined]],
    ['{ print "x" > "a\\nb" }', [undefined]],
    ['{ print "a" > "x"; print "b" > $1 }', ["x", undefined]],
  ] as const)("%j writes %j", (program, writes) => {
    expect(awkEffects(program)).toEqual({ runs: false, writes });
  });

  test.each([
    'BEGIN { system("pwn") }',
    '{ print | "pwn" }',
    '{ print |"pwn" }',
    '{ print ||| "pwn" }',
    'BEGIN { "pwn" |& getline }',
    'BEGIN { "pwn" | getline }',
    'BEGIN { f = "sys" "tem"; @f("pwn") }',
    '@include "x.awk"',
    'BEGIN { print "unterminated }',
    "/[/]/ { print }",
    "/unterminated { print }",
  ])("%j runs a command or cannot be read", (program) => {
    expect(awkEffects(program).runs).toBe(true);
  });
});
