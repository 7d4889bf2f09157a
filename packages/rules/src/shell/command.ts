import { expandBraces } from "./braces.ts";
import { BUILTIN_RUNNERS } from "./builtin-runners.ts";
import { NAME_BUILTINS } from "./builtins.ts";
import type { Collector } from "./collector.ts";
import { INLINE_CODE } from "./inline-code.ts";
import { LAUNCHERS } from "./launchers.ts";
import { isDangerousAssignment } from "./names.ts";
import { NESTED_RUNNERS } from "./nested.ts";
import { PACKAGE_RUNNERS } from "./package-runners.ts";
import { programPath } from "./paths.ts";
import { ARGUMENT_RUNNERS } from "./program-options.ts";
import { recordWrite } from "./redirects.ts";
import type { Run, Runner } from "./run.ts";
import { forkScope, type Scope } from "./scope.ts";
import type { ShellCommand } from "./types.ts";
import { type Arg, literalArg } from "./words.ts";
import { IN_SHELL_WRAPPERS, TRANSPARENT_WRAPPERS, WRAPPER_WRITES } from "./wrappers.ts";

const MAX_UNWRAPS = 16;
const DIR_CHANGERS = new Set(["cd", "pushd", "popd"]);
const RUNNERS: ReadonlyMap<string, Runner> = new Map([
  ...LAUNCHERS,
  ...BUILTIN_RUNNERS,
  ...NESTED_RUNNERS,
  ...ARGUMENT_RUNNERS,
  ...INLINE_CODE,
  ...PACKAGE_RUNNERS,
]);

/**
 * Records one simple command (argv after its leading assignments) and whatever it runs.
 * Returns the argv when it is a `cd`, `pushd` or `popd` that moves the current shell.
 */
export function runCommand(
  args: readonly Arg[],
  assignments: readonly string[],
  collector: Collector,
  scope: Scope,
  grant?: ShellCommand["grant"],
): readonly Arg[] | undefined {
  let current = args;
  let inShell = true;
  let movedDir = false;
  for (let hops = 0; hops < MAX_UNWRAPS; hops++) {
    const head = current[0]!;
    if (!head.literal) break;
    const name = programName(head.text);
    const inner = TRANSPARENT_WRAPPERS.get(name)?.(current);
    if (!inner || inner.length === 0) break;
    // `env -C dir cmd` runs cmd elsewhere: the files it names are relative to a dir not followed.
    if (name === "env" && current.some((arg) => /^-[^-]*C|^--ch/.test(arg.text))) movedDir = true;
    const own = current.slice(1, current.length - inner.length);
    // BSD and macOS `env -P dir cmd` looks cmd up in dir: a PATH of the caller's choosing.
    if (name === "env" && own.some((arg) => /^-[^-]*P/.test(arg.text))) {
      collector.flag("dangerous_environment");
    }
    for (const target of WRAPPER_WRITES.get(name)?.(current) ?? []) {
      recordWrite(collector, movedDir ? elsewhere(scope) : scope, target);
    }
    // A word the wrapper consumed that may expand to anything (`nice -n $x cmd`) may shift
    // where the inner command starts.
    if (own.some((arg) => !arg.literal)) collector.flag("dynamic_command");
    if (!IN_SHELL_WRAPPERS.has(name)) inShell = false;
    current = inner;
  }

  const dropped = args.slice(0, args.length - current.length).map((arg) => arg.text);
  if (dropped.some(isDangerousAssignment)) collector.flag("dangerous_environment");
  const head = current[0]!;
  const argv = current.map((arg) => arg.text);
  const aliases: string[] = [];
  let runner: Runner | undefined;
  if (!head.literal) collector.flag("dynamic_command");
  else {
    const path = head.text.includes("/") ? programPath(head.text) : undefined;
    if (path?.system) argv[0] = path.base;
    else if (path) aliases.push([path.base, ...argv.slice(1)].join(" "));
    if (!path || path.system) runner = RUNNERS.get(argv[0]!);
  }
  const text = argv.join(" ");
  if (assignments.length > 0 || current !== args || argv[0] !== head.text) {
    aliases.unshift([...assignments, ...args.map((arg) => arg.text)].join(" "));
  }
  if (current.some((arg) => arg.braces)) aliases.push(braceSpelling(current));
  // A grant holds only for the program as the runner named it: not through a wrapper it looked
  // through (`npx timeout 5 rm`), nor a path spelled otherwise.
  const granted = grant && current === args && argv[0] === head.text ? grant : undefined;
  collector.addCommand(argv, text, unique(aliases, text), granted);

  if (runner) {
    const options = ENVIRONMENT_OPTIONS.get(argv[0]!);
    const args = options
      ? withEnvironmentOptions(current, options, [...assignments, ...dropped])
      : current;
    const run = runner(args);
    applyRun(run, collector, movedDir ? elsewhere(scope) : scope, argv);
  }
  const builtin = head.literal ? NAME_BUILTINS.get(argv[0]!) : undefined;
  const reason = builtin?.(current);
  if (reason) collector.flag(reason);
  return inShell && DIR_CHANGERS.has(argv[0]!) ? current : undefined;
}

/**
 * Environment variables a program reads as one of its options: `GIT_WORK_TREE=~ git checkout .`
 * is `git --work-tree=~ checkout .` (the option given too wins in git, both are read here).
 */
const ENVIRONMENT_OPTIONS: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map([
  [
    "git",
    new Map([
      ["GIT_WORK_TREE", "--work-tree"],
      ["GIT_DIR", "--git-dir"],
    ]),
  ],
]);

/** `args` with the options its environment settings (`NAME=value` words) stand for after argv[0]. */
function withEnvironmentOptions(
  args: readonly Arg[],
  options: ReadonlyMap<string, string>,
  settings: readonly string[],
): readonly Arg[] {
  if (settings.length === 0) return args;
  const added: Arg[] = [];
  for (const setting of settings) {
    const equals = setting.indexOf("=");
    const option = equals > 0 ? options.get(setting.slice(0, equals)) : undefined;
    if (!option) continue;
    const value = setting.slice(equals + 1);
    // A value with quotes or expansions is kept as written and read as such (not literal).
    const literal = !/[$`'"\\*?[]/.test(value);
    added.push({ ...literalArg(`${option}=${value}`), literal });
  }
  return added.length === 0 ? args : [args[0]!, ...added, ...args.slice(1)];
}

function applyRun(run: Run, collector: Collector, scope: Scope, parent: readonly string[]): void {
  if (run.reason) collector.flag(run.reason);
  for (const target of run.writes ?? []) recordWrite(collector, scope, target);
  for (const target of run.placed ?? []) recordWrite(collector, scope, target, true);
  for (const target of run.trees ?? []) recordWrite(collector, scope, target, "tree");
  for (const target of run.workTrees ?? []) recordWrite(collector, scope, target, "work-tree");
  for (const launch of run.launches ?? []) {
    if (!collector.enter()) return;
    if (launch.kind === "argv") {
      const grant = launch.grantable ? grantFor(parent, launch.args.length) : undefined;
      runCommand(launch.args, [], collector, forkScope(scope), grant);
    } else if (launch.args.some((arg) => !arg.opaque)) {
      const source = launch.args.map((arg) => arg.text).join(" ");
      collector.walkSource(source, collector, launch.sameShell ? scope : forkScope(scope));
    }
    collector.leave();
  }
}

/** No glob names this word except by a wildcard: a NUL cannot be in a shell word. */
const PROBE_WORD = "\0warden-probe\0";

/** The grant for a program that is the last `length` words of its runner's `parent` argv. */
function grantFor(parent: readonly string[], length: number): ShellCommand["grant"] {
  const at = parent.length - length;
  if (at < 1 || at >= parent.length) return undefined;
  const probe = [...parent];
  probe[at] = PROBE_WORD;
  return { text: parent.join(" "), probe: probe.join(" ") };
}

function elsewhere(scope: Scope): Scope {
  return { ...forkScope(scope), dynamic: true };
}

function programName(text: string): string {
  if (!text.includes("/")) return text;
  const path = programPath(text);
  return path?.system ? path.base : text;
}

function braceSpelling(args: readonly Arg[]): string {
  return args.map((arg) => (arg.braces ? expandBraces(arg.text).join(" ") : arg.text)).join(" ");
}

const NO_ALIASES: readonly string[] = Object.freeze([]);

function unique(aliases: readonly string[], text: string): readonly string[] {
  if (aliases.length === 0) return NO_ALIASES;
  return aliases.filter((alias, index) => alias !== text && aliases.indexOf(alias) === index);
}
