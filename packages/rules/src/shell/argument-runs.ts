import type { OptionSpec, ParsedArgs } from "./options.ts";
import { parseOptions } from "./options.ts";
import type { Run, Runner } from "./run.ts";
import type { Arg } from "./words.ts";

/** Helpers for programs whose arguments run a program or write a file (`program-options.ts`). */

/** The call may run a program its allow rule never named. */
export const RUNS: Run = { reason: "argument_runs_program" };
export const NOTHING: Run = {};

/** A write whose target cannot be read from the arguments (`awk 'print > f'`, `find -delete`). */
export function unknownWrite(text: string): Arg {
  return { text, literal: false, opaque: false, braces: false, split: false };
}

/** Whether any option of `names` was given. */
export function named(parsed: ParsedArgs, names: ReadonlySet<string>): boolean {
  return parsed.options.some((option) => names.has(option.name));
}

/** The values given to the options of `names`, in order. */
export function values(parsed: ParsedArgs, ...names: string[]): Arg[] {
  return parsed.options.flatMap((option) =>
    option.value && names.includes(option.name) ? [option.value] : [],
  );
}

/**
 * A word before `--` that may expand into an option nobody can see: `sort $x`, or `git log *` in a
 * directory holding a file named `--output=.bashrc`.
 */
export function anyDynamic(args: readonly Arg[]): boolean {
  for (const arg of args.slice(1)) {
    if (arg.text === "--" && arg.literal) return false;
    if (arg.split) return true;
  }
  return false;
}

/** Options that name a program to run, for programs that have nothing else to look at. */
export function runsThrough(spec: OptionSpec, running: readonly string[]): Runner {
  const names = new Set(running);
  return (args) => {
    if (anyDynamic(args)) return RUNS;
    // Each of these takes a value (`--pager CMD`), and may be abbreviated (`--pag=CMD`).
    const long = [...(spec.long ?? []), ...running.filter((name) => name.length > 1)];
    return named(parseOptions(args, 1, { ...spec, long, permute: true }), names) ? RUNS : NOTHING;
  };
}

/** A runner that reads the arguments both ways: what either runs, flags or places. */
export function both(first: Runner, second: Runner): Runner {
  return (args) => {
    const a = first(args);
    const b = second(args);
    if (a === NOTHING) return b;
    if (b === NOTHING) return a;
    return {
      ...(a.reason || b.reason ? { reason: a.reason ?? b.reason } : {}),
      launches: [...(a.launches ?? []), ...(b.launches ?? [])],
      writes: [...(a.writes ?? []), ...(b.writes ?? [])],
      placed: [...(a.placed ?? []), ...(b.placed ?? [])],
      trees: [...(a.trees ?? []), ...(b.trees ?? [])],
      workTrees: [...(a.workTrees ?? []), ...(b.workTrees ?? [])],
    };
  };
}
