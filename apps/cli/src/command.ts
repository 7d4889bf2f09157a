import type { Io } from "./io.ts";

/** One subcommand: its name, a one-line summary for `--help`, its usage text and its runner. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: readonly string[], io: Io): Promise<number>;
}
