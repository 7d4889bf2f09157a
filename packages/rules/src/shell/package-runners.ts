import { anyDynamic, RUNS } from "./argument-runs.ts";
import { configSetter } from "./config-setters.ts";
import { BUN_CODE } from "./inline-code.ts";
import { argvLaunch, type Launch, type Run, type Runner, scriptLaunch } from "./run.ts";
import type { Arg } from "./words.ts";

/**
 * Package runners run the program their operand names: `npx eslint`, `npm exec -- tsc`,
 * `pnpm dlx create-x`, `uv run pytest`, `bundle exec rake`. That program is a command of its own:
 * deny rules see it (`npx rm -rf x` is denied by `Bash(rm *)`), and an allow needs a rule for it as
 * well as for the runner. A command string (`npx -c 'cmd'`, `pnpm -c exec 'cmd'`) is walked as a
 * script and asks; so do npm's options that swap the shell or the config that names it.
 */

interface RunnerSpec {
  /** Subcommands (after the program's own options) that run a program; none: the program itself. */
  readonly subcommands?: readonly string[];
  /** Options whose value is a program or a config that names one. */
  readonly runs?: readonly string[];
  /** Options whose value is a command string run by a shell (`npx -c`, `npm exec --call`). */
  readonly script?: readonly string[];
  /** Options that take the next word as their value (`uv run --with pkg cmd`). */
  readonly valued?: readonly string[];
  /** Options known to take no value (`npx -y eslint`). */
  readonly flags?: readonly string[];
}

/** `--name` or `-n` as written, `=value` removed. */
function optionWord(text: string): string {
  const eq = text.indexOf("=");
  return eq === -1 ? text : text.slice(0, eq);
}

/**
 * The program run from `index` on: options (with their values) are skipped, and `--` ends them.
 * An option not in `valued` may still take the next word, so that reading is launched too. The
 * main reading comes first.
 */
function launchesFrom(args: readonly Arg[], index: number, spec: RunnerSpec): Launch[] {
  const launches: Launch[] = [];
  for (; index < args.length; index++) {
    const text = args[index]!.text;
    if (text === "--") return [...argvLaunch(args.slice(index + 1)), ...launches];
    if (!text.startsWith("-") || text === "-") break;
    if (text.includes("=")) continue;
    if (spec.valued?.includes(text)) index++;
    else if (spec.flags?.includes(text)) continue;
    else if (index + 1 < args.length && !args[index + 1]!.text.startsWith("-")) {
      launches.push(...argvLaunch(args.slice(index + 2)));
    }
  }
  return [...argvLaunch(args.slice(index)), ...launches];
}

/**
 * Whether an option word is one of `runs`, as npm's option parser (nopt) reads it: a long option
 * with one dash or two, abbreviated to any prefix (`-scri=cmd` is `--script-shell=cmd`).
 */
function isRunsOption(
  word: string,
  runs: ReadonlySet<string>,
  longRuns: readonly string[],
): boolean {
  if (runs.has(word)) return true;
  const name = /^--?([^-].*)$/.exec(word)?.[1];
  return name !== undefined && name.length > 1 && longRuns.some((full) => full.startsWith(name));
}

function packageRunner(spec: RunnerSpec): Runner {
  const runs = new Set(spec.runs);
  const longRuns = [...runs].flatMap((word) => (word.startsWith("--") ? [word.slice(2)] : []));
  const script = new Set(spec.script);
  const paths = spec.subcommands?.map((path) => path.split(" "));
  return (args): Run => {
    if (anyDynamic(args)) return RUNS;
    const start = paths ? subcommandEnd(args, paths) : 1;
    const launches = start === -1 ? [] : launchesFrom(args, start, spec);
    // The runner's own options come before the program it runs; the program's are its own.
    const end = args.length - (launches[0]?.args.length ?? 0);
    for (let index = 1; index < end; index++) {
      const arg = args[index]!;
      const word = optionWord(arg.text);
      // The program still runs: deny rules see it (`npx --scri=x rm -rf /`).
      if (isRunsOption(word, runs, longRuns)) return { ...RUNS, launches };
      if (!script.has(word)) continue;
      const value =
        word === arg.text ? args[index + 1] : { ...arg, text: arg.text.slice(word.length + 1) };
      return { reason: "argument_runs_program", launches: value ? scriptLaunch([value]) : [] };
    }
    return { launches: launches.map((launch) => ({ ...launch, grantable: true })) };
  };
}

/**
 * Where the program starts after the first subcommand (`exec`, `tool run`), wherever it is: an
 * option's value before it (`npm --prefix dir exec`) cannot hide it. -1 when there is none.
 */
function subcommandEnd(args: readonly Arg[], paths: readonly (readonly string[])[]): number {
  for (let index = 1; index < args.length; index++) {
    const path = paths.find((words) => startsWith(args, index, words));
    if (path) return index + path.length;
  }
  return -1;
}

function startsWith(args: readonly Arg[], index: number, words: readonly string[]): boolean {
  return words.every((word, at) => args[index + at]?.text === word);
}

/** The first runner's finding when it has a reason to ask, else the second's. */
function either(first: Runner, second: Runner): Runner {
  return (args) => {
    const found = first(args);
    return found.reason ? found : second(args);
  };
}

/**
 * npm reads a shell, a node, a git and config files from options; any of them runs a program. So
 * do `--init-module` (JavaScript run by `npm init`) and `--node-gyp`; `--cache` names the store
 * packages are installed from and `--logs-dir` where every run writes its log (`npm --logs-dir=out
 * ls` wrote out/): they ask with them.
 */
const NPM_RUNS = [
  "--script-shell",
  "--init-module",
  "--node-gyp",
  "--cache",
  "--logs-dir",
  "--shell",
  "--userconfig",
  "--globalconfig",
  "--node-options",
  "--git",
  "--editor",
  "--browser",
  "--viewer",
];

const NPM_FLAGS = ["-y", "--yes", "--no", "-q", "--quiet", "-s", "--silent", "--no-install"];
const PNPM_FLAGS = ["-r", "--recursive", "--parallel", "--no-bail", "-s", "--silent", "-w"];
const UV_FLAGS = ["--no-sync", "--frozen", "--locked", "--isolated", "--no-project", "-q", "-v"];

const UV_VALUED = [
  "--with",
  "--with-requirements",
  "--with-editable",
  "--python",
  "-p",
  "--env-file",
  "--directory",
  "--project",
  "--package",
  "--extra",
  "--group",
  "--index",
  "--from",
];

/** Programs that run the program an operand names, and how to find it. */
export const PACKAGE_RUNNERS: ReadonlyMap<string, Runner> = new Map<string, Runner>([
  [
    "npx",
    packageRunner({
      runs: NPM_RUNS,
      script: ["-c", "--call"],
      valued: ["-p", "--package"],
      flags: NPM_FLAGS,
    }),
  ],
  [
    "npm",
    configSetter(
      "npm",
      packageRunner({
        subcommands: ["exec", "x"],
        runs: NPM_RUNS,
        script: ["-c", "--call"],
        valued: ["-p", "--package", "-w", "--workspace"],
        flags: NPM_FLAGS,
      }),
    ),
  ],
  [
    "pnpm",
    configSetter(
      "pnpm",
      packageRunner({
        subcommands: ["exec", "dlx"],
        runs: ["-c", "--shell-mode", "--script-shell", "--config.script-shell"],
        valued: ["--package", "--filter", "-F", "-C", "--dir"],
        flags: PNPM_FLAGS,
      }),
    ),
  ],
  ["pnpx", packageRunner({ valued: ["--package"], flags: PNPM_FLAGS })],
  [
    "yarn",
    configSetter(
      "yarn",
      packageRunner({ subcommands: ["exec", "dlx"], valued: ["-p", "--package"] }),
    ),
  ],
  ["bunx", packageRunner({ valued: ["-p", "--package"], flags: ["--bun"] })],
  ["bun", either(BUN_CODE, packageRunner({ subcommands: ["x"], valued: ["-p", "--package"] }))],
  ["uvx", packageRunner({ valued: UV_VALUED, flags: UV_FLAGS })],
  ["uv", packageRunner({ subcommands: ["run", "tool run"], valued: UV_VALUED, flags: UV_FLAGS })],
  ["pipx", packageRunner({ subcommands: ["run"], valued: ["--spec", "--python"] })],
  [
    "poetry",
    packageRunner({ subcommands: ["run"], valued: ["-C", "--directory", "-P", "--project"] }),
  ],
  ["pipenv", packageRunner({ subcommands: ["run"] })],
  ["pdm", packageRunner({ subcommands: ["run"], valued: ["-p", "--project"] })],
  ["hatch", packageRunner({ subcommands: ["run"], valued: ["-e", "--env"] })],
  ["bundle", packageRunner({ subcommands: ["exec"], valued: ["--gemfile"] })],
  ["conda", packageRunner({ subcommands: ["run"], valued: ["-n", "--name", "-p", "--prefix"] })],
]);
