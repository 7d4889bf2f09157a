import { unknownWrite } from "./argument-runs.ts";
import { hasOption, optionValue, parseOptions } from "./options.ts";
import { argvLaunch, type Launch, type Run, type Runner, scriptLaunch } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

export const SHELLS = [
  "sh",
  "bash",
  "rbash",
  "zsh",
  "dash",
  "ksh",
  "ash",
  "mksh",
  "oksh",
  "loksh",
  "pdksh",
  "yash",
  "posh",
  "csh",
  "tcsh",
  "fish",
];
const FIND_ACTIONS = new Set(["-exec", "-execdir", "-ok", "-okdir"]);
const FIND_WRITES = new Set(["-fprint", "-fprint0", "-fprintf", "-fls"]);

function evaluate(args: readonly Arg[]): Run {
  const rest = args[1]?.text === "--" ? args.slice(2) : args.slice(1);
  return { reason: "eval", launches: scriptLaunch(rest, true) };
}

function shell(args: readonly Arg[]): Run {
  const parsed = parseOptions(args, 1, {
    short: "oO",
    long: ["rcfile", "init-file", "command"],
    plus: true,
  });
  const command = optionValue(parsed, "command");
  if (command) return { reason: "nested_shell", launches: scriptLaunch([command]) };
  // `bash $x` may be `bash -c …` once `$x` expands.
  if (!hasOption(parsed, "c")) {
    return args.slice(1).some((arg) => !arg.literal) ? { reason: "nested_shell" } : {};
  }
  return { reason: "nested_shell", launches: scriptLaunch(parsed.operands.slice(0, 1)) };
}

function xargs(args: readonly Arg[]): Run {
  const { operands } = parseOptions(args, 1, {
    short: "nLIPdEsa",
    long: ["max-args", "max-lines", "replace", "max-procs", "delimiter", "eof", "max-chars"],
  });
  return {
    reason: "xargs",
    launches: argvLaunch(operands.length > 0 ? operands : [literalArg("echo")]),
  };
}

function find(args: readonly Arg[]): Run {
  // A word that expands (`$x`, a glob matching a file named `-exec`) may be an action.
  const dynamic = args.slice(1).some((arg) => !arg.literal);
  const launches: Launch[] = [];
  const writes: Arg[] = findDeletes(args);
  for (let index = 1; index < args.length; index++) {
    const text = args[index]!.text;
    if (FIND_WRITES.has(text) && args[index + 1]) writes.push(args[++index]!);
    if (!FIND_ACTIONS.has(text)) continue;
    let end = index + 1;
    while (end < args.length && !isExecEnd(args, end)) end++;
    launches.push(...argvLaunch(args.slice(index + 1, end)));
    index = end;
  }
  return launches.length > 0 || dynamic ? { reason: "find_exec", launches, writes } : { writes };
}

/** `find -delete` removes what it finds: a write, of unknown files, under each starting point. */
function findDeletes(args: readonly Arg[]): Arg[] {
  if (!args.some((arg) => arg.text === "-delete")) return [];
  const end = args.findIndex((arg, index) => index > 0 && /^[-(!]/.test(arg.text));
  const roots = args.slice(1, end === -1 ? args.length : end).map((arg) => arg.text);
  return (roots.length > 0 ? roots : ["."]).map((root) => unknownWrite(`${root}/**`));
}

/** `fd … -x cmd args` and `-X` run cmd for the results, as `find -exec` does. */
function fd(args: readonly Arg[]): Run {
  const at = args.findIndex((arg, index) => index > 0 && /^-[A-Za-z]*[xX]|^--exec/.test(arg.text));
  if (at === -1) return args.slice(1).some((arg) => !arg.literal) ? { reason: "find_exec" } : {};
  let end = at + 1;
  while (end < args.length && args[end]!.text !== ";") end++;
  return { reason: "find_exec", launches: argvLaunch(args.slice(at + 1, end)) };
}

function isExecEnd(args: readonly Arg[], index: number): boolean {
  const text = args[index]!.text;
  return text === ";" || (text === "+" && args[index - 1]?.text === "{}");
}

function tee(args: readonly Arg[]): Run {
  const { operands } = parseOptions(args, 1, { permute: true });
  return { writes: operands.filter((arg) => arg.text !== "-") };
}

/** `trap ACTION SIGNAL…`: the action is code the shell runs later, in this shell. */
function trap(args: readonly Arg[]): Run {
  let start = 1;
  while (args[start] && /^-[lpP]+$/.test(args[start]!.text)) start++;
  if (args[start]?.text === "--") start++;
  const operands = args.slice(start);
  if (operands.length === 0) return {};
  if (operands.length === 1 && operands[0]!.literal) return {};
  // `-` resets the signals, `''` ignores them, and a signal number first makes every operand one.
  const action = operands[0]!;
  if (action.literal && /^(?:-|\d+|)$/.test(action.text)) return {};
  return { reason: "eval", launches: scriptLaunch(operands.slice(0, 1), true) };
}

/**
 * `compgen -C cmd`, `-F func` and `-W words` run code: `-W '$(cmd)'` expands its word list.
 * `complete` takes the same options and keeps them for every later completion of a command.
 */
function compgen(args: readonly Arg[]): Run {
  const { options, operands } = parseOptions(args, 1, { short: "AGWXPSCFo", permute: true });
  const launches: Launch[] = [];
  for (const { name, value } of options) {
    if (name === "C" && value) launches.push(...scriptLaunch([value]));
    // The word list is expanded like a word in double quotes.
    if (name === "W" && value) launches.push(...scriptLaunch([literalArg(`: "${value.text}"`)]));
  }
  const runs = options.some((option) => "CFW".includes(option.name));
  const dynamic = [...options.map((option) => option.value), ...operands].some(
    (arg) => arg !== undefined && !arg.literal,
  );
  return runs || dynamic ? { reason: "eval", launches } : {};
}

/** `mapfile -C callback`: the callback is a command line run in this shell for each chunk. */
function mapfile(args: readonly Arg[]): Run {
  const callback = optionValue(parseOptions(args, 1, { short: "dnOsuCc" }), "C");
  return callback ? { reason: "eval", launches: scriptLaunch([callback], true) } : {};
}

/**
 * `source FILE` runs a file in this shell, as `bash FILE` runs one in a new shell: a command like
 * any other, but a file name that may expand to anything (`source $f`, `. <(cmd)`) is unseen code.
 */
function source(args: readonly Arg[]): Run {
  const target = args[1]?.text === "--" ? args[2] : args[1];
  return target && !target.literal ? { reason: "nested_shell" } : {};
}

/** Programs that run code the analysis can partly see: eval, `sh -c`, xargs, `find -exec`, and tee's writes. */
export const NESTED_RUNNERS: ReadonlyMap<string, Runner> = new Map<string, Runner>([
  ["eval", evaluate],
  ["xargs", xargs],
  ["find", find],
  ["fd", fd],
  ["fdfind", fd],
  ["tee", tee],
  ["sponge", tee],
  ["trap", trap],
  ["compgen", compgen],
  ["complete", compgen],
  ["mapfile", mapfile],
  ["readarray", mapfile],
  ["source", source],
  [".", source],
  ...SHELLS.map((name) => [name, shell] as const),
]);
