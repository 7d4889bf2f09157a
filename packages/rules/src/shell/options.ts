import { type Arg, literalArg } from "./words.ts";

/** How a program reads its options, enough to find where its operands start. */
export interface OptionSpec {
  /** Short option letters that take a value (`-u NAME` or `-uNAME`). */
  readonly short?: string;
  /** Long option names that take a value (`--user NAME` or `--user=NAME`). */
  readonly long?: readonly string[];
  /** Keep reading options after operands, as GNU getopt does without `+`. */
  readonly permute?: boolean;
  /** Words starting with `+` are options too, as for shells (`+o pipefail`). */
  readonly plus?: boolean;
  /**
   * Long option names without a value that a caller looks for. GNU getopt and git accept any
   * unambiguous prefix of a long option (`--compress=cmd`, `--outp=FILE`): a prefix of one of
   * these or of `long` is read as that option.
   */
  readonly flags?: readonly string[];
}

/** One option as read: a letter or long name, and its value when it takes one. */
export interface ParsedOption {
  readonly name: string;
  readonly value: Arg | undefined;
}

/** The options and operands of a command line after its program name. */
export interface ParsedArgs {
  readonly options: readonly ParsedOption[];
  readonly operands: readonly Arg[];
}

/** Splits `args` from index `start` into options and operands following `spec`. */
export function parseOptions(args: readonly Arg[], start: number, spec: OptionSpec): ParsedArgs {
  const options: ParsedOption[] = [];
  const operands: Arg[] = [];
  let index = start;
  while (index < args.length) {
    const arg = args[index]!;
    const text = arg.text;
    index++;
    if (text === "--") {
      for (; index < args.length; index++) operands.push(args[index]!);
      break;
    }
    const first = text[0];
    if (text.length < 2 || (first !== "-" && !(first === "+" && spec.plus))) {
      operands.push(arg);
      if (spec.permute) continue;
      for (; index < args.length; index++) operands.push(args[index]!);
      break;
    }
    if (first === "-" && text[1] === "-") {
      const eq = text.indexOf("=");
      const name = longName(eq === -1 ? text.slice(2) : text.slice(2, eq), spec);
      if (eq !== -1) options.push({ name, value: sliceArg(arg, eq + 1) });
      else if (spec.long?.includes(name)) options.push({ name, value: args[index++] });
      else options.push({ name, value: undefined });
      continue;
    }
    for (let at = 1; at < text.length; at++) {
      const name = text[at]!;
      if (!spec.short?.includes(name)) {
        options.push({ name, value: undefined });
        continue;
      }
      const value = at + 1 < text.length ? sliceArg(arg, at + 1) : args[index++];
      options.push({ name, value });
      break;
    }
  }
  return { options, operands };
}

/** The long option a possibly abbreviated name stands for (the first it is a prefix of). */
function longName(name: string, spec: OptionSpec): string {
  if (name === "" || spec.long?.includes(name) || spec.flags?.includes(name)) return name;
  const full = (candidates: readonly string[] | undefined) =>
    candidates?.find((candidate) => candidate.startsWith(name));
  return full(spec.long) ?? full(spec.flags) ?? name;
}

/** Whether any of `names` was given. */
export function hasOption(parsed: ParsedArgs, ...names: string[]): boolean {
  return parsed.options.some((option) => names.includes(option.name));
}

/** The value of the last of `names` that was given with one. */
export function optionValue(parsed: ParsedArgs, ...names: string[]): Arg | undefined {
  let found: Arg | undefined;
  for (const option of parsed.options) {
    if (option.value && names.includes(option.name)) found = option.value;
  }
  return found;
}

function sliceArg(arg: Arg, from: number): Arg {
  const text = arg.text.slice(from);
  return arg.literal ? literalArg(text) : { ...arg, text, braces: false };
}
