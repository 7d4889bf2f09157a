import { anyDynamic, NOTHING, RUNS } from "./argument-runs.ts";
import { isDangerousName } from "./names.ts";
import type { Run, Runner } from "./run.ts";
import { pytest } from "./test-runner-options.ts";
import type { Arg } from "./words.ts";

/**
 * Programs that take code in an argument: `python -c`, `node -e`, `perl -ne`, `gdb -ex 'shell …'`,
 * `emacs --eval`, `make --eval`. A rule naming the program allows the files it runs (`python x.py`,
 * as `bash x.sh`); code written in the command line is unseen, as `bash -c` is, and asks
 * (`argument_runs_program`) however the rule is written.
 */
interface CodeOptions {
  /** Short letters whose value is code, anywhere in a cluster (`perl -lne`, `python -Ic`). */
  readonly letters?: string;
  /** Whole option words (`--eval`, `-ex`; a `=value` is ignored), compared in lower case. */
  readonly words?: readonly string[];
  /** Short letters that take an ordinary value: a bare one consumes the next word. */
  readonly valued?: string;
  /** Short letters that name what runs and end the options (`python -m module`). */
  readonly ends?: string;
}

/** A word that names the script: options after it are the script's own. */
const SCRIPT = /[./]/;

/**
 * Reads options up to the script: `--`, a word that looks like a file (`x.py`, `bin/run`), or an
 * option of `ends`. A word that is neither does not end them, so an option value the table does
 * not know (`node --title t -e code`) cannot hide the code after it.
 */
export function inlineCode(options: CodeOptions): Runner {
  const words = new Set(options.words);
  return (args) => {
    if (anyDynamic(args)) return RUNS;
    for (let index = 1; index < args.length; index++) {
      const text = args[index]!.text;
      if (text === "--") return NOTHING;
      if (!text.startsWith("-") || text === "-") {
        if (SCRIPT.test(text)) return NOTHING;
        continue;
      }
      const eq = text.indexOf("=");
      if (words.has((eq === -1 ? text : text.slice(0, eq)).toLowerCase())) return RUNS;
      // A long option may take the next word (`--require ./a.js`): skip it unless it is an
      // option itself, which is then read as one (if it was a value, reading it costs an ask).
      if (text.startsWith("--")) {
        if (eq === -1 && !args[index + 1]?.text.startsWith("-")) index++;
        continue;
      }
      for (let at = 1; at < text.length; at++) {
        const letter = text[at]!;
        if (options.letters?.includes(letter)) return RUNS;
        if (options.ends?.includes(letter)) return NOTHING;
        if (!options.valued?.includes(letter)) continue;
        if (at === text.length - 1 && !args[index + 1]?.text.startsWith("-")) index++;
        break;
      }
    }
    return NOTHING;
  };
}

const PYTHON_CODE = inlineCode({ letters: "c", valued: "WX", ends: "m" });

/**
 * Standard modules that run code from their arguments or input (`python -m timeit -s 'code'`, the
 * `code` and `asyncio` consoles, `pdb`'s `-c` and `!` commands) or a browser (`webbrowser`).
 * Also as `-m` of a module that runs another (`python -m cProfile -m timeit 'code'`).
 */
const PYTHON_CODE_MODULES = new Set(["timeit", "code", "asyncio", "pdb", "webbrowser"]);
const PYTHON_MODULE_RUNNERS = new Set(["cProfile", "profile", "trace"]);

/** `python -m pytest …` is pytest, whose options write files (`test-runner-options.ts`). */
const PYTHON: Runner = (args) => {
  const run = PYTHON_CODE(args);
  if (run !== NOTHING) return run;
  for (let index = 1; index < args.length; index++) {
    const option = /^-[A-Za-z]*?m(.*)$/s.exec(args[index]!.text);
    if (!option) continue;
    const name = option[1] || args[index + 1]?.text;
    if (name !== undefined && PYTHON_CODE_MODULES.has(name)) return RUNS;
    const rest = index + (option[1] ? 1 : 2);
    if (name === "pytest") return pytest([args[rest - 1]!, ...args.slice(rest)]);
    // The profilers run a module of their own `-m`; any other module's options are its own.
    if (!PYTHON_MODULE_RUNNERS.has(name ?? "")) return run;
  }
  return run;
};
const NODE_CODE = inlineCode({
  letters: "ep",
  words: ["--eval", "--print"],
  valued: "rC",
});
/** node's options that load a module before the script, by path or URL. */
const NODE_PRELOADS = new Set(["--import", "--loader", "--experimental-loader", "--require", "-r"]);

/**
 * A preloaded module given as a `data:` URL is code in the argument
 * (`--import='data:text/javascript,…'`), and an `http(s):` one code from the network.
 */
const NODE: Runner = (args) => {
  for (let index = 1; index < args.length; index++) {
    const text = args[index]!.text;
    const eq = text.indexOf("=");
    if (!NODE_PRELOADS.has(eq === -1 ? text : text.slice(0, eq))) continue;
    const value = eq === -1 ? args[index + 1]?.text : text.slice(eq + 1);
    if (/^\s*(?:data|https?):/i.test(value ?? "")) return RUNS;
  }
  return NODE_CODE(args);
};
const PERL = inlineCode({ letters: "eE", valued: "I" });
const RUBY = inlineCode({ letters: "e", valued: "IrCEx" });

/** `-M'Foo;system q(id)'` is code too: perl runs `use Foo;system q(id)`. */
const perl: Runner = (args) => (args.slice(1).some(importsCode) ? RUNS : PERL(args));

/** `-M`/`-m` takes the rest of its word: plain only as `Module` or `Module=a,b`. */
function importsCode(arg: Arg): boolean {
  // The first `M` or `m` of the cluster, found lazily so a long word is read once.
  const option = /^-[A-Za-z]*?[Mm]/.exec(arg.text);
  return option !== null && !/^[\w:]*(?:=[\w,]*)?$/.test(arg.text.slice(option[0].length));
}

const PLAIN_MAKE_VALUE = /^[\w.,/@%+:=-]*$/;

/** The variable `NAME=value`, `NAME:=value`, `NAME+=value`… assigns, as make reads a word. */
function makeAssignment(text: string): { name: string; value: string } | undefined {
  const eq = text.indexOf("=");
  if (eq <= 0 || text.startsWith("-")) return undefined;
  let end = eq;
  while (end > 0 && ":!?+".includes(text[end - 1]!)) end--;
  const name = text.slice(0, end);
  return /\s/.test(name) ? undefined : { name, value: text.slice(eq + 1) };
}

/**
 * `make --eval TEXT` (`-E`) reads makefile text from the command line, and `NAME=value` overrides
 * a variable that recipes paste into shell lines: `CC=id`, `X='$(shell id)'`, `CFLAGS=-fplugin=x.so`.
 * An override is plain only with an ordinary name and a value of plain characters (`V=1`).
 */
function make(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  for (const arg of args.slice(1)) {
    if (/^--ev|^-[A-Za-z]*E/.test(arg.text)) return RUNS;
    const assignment = makeAssignment(arg.text);
    if (!assignment) continue;
    if (isDangerousName(assignment.name) || !PLAIN_MAKE_VALUE.test(assignment.value)) return RUNS;
  }
  return NOTHING;
}

/** `bun -e code`; bun is a package runner too (`package-runners.ts`). */
export const BUN_CODE = inlineCode({ letters: "ep", words: ["--eval", "--print"], valued: "r" });

/** Programs that take code in an argument, with the options that carry it. */
export const INLINE_CODE: ReadonlyMap<string, Runner> = new Map<string, Runner>([
  ...["python", "python2", "python3", "pypy", "pypy3"].map((name) => [name, PYTHON] as const),
  ...Array.from({ length: 10 }, (_, minor) => [`python3.${minor + 6}`, PYTHON] as const),
  ["make", make],
  ["gmake", make],
  ["node", NODE],
  ["nodejs", NODE],
  ["deno", (args) => (anyDynamic(args) || args[1]?.text === "eval" ? RUNS : NOTHING)],
  ["perl", perl],
  ["ruby", RUBY],
  ["php", inlineCode({ letters: "rBRFE", valued: "cdz" })],
  ["lua", inlineCode({ letters: "e", valued: "l" })],
  ["luajit", inlineCode({ letters: "e", valued: "lj" })],
  ["Rscript", inlineCode({ letters: "e" })],
  ["julia", inlineCode({ letters: "eE", words: ["--eval", "--print"] })],
  ["osascript", inlineCode({ letters: "e" })],
  ["expect", inlineCode({ letters: "c" })],
  // TypeScript runners, other languages' interpreters and REPLs, and shells whose syntax is not
  // bash's (their command string is code the analysis cannot read).
  ...["tsx", "ts-node"].map((name) => [name, NODE] as const),
  ["dc", inlineCode({ letters: "e", words: ["--expression"], valued: "f" })],
  ["elixir", inlineCode({ words: ["-e", "--eval"], valued: "r" })],
  ["erl", inlineCode({ words: ["-eval", "-s", "-run"] })],
  ...["ghc", "runghc", "runhaskell"].map((name) => [name, inlineCode({ words: ["-e"] })] as const),
  ...["raku", "rakudo", "perl6", "scala", "groovy", "swift", "bb"].map(
    (name) => [name, inlineCode({ letters: "e" })] as const,
  ),
  ["racket", inlineCode({ letters: "e", words: ["--eval"] })],
  ["guile", inlineCode({ words: ["-c"] })],
  ["R", inlineCode({ letters: "e" })],
  ["gnuplot", inlineCode({ letters: "e" })],
  // mongosh is Node (`require("child_process")`), the legacy shell has `runProgram`; octave `system`.
  ...["mongosh", "mongo"].map((name) => [name, inlineCode({ words: ["--eval"] })] as const),
  ["octave", inlineCode({ words: ["--eval"] })],
  ["sbcl", inlineCode({ words: ["--eval"] })],
  ["clisp", inlineCode({ words: ["-x"] })],
  ...["clojure", "clj"].map((name) => [name, inlineCode({ words: ["-e", "--eval"] })] as const),
  ...["nu", "xonsh", "elvish"].map(
    (name) => [name, inlineCode({ words: ["-c", "--commands"] })] as const,
  ),
  [
    "pwsh",
    inlineCode({ words: ["-c", "-command", "-e", "-ec", "-encodedcommand", "-commandwithargs"] }),
  ],
  [
    "gdb",
    inlineCode({
      words: [
        "-ex",
        "--ex",
        "-eval-command",
        "--eval-command",
        "-iex",
        "--iex",
        "-init-eval-command",
        "--init-eval-command",
        "-x",
        "--x",
        "-command",
        "--command",
        "-ix",
        "--ix",
        "-init-command",
        "--init-command",
      ],
    }),
  ],
  [
    "lldb",
    inlineCode({
      words: ["-o", "--one-line", "--one-line-before-file", "-s", "--source", "-k"],
    }),
  ],
  [
    "emacs",
    inlineCode({
      words: [
        ...["eval", "execute", "load", "funcall", "script"].flatMap((name) => [
          `-${name}`,
          `--${name}`,
        ]),
        "-l",
        "-f",
        "-x",
      ],
    }),
  ],
]);
