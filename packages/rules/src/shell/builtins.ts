import { isLiteralArithmeticText } from "./arithmetic.ts";
import { nameProblem } from "./names.ts";
import type { ShellUncertainty } from "./types.ts";
import type { Arg } from "./words.ts";

type Check = (args: readonly Arg[]) => ShellUncertainty | undefined;

const ASSIGNMENT_WORD = /^([^=[+]*(?:\[[^\]]*\])?)(\+?=)?/s;

/**
 * A name a builtin assigns, reads through or unsets: it must be written out literally, and
 * a subscript in it is arithmetic (`read 'a[$(cmd)]'` runs `cmd`).
 */
function checkName(arg: Arg | undefined): ShellUncertainty | undefined {
  if (!arg) return undefined;
  if (!arg.literal) return "dynamic_name";
  return nameProblem(arg.text);
}

function first(...reasons: (ShellUncertainty | undefined)[]): ShellUncertainty | undefined {
  return reasons.find((reason) => reason !== undefined);
}

/**
 * Reads `args` (program first) as options then operands. Options are read only from literal
 * words; a word that may split (`$x` unquoted) could be any option, so it makes the call dynamic.
 * `valued` lists the letters that take a value; `onOption` sees each option and its value.
 */
function readOptions(
  args: readonly Arg[],
  valued: string,
  onOption: (letter: string, value: Arg | undefined) => ShellUncertainty | undefined,
): { readonly operands: readonly Arg[]; readonly reason?: ShellUncertainty } {
  let index = 1;
  while (index < args.length) {
    const arg = args[index]!;
    if (!arg.literal) {
      if (arg.split || /^[-+$`]/.test(arg.text)) {
        return { operands: [], reason: "dynamic_name" };
      }
      break;
    }
    if (arg.text === "--") {
      index++;
      break;
    }
    if (!/^[-+]./.test(arg.text)) break;
    index++;
    for (let at = 1; at < arg.text.length; at++) {
      const letter = arg.text[at]!;
      if (!valued.includes(letter)) {
        const reason = onOption(letter, undefined);
        if (reason) return { operands: [], reason };
        continue;
      }
      const value =
        at + 1 < arg.text.length ? { ...arg, text: arg.text.slice(at + 1) } : args[index++];
      if (value?.split) return { operands: [], reason: "dynamic_name" };
      const reason = onOption(letter, value);
      if (reason) return { operands: [], reason };
      break;
    }
  }
  return { operands: args.slice(index) };
}

const nameOption =
  (letter: string) =>
  (option: string, value: Arg | undefined): ShellUncertainty | undefined =>
    option === letter ? checkName(value) : undefined;

/** `read [-a name] name…`: every operand and `-a`'s value is a name. */
const read: Check = (args) => {
  const { operands, reason } = readOptions(args, "adinNptu", nameOption("a"));
  return first(reason, ...operands.map(checkName));
};

/** `mapfile [-C callback] [name]`: the callback is code, the operand a name. */
const mapfile: Check = (args) => {
  const { operands, reason } = readOptions(args, "dnOsuCc", (option) =>
    option === "C" ? "eval" : undefined,
  );
  return first(reason, checkName(operands[0]));
};

/** `printf -v name format…`: the format and data are never code, `-v`'s value is a name. */
const printf: Check = (args) => {
  const { reason } = readOptions(args, "v", nameOption("v"));
  return reason;
};

/** `getopts optstring name [arg…]`. */
const getopts: Check = (args) => {
  const { operands, reason } = readOptions(args, "", () => undefined);
  return first(reason, checkName(operands[1]));
};

/** `wait [-p name] [id…]`. */
const wait: Check = (args) => readOptions(args, "p", nameOption("p")).reason;

/** `unset [-fvn] name…`: a subscript is arithmetic, and unsetting `PATH` changes what runs. */
const unset: Check = (args) => {
  let functions = false;
  const { operands, reason } = readOptions(args, "", (option) => {
    if (option === "f") functions = true;
    return option === "n" ? "dynamic_name" : undefined;
  });
  if (reason) return reason;
  if (functions) return operands.every((arg) => arg.literal) ? undefined : "dynamic_name";
  return first(...operands.map(checkName));
};

/** `let expr…`: each operand is arithmetic. */
const letBuiltin: Check = (args) =>
  args.slice(1).every((arg) => arg.literal && isLiteralArithmeticText(arg.text))
    ? undefined
    : "arithmetic";

/**
 * `declare`/`typeset`/`local`/`export`/`readonly`: `-n` makes a name a reference (its value is
 * then read as a name, subscript included), `-i` makes every later assignment arithmetic; an
 * operand the shell did not parse as an assignment is re-parsed by the builtin, `a=(…)` included.
 */
const declaration: Check = (args) => {
  let functions = false;
  const { operands, reason } = readOptions(args, "", (option) => {
    if (option === "f" || option === "F") functions = true;
    return option === "n" || option === "i" ? "dynamic_name" : undefined;
  });
  if (reason) return reason;
  if (functions) return operands.every((arg) => arg.literal) ? undefined : "dynamic_name";
  for (const arg of operands) {
    const problem = declarationOperand(arg);
    if (problem) return problem;
  }
  return undefined;
};

function declarationOperand(arg: Arg): ShellUncertainty | undefined {
  const match = ASSIGNMENT_WORD.exec(arg.text)!;
  const name = match[1]!;
  const problem = nameProblem(name);
  if (problem) return problem;
  if (arg.assignment || arg.literal) {
    const value = arg.text.slice(match[0].length);
    if (!arg.assignment && match[2] && value.startsWith("(")) return "dynamic_name";
    return undefined;
  }
  return "dynamic_name";
}

/** `test`/`[`: `-v name` and `-R name` evaluate a subscript in the name; a split word may become `-v`. */
const test: Check = (args) => {
  const operands = args[0]?.text === "[" ? args.slice(1, -1) : args.slice(1);
  for (let index = 0; index < operands.length; index++) {
    const arg = operands[index]!;
    if (arg.split) return "dynamic_name";
    const previous = operands[index - 1];
    const afterNameTest = previous?.literal && (previous.text === "-v" || previous.text === "-R");
    const afterDynamic = previous && !previous.literal;
    if ((afterNameTest || afterDynamic) && checkName(arg) === "dynamic_name") return "dynamic_name";
  }
  return undefined;
};

/** `alias name=value` changes what a later command line runs; `hash -p path name` too. */
const alias: Check = (args) =>
  args.slice(1).some((arg) => !arg.literal || arg.text.includes("="))
    ? "dangerous_environment"
    : undefined;

const hash: Check = (args) =>
  args.slice(1).some((arg) => !arg.literal || /^-\w*p/.test(arg.text))
    ? "dangerous_environment"
    : undefined;

/**
 * `enable -f lib.so name` loads code as a builtin that then shadows a program of that name, and
 * `enable -n cd` turns a builtin off, so `cd`, `read` or `test` run a program of that name, or
 * nothing: what later commands do is no longer what they say. Only listing is plain.
 */
const enable: Check = (args) =>
  args.slice(1).some((arg) => !arg.literal || !/^-[anps]+$/.test(arg.text))
    ? "dangerous_environment"
    : undefined;

/**
 * `set -k` reads every later `NAME=value` argument as an assignment (`ls PATH=./evil` then runs
 * `./evil/ls`), and history expansion (`set -H -o history`) rewrites later lines before they are
 * parsed (`ls !!:2:gs/'//`): both change what a command line that looks plain runs.
 */
const RESHAPING_LETTERS = /^-[A-Za-z]*[kH]/;
const RESHAPING_NAMES = new Set(["keyword", "histexpand", "history"]);

const set: Check = (args) => {
  for (let index = 1; index < args.length; index++) {
    const arg = args[index]!;
    if (arg.text === "--" || arg.text === "-") return undefined;
    if (!arg.literal) return "dangerous_environment";
    if (RESHAPING_LETTERS.test(arg.text)) return "dangerous_environment";
    // `+o NAME` takes its name as `-o NAME` does, and options go on after it (`set +o posix -k`).
    if (/^[-+][A-Za-z]*o$/.test(arg.text)) {
      const name = args[++index];
      if (name && (!name.literal || RESHAPING_NAMES.has(name.text))) return "dangerous_environment";
      continue;
    }
    if (!/^[-+]/.test(arg.text)) return undefined;
  }
  return undefined;
};

/**
 * `shopt` options that leave what runs and where `cd` goes alone. The others, and any unknown
 * name, change what a later line means: `expand_aliases` turns aliases on, `cdable_vars` makes
 * `cd name` go to `$name`, the `compat*` levels change how lines are parsed and expanded.
 */
const SHOPT_PLAIN = new Set([
  "assoc_expand_once",
  "checkhash",
  "checkjobs",
  "checkwinsize",
  "cmdhist",
  "complete_fullquote",
  "direxpand",
  "dotglob",
  "execfail",
  "extglob",
  "extquote",
  "failglob",
  "force_fignore",
  "globasciiranges",
  "globskipdots",
  "globstar",
  "gnu_errfmt",
  "histappend",
  "histreedit",
  "histverify",
  "hostcomplete",
  "huponexit",
  "inherit_errexit",
  "lastpipe",
  "lithist",
  "localvar_inherit",
  "localvar_unset",
  "mailwarn",
  "no_empty_cmd_completion",
  "nocaseglob",
  "nocasematch",
  "noexpand_translation",
  "nullglob",
  "patsub_replacement",
  "progcomp",
  "progcomp_alias",
  "promptvars",
  "shift_verbose",
  "sourcepath",
  "varredir_close",
  "xpg_echo",
]);

/** `shopt -s/-u NAME…` sets shell options; with `-o` they are `set -o`'s (`shopt -so keyword`). */
const shopt: Check = (args) => {
  let changes = false;
  let setOptions = false;
  const names: string[] = [];
  for (const arg of args.slice(1)) {
    if (!arg.literal) return "dangerous_environment";
    if (/^-[A-Za-z]+$/.test(arg.text)) {
      if (/[su]/.test(arg.text)) changes = true;
      if (arg.text.includes("o")) setOptions = true;
    } else if (arg.text !== "--") names.push(arg.text);
  }
  if (!changes) return undefined;
  const reshapes = setOptions
    ? names.some((name) => RESHAPING_NAMES.has(name))
    : names.some((name) => !SHOPT_PLAIN.has(name));
  return reshapes ? "dangerous_environment" : undefined;
};

/**
 * Builtins that take variable names, arithmetic or code as operands. Each says why a call is
 * uncertain, or nothing when its names, expressions and options are literal and harmless.
 */
export const NAME_BUILTINS: ReadonlyMap<string, Check> = new Map<string, Check>([
  ["read", read],
  ["mapfile", mapfile],
  ["readarray", mapfile],
  ["printf", printf],
  ["getopts", getopts],
  ["wait", wait],
  ["unset", unset],
  ["let", letBuiltin],
  ["declare", declaration],
  ["typeset", declaration],
  ["local", declaration],
  ["export", declaration],
  ["readonly", declaration],
  ["test", test],
  ["[", test],
  ["alias", alias],
  ["hash", hash],
  ["enable", enable],
  ["set", set],
  ["shopt", shopt],
]);
