import { describe, expect, test } from "vitest";
import { parseOptions } from "./options.ts";
import { literalArg } from "./words.ts";

const args = (line: string) => line.split(" ").map(literalArg);
const texts = (line: string, ...spec: Parameters<typeof parseOptions>[2][]) =>
  parseOptions(args(line), 1, spec[0] ?? {}).operands.map((arg) => arg.text);

describe("parseOptions", () => {
  test("options stop at the first operand", () => {
    expect(texts("timeout -v 10 cmd -x")).toEqual(["10", "cmd", "-x"]);
  });

  test("a short option with a value takes the next word", () => {
    expect(texts("nice -n 5 make", { short: "n" })).toEqual(["make"]);
  });

  test("a short option with a value takes the rest of its cluster", () => {
    const parsed = parseOptions(args("x -vsKILL cmd"), 1, { short: "s" });
    expect(parsed.options).toEqual([
      { name: "v", value: undefined },
      { name: "s", value: literalArg("KILL") },
    ]);
  });

  test("a long option takes its value after = or as the next word", () => {
    const parsed = parseOptions(args("x --signal=KILL --kill-after 5 cmd"), 1, {
      long: ["kill-after"],
    });
    expect(parsed.options.map((option) => [option.name, option.value?.text])).toEqual([
      ["signal", "KILL"],
      ["kill-after", "5"],
    ]);
    expect(parsed.operands.map((arg) => arg.text)).toEqual(["cmd"]);
  });

  test("-- ends options", () => {
    expect(texts("x -a -- -b c")).toEqual(["-b", "c"]);
  });

  test("a lone dash is an operand", () => {
    expect(texts("x - y")).toEqual(["-", "y"]);
  });

  test("permuting keeps reading options after operands", () => {
    expect(texts("tee a -a b", { permute: true })).toEqual(["a", "b"]);
  });

  test("plus options count only when asked for", () => {
    expect(texts("bash +x -c ls", { plus: true })).toEqual(["ls"]);
    expect(texts("bash +x -c ls")).toEqual(["+x", "-c", "ls"]);
  });
});
