import { unknownWrite } from "./argument-runs.ts";
import { hasOption, optionValue, parseOptions } from "./options.ts";
import { argvLaunch, type Run, type Runner, scriptLaunch } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

/**
 * Builtins that run a command now (`jobs -x`, `fc`), keep code the shell runs later (at a key
 * press, a completion, a signal) or write a file (`history -w`). What they run is walked, so deny
 * rules see it, and the call asks: an allow rule for the builtin never names that code.
 */

/** A word that may expand into an option (`jobs $x`, `"$x"` holding `-x`). */
const anyExpanding = (args: readonly Arg[]): boolean => args.slice(1).some((arg) => !arg.literal);

/** `jobs -x cmd args…` runs cmd, with the job specs among its arguments replaced by process ids. */
function jobs(args: readonly Arg[]): Run {
  const parsed = parseOptions(args, 1, {});
  if (hasOption(parsed, "x")) {
    return { reason: "unknown_wrapper", launches: argvLaunch(parsed.operands) };
  }
  return anyExpanding(args) ? { reason: "unknown_wrapper" } : {};
}

/**
 * `fc` runs history entries again: `-s` as they were, otherwise after an editor (`-e ed`, else
 * `$FCEDIT`/`$EDITOR`) rewrote them, and the editor is a command line of its own. Only `-l` lists.
 */
function fc(args: readonly Arg[]): Run {
  const parsed = parseOptions(args, 1, { short: "e" });
  const lists = hasOption(parsed, "l") && !hasOption(parsed, "s");
  if (lists && !anyExpanding(args)) return {};
  const editor = optionValue(parsed, "e");
  return { reason: "eval", launches: editor ? scriptLaunch([editor]) : [] };
}

/** `bind` options that only print, look up or remove bindings (`-m` names the keymap). */
const BIND_PLAIN = new Set("mqurlpPsSvVX");

/**
 * `bind -x 'KEYSEQ: cmd'` runs cmd at a key press; any other binding, `-f FILE` included, changes
 * what a key does (a macro types a command line). Only the queries are plain.
 */
function bind(args: readonly Arg[]): Run {
  const parsed = parseOptions(args, 1, { short: "mqurfx", permute: true });
  const commands = parsed.options.flatMap((option) =>
    option.name === "x" && option.value ? [option.value] : [],
  );
  if (commands.length > 0) return { reason: "eval", launches: commands.flatMap(bindCommand) };
  const plain =
    !anyExpanding(args) &&
    parsed.operands.length === 0 &&
    parsed.options.every((option) => BIND_PLAIN.has(option.name));
  return plain ? {} : { reason: "dangerous_environment" };
}

/** The command of a `KEYSEQ: command` binding: what follows the first `:` after the key. */
function bindCommand(binding: Arg) {
  if (!binding.literal) return [];
  const keyEnd = /^\s*("(?:[^"\\]|\\.)*"|[^:\s]*)\s*:?/s.exec(binding.text)![0].length;
  return scriptLaunch([literalArg(binding.text.slice(keyEnd))]);
}

/** `history -w`/`-a` write the history file: the one named, or `$HISTFILE` when none is. */
function history(args: readonly Arg[]): Run {
  const parsed = parseOptions(args, 1, { short: "d" });
  if (anyExpanding(args)) return { writes: [unknownWrite("$HISTFILE")] };
  if (hasOption(parsed, "p", "s") || !hasOption(parsed, "w", "a")) return {};
  return { writes: [parsed.operands[0] ?? unknownWrite("$HISTFILE")] };
}

/** Builtins that run what their arguments name, or keep it to run later. */
export const BUILTIN_RUNNERS: ReadonlyMap<string, Runner> = new Map<string, Runner>([
  ["jobs", jobs],
  ["fc", fc],
  ["bind", bind],
  ["history", history],
]);
