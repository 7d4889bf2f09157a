import type { ShellUncertainty } from "./types.ts";
import type { Arg } from "./words.ts";

/** Something a command would run: another command line as argv, or shell source to parse. */
export type Launch =
  | {
      readonly kind: "argv";
      readonly args: readonly Arg[];
      /**
       * Set by package runners: an allow rule that names the runner and this program (`Bash(npx
       * prettier *)`) covers the program too (`ShellCommand.grant`).
       */
      readonly grantable?: boolean;
    }
  | { readonly kind: "script"; readonly args: readonly Arg[]; readonly sameShell: boolean };

/** What a program does beyond being a command: why it is uncertain, what it runs, what it writes. */
export interface Run {
  readonly reason?: ShellUncertainty;
  readonly launches?: readonly Launch[];
  readonly writes?: readonly Arg[];
  /**
   * Files put in place by the program's own job (`cp`'s destination): an allow rule for the
   * program grants them, but protected paths and deny or ask Write rules still apply.
   */
  readonly placed?: readonly Arg[];
  /** Placed roots of directory trees the job may fill with anything (`tar -x -C DIR`). */
  readonly trees?: readonly Arg[];
  /** Placed roots of git work trees a checkout rewrites (`ShellWrite.workTree`). */
  readonly workTrees?: readonly Arg[];
}

/** Reads a program's argv (program first) and tells what it runs. */
export type Runner = (args: readonly Arg[]) => Run;

/** A launch of `args` as a command, or none when there are no args. */
export function argvLaunch(args: readonly Arg[]): Launch[] {
  return args.length > 0 ? [{ kind: "argv", args }] : [];
}

/** A launch of `args`, joined by spaces, as shell source run by a new shell. */
export function scriptLaunch(args: readonly Arg[], sameShell = false): Launch[] {
  return args.length > 0 ? [{ kind: "script", args, sameShell }] : [];
}
