import { INLINE_CODE } from "./inline-code.ts";
import { LAUNCHERS } from "./launchers.ts";
import { SHELLS } from "./nested.ts";
import { PACKAGE_RUNNERS } from "./package-runners.ts";
import { DATABASE_META } from "./system-tool-options.ts";
import type { Arg } from "./words.ts";
import { TRANSPARENT_WRAPPERS } from "./wrappers.ts";

/**
 * Programs that read code from their standard input: a command line that feeds them one (a
 * here-doc, a here-string, a pipe) writes code the analysis cannot read, as `python -c` does.
 * `python3 - x <<< 'code'`, `echo code | perl`, `make -f - <<< 'x:; cmd'`, `gdb prog <<< 'shell
 * cmd'`, `vim -es f <<< '!cmd'`, `sqlite3 db <<< '.shell cmd'` all run what the input says.
 */

/**
 * What a command reads on standard input: here-doc and here-string texts, a pipe's unseen data, or
 * a `file` it is redirected from (`psql < x.sql`).
 */
export type Input = readonly string[] | "unseen" | "file";

/**
 * Readers whose commands in a file run programs as in a here-doc: database clients' meta-commands
 * (`psql < x.sql` with `\! cmd` in it, as `psql -f x.sql`), line editors, file-transfer clients,
 * debuggers and schedulers (`at now < job`). An interpreter reading a script file from its input
 * (`python3 < x.py`) runs that script as `python3 x.py` would: what its rule allows.
 */
const FILE_COMMAND_READERS = new Set([
  ...DATABASE_META.keys(),
  ...["ed", "red", "ex", "vi", "vim", "nvim", "view", "rvim", "rview", "vimdiff", "evim"],
  ...["ftp", "sftp", "lftp", "tftp", "gdb", "lldb", "mongosh", "mongo", "at", "batch"],
]);

/** Shells, `source`, and `at`/`batch` (which run their input later): their input is a script. */
const SCRIPT_READERS = new Set([...SHELLS, "source", ".", "at", "batch"]);

/** A word that names standard input or another descriptor: `-`, `/dev/stdin`, `/dev/fd/3`, `/proc/self/fd/0`. */
const INPUT_WORD = /^-$|(?:^|\/)(?:dev|proc)\//;
/** Whether a path names standard input or another descriptor rather than a file. */
export function namesInput(path: string): boolean {
  return INPUT_WORD.test(path);
}

/** A word that names the script file, as `inline-code.ts` reads it. */
const SCRIPT_WORD = /[./]/;

/**
 * Reads its program from the input unless a script file (or, for python, `-m module`) is named,
 * and reads code from any word naming the input (`node -r /dev/stdin x.js`, `python3 x.py -`
 * counted too). A word that is neither (`-W ignore`, `-X dev`) may be an option's value.
 */
function readsProgram(args: readonly Arg[], module?: RegExp): boolean {
  // `--version` and `--help` print and exit before reading anything (`f() { node --version; }`).
  if (args.length === 2 && /^--?(?:version|help|V|v|h)$/.test(args[1]!.text)) return false;
  let script = false;
  for (const arg of args.slice(1)) {
    if (!arg.literal || INPUT_WORD.test(arg.text)) return true;
    if (!arg.text.startsWith("-") && SCRIPT_WORD.test(arg.text)) script = true;
    if (module?.test(arg.text)) script = true;
  }
  return !script;
}

/** make reads a makefile from the input only through `-f -` (`--file=-`, `-f/dev/stdin`). */
function makefileFromInput(args: readonly Arg[]): boolean {
  for (let index = 1; index < args.length; index++) {
    const text = args[index]!.text;
    const glued = /^-[A-Za-z]*f(.+)$|^--(?:f|makef)[a-z]*=(.*)$/.exec(text);
    const value = glued
      ? args[index]!
      : /^-[A-Za-z]*f$|^--(?:f|makef)[a-z]*$/.test(text)
        ? args[++index]
        : undefined;
    if (!value) continue;
    const name = glued ? (glued[1] ?? glued[2]!) : value.text;
    if (!value.literal || INPUT_WORD.test(name)) return true;
  }
  return false;
}

/** Debuggers read commands from the input unless in batch mode. */
function debuggerReads(args: readonly Arg[]): boolean {
  return !args.some((arg) => /^--?batch$/.test(arg.text));
}

type InputRule = (args: readonly Arg[], input: Input) => boolean;

const always: InputRule = () => true;
const program: InputRule = (args) => readsProgram(args);
const PYTHON_MODULE = /^-[A-Za-z]*m/;
/** `-i` (`-ui`, …) before the script reads code from the input once the script has run. */
const PYTHON_INSPECT = /^-(?!-)[A-Za-z]*i/;
const python: InputRule = (args) => {
  if (readsProgram(args, PYTHON_MODULE)) return true;
  for (const arg of args.slice(1)) {
    if (!arg.text.startsWith("-") || PYTHON_MODULE.test(arg.text)) return false;
    if (PYTHON_INSPECT.test(arg.text)) return true;
  }
  return false;
};

/**
 * Options and operands after which an interpreter reads commands from its input although a script
 * is named: a debugger (`perl -d x.pl`, `node inspect x.js`, whose commands run code) or an
 * interactive prompt (`php -a`). Looked for in every word: one the script receives only asks.
 */
const INTERACTIVE: ReadonlyMap<string, RegExp> = new Map([
  ["perl", /^-(?!-)[A-Za-z]*d/],
  ["node", /^(?:inspect|debug)$/],
  ["nodejs", /^(?:inspect|debug)$/],
  ["php", /^-(?!-)[A-Za-z]*a/],
  // `-rdebug`, or `-r debug` as two words (the bare word is read wherever it is).
  ["ruby", /^-r ?debug$|^debug$/],
]);

function interpreter(name: string): InputRule {
  const interactive = INTERACTIVE.get(name);
  if (!interactive) return program;
  return (args) => readsProgram(args) || args.slice(1).some((arg) => interactive.test(arg.text));
}

/** Programs that read code, commands or keystrokes from their input, with when they do. */
const CODE_READERS: ReadonlyMap<string, InputRule> = new Map<string, InputRule>([
  ...[...INLINE_CODE.keys()]
    .filter((name) => !["make", "gmake", "gdb", "lldb", "emacs"].includes(name))
    .map((name) => [name, /^(?:python|pypy)/.test(name) ? python : interpreter(name)] as const),
  ...["tclsh", "wish", "m4", "bun", "irb", "jshell", "ghci"].map(
    (name) => [name, program] as const,
  ),
  // A connection string looks like a script's name: the mongo shells read commands whatever it is.
  ...["mongosh", "mongo"].map((name) => [name, always] as const),
  // File-transfer clients run `!cmd` from the commands they read.
  ...["ftp", "sftp", "lftp", "tftp"].map((name) => [name, always] as const),
  ["make", makefileFromInput],
  ["gmake", makefileFromInput],
  ["gdb", debuggerReads],
  ["lldb", debuggerReads],
  // Line editors read their commands, and vi and its siblings their keystrokes (`:!cmd`), from
  // the input whatever their arguments.
  ...["ed", "red", "ex", "vi", "vim", "nvim", "view", "rvim", "rview", "vimdiff", "evim"].map(
    (name) => [name, always] as const,
  ),
  // Database clients read SQL, and with it meta-commands (`\! cmd`, `.shell cmd`).
  ...[...DATABASE_META].map(
    ([name, meta]) =>
      [
        name,
        (_args: readonly Arg[], input: Input) =>
          input === "unseen" ||
          (input !== "file" && input.some((text) => /[$`]/.test(text) || meta.test(text))),
      ] as const,
  ),
]);

const PASSING_ON = new Set([...LAUNCHERS.keys(), ...PACKAGE_RUNNERS.keys()]);
const MAX_UNWRAPS = 16;

function baseName(text: string): string {
  return text.slice(text.lastIndexOf("/") + 1);
}

/**
 * The command that reads the input: the operand of wrappers (`env -S 'python3 -'`, `timeout 5
 * perl`) as the analysis unwraps them, or a reader named anywhere under a launcher or a package
 * runner (`uv run python3`, `sudo -u x sh`).
 */
function reader(args: readonly Arg[]): readonly Arg[] | undefined {
  let current = args;
  for (let hops = 0; hops < MAX_UNWRAPS && current.length > 0; hops++) {
    const inner = TRANSPARENT_WRAPPERS.get(baseName(current[0]!.text))?.(current);
    if (!inner || inner.length === 0) break;
    current = inner;
  }
  const head = baseName(current[0]?.text ?? "");
  if (!PASSING_ON.has(head)) return current;
  const at = current.findIndex((arg) => {
    const name = baseName(arg.text);
    return SCRIPT_READERS.has(name) || CODE_READERS.has(name);
  });
  return at === -1 ? undefined : current.slice(at);
}

/** What a command does with the input the command line feeds it. */
export type InputUse = "script" | "code" | undefined;

/**
 * `script` when the command runs the input as a shell script (walk the texts), `code` when it runs
 * it as code the analysis cannot read (`argument_runs_program`), nothing when it is data.
 */
export function inputUse(args: readonly Arg[], input: Input): InputUse {
  const argv = reader(args);
  if (!argv) return undefined;
  const name = baseName(argv[0]?.text ?? "");
  if (input === "file") return FILE_COMMAND_READERS.has(name) ? "code" : undefined;
  if (SCRIPT_READERS.has(name)) return "script";
  return CODE_READERS.get(name)?.(argv, input) ? "code" : undefined;
}
