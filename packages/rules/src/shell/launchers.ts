import { hasOption, type OptionSpec, optionValue, parseOptions } from "./options.ts";
import { argvLaunch, type Launch, type Runner, scriptLaunch } from "./run.ts";
import { sshWrites } from "./ssh-options.ts";
import type { Arg } from "./words.ts";

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const PARALLEL_SOURCES = new Set([":::", "::::", ":::+", "::::+"]);

function unknown(launches: readonly Launch[] = []) {
  return { reason: "unknown_wrapper", launches } as const;
}

function runsOperands(spec: OptionSpec, skip = 0, queries: readonly string[] = []): Runner {
  return (args) => {
    const parsed = parseOptions(args, 1, spec);
    if (queries.length > 0 && hasOption(parsed, ...queries)) return unknown();
    return unknown(argvLaunch(parsed.operands.slice(skip)));
  };
}

function runsAsUser(spec: OptionSpec, queries: readonly string[]): Runner {
  return (args) => {
    const parsed = parseOptions(args, 1, spec);
    if (hasOption(parsed, ...queries)) return unknown();
    let index = 0;
    while (ASSIGNMENT.test(parsed.operands[index]?.text ?? "")) index++;
    return unknown(argvLaunch(parsed.operands.slice(index)));
  };
}

const SU: OptionSpec = {
  short: "cgGsw",
  long: ["command", "session-command", "group", "supp-group", "shell", "whitelist-environment"],
  permute: true,
};

function su(args: readonly Arg[]) {
  const command = optionValue(parseOptions(args, 1, SU), "c", "command", "session-command");
  return unknown(command ? scriptLaunch([command]) : []);
}

function runuser(args: readonly Arg[]) {
  const direct = parseOptions(args, 1, {
    ...SU,
    short: `${SU.short}u`,
    long: ["user"],
    permute: false,
  });
  if (hasOption(direct, "u", "user")) return unknown(argvLaunch(direct.operands));
  return su(args);
}

function watch(args: readonly Arg[]) {
  const parsed = parseOptions(args, 1, { short: "nq", long: ["interval", "equexit"] });
  if (hasOption(parsed, "x", "exec")) return unknown(argvLaunch(parsed.operands));
  return unknown(scriptLaunch(parsed.operands));
}

function flock(args: readonly Arg[]) {
  const { operands } = parseOptions(args, 1, {
    short: "wE",
    long: ["timeout", "conflict-exit-code"],
  });
  const flag = operands[1]?.text;
  if (flag === "-c" || flag === "--command") return unknown(scriptLaunch(operands.slice(2, 3)));
  return unknown(argvLaunch(operands.slice(1)));
}

const SCRIPT_LONG = ["command", "echo", "log-in", "log-out", "log-io", "log-timing"];

function script(args: readonly Arg[]) {
  const spec = { short: "cEIOBTmoFt", long: [...SCRIPT_LONG, "logging-format", "output-limit"] };
  const command = optionValue(parseOptions(args, 1, { ...spec, permute: true }), "c", "command");
  if (command) return unknown(scriptLaunch([command]));
  return unknown(argvLaunch(parseOptions(args, 1, spec).operands.slice(1)));
}

function parallel(args: readonly Arg[]) {
  const { operands } = parseOptions(args, 1, {
    short: "jNnSIEdaPsL",
    long: ["jobs", "max-args", "sshlogin", "env", "joblog", "results", "tmpdir", "timeout"],
  });
  const end = operands.findIndex((arg) => PARALLEL_SOURCES.has(arg.text));
  return unknown(scriptLaunch(end === -1 ? operands : operands.slice(0, end)));
}

/** ssh runs its operands after the host on the remote side; its options may write files here. */
function ssh(args: readonly Arg[]) {
  const { operands } = parseOptions(args, 1, { short: "bcDEeFIiJLlmOoPpQRSWwB" });
  const placed = sshWrites(args);
  const run = unknown(scriptLaunch(operands.slice(1)));
  return placed.length > 0 ? { ...run, placed } : run;
}

function sg(args: readonly Arg[]) {
  const operands = args.slice(args[1]?.text === "-" ? 2 : 1);
  const rest = operands.slice(1);
  return unknown(scriptLaunch(rest[0]?.text === "-c" ? rest.slice(1) : rest));
}

function applet(args: readonly Arg[]) {
  return unknown(args[1]?.text.startsWith("-") ? [] : argvLaunch(args.slice(1)));
}

function chrt(args: readonly Arg[]) {
  const parsed = parseOptions(args, 1, { short: "TPD" });
  if (hasOption(parsed, "p", "m", "pid", "max")) return unknown();
  const skip = /^\d+$/.test(parsed.operands[0]?.text ?? "") ? 1 : 0;
  return unknown(argvLaunch(parsed.operands.slice(skip)));
}

/** `perf record|stat|trace … cmd`: the subcommand's operands after its options. */
function perf(args: readonly Arg[]) {
  const parsed = parseOptions(args, 2, { short: "eoptcCGjJFmr", long: ["event", "output", "pid"] });
  return unknown(argvLaunch(parsed.operands));
}

/** Options whose values this table does not know come first: the command is what follows `--`. */
function afterDashes(args: readonly Arg[]) {
  const at = args.findIndex((arg) => arg.text === "--");
  return unknown(at === -1 ? [] : argvLaunch(args.slice(at + 1)));
}

/** `setarch ARCH [options] cmd`: the architecture comes before the options. */
function setarch(args: readonly Arg[]) {
  return unknown(argvLaunch(parseOptions([args[0]!, ...args.slice(2)], 1, {}).operands));
}

/**
 * Programs whose operands or option values are command lines in some of their forms (`tmux new
 * 'rm x'`, `entr -s make`, `nix-shell --run cmd`): each is walked as a script, so deny rules see
 * what it may run.
 */
function eachScript(spec: OptionSpec): Runner {
  return (args) => {
    const { options, operands } = parseOptions(args, 1, spec);
    const words = [
      ...options.flatMap((option) => (option.value ? [option.value] : [])),
      ...operands,
    ];
    return unknown(words.flatMap((word) => scriptLaunch([word])));
  };
}

/** `ip netns exec NAME cmd` (also `ip -n NAME …` runs only ip itself). */
function ip(args: readonly Arg[]) {
  const at = args.findIndex((arg) => arg.text === "exec");
  return at === -1 ? {} : unknown(argvLaunch(args.slice(at + 2)));
}

const SUDO: OptionSpec = {
  short: "ugpCDrtUTR",
  long: ["user", "group", "prompt", "close-from", "chdir", "role", "type", "other-user", "host"],
};
const SUDO_QUERIES = ["e", "l", "v", "V", "K", "edit", "list", "validate", "version", "help"];

/** Programs that run a command we do not look through: kept as commands, their inner command collected too. */
export const LAUNCHERS: ReadonlyMap<string, Runner> = new Map<string, Runner>([
  ["sudo", runsAsUser(SUDO, SUDO_QUERIES)],
  ["doas", runsAsUser({ short: "uC" }, ["L"])],
  ["run0", runsAsUser({ short: "uDg", long: ["user", "group", "chdir", "setenv"] }, [])],
  ["pkexec", runsOperands({ long: ["user"] })],
  ["su", su],
  ["runuser", runuser],
  ["sg", sg],
  ["watch", watch],
  ["strace", runsOperands({ short: "abeEIoOpPsSuX" })],
  ["ltrace", runsOperands({ short: "aAeDFlnopsux" })],
  ["setsid", runsOperands({})],
  ["chroot", runsOperands({ long: ["userspec", "groups"] }, 1)],
  ["flock", flock],
  ["unbuffer", runsOperands({})],
  ["script", script],
  ["parallel", parallel],
  ["ssh", ssh],
  ["firejail", runsOperands({})],
  ["systemd-run", runsOperands({ short: "upMHE", long: ["unit", "property", "setenv", "uid"] })],
  ["busybox", applet],
  ["toybox", applet],
  ["nsenter", runsOperands({ short: "tSG", long: ["target", "setuid", "setgid"] })],
  ["unshare", runsOperands({ short: "SGRw", long: ["setuid", "setgid", "root", "wd"] })],
  ["taskset", runsOperands({}, 1, ["p", "pid"])],
  ["chrt", chrt],
  ["caffeinate", runsOperands({ short: "tw" })],
  ["catchsegv", runsOperands({})],
  ["xvfb-run", runsOperands({ short: "efnpsw" })],
  ["dbus-run-session", runsOperands({ long: ["config-file", "dbus-daemon"] })],
  ["fakeroot", runsOperands({ short: "lsib" })],
  ["proxychains", runsOperands({ short: "f" })],
  ["proxychains4", runsOperands({ short: "f" })],
  ["torsocks", runsOperands({ short: "upaP" })],
  ["valgrind", runsOperands({})],
  ["prlimit", runsOperands({ short: "po", long: ["pid", "output"] }, 0, ["p", "pid"])],
  ["setpriv", runsOperands({ long: ["reuid", "regid", "groups", "inh-caps", "ambient-caps"] })],
  ["setarch", setarch],
  ...["linux32", "linux64", "i386", "x86_64"].map((name) => [name, runsOperands({})] as const),
  ["numactl", runsOperands({ short: "CNmipPw" })],
  ["eatmydata", runsOperands({})],
  ["rlwrap", runsOperands({ short: "aAbcfFHlopPsStw" })],
  ["ssh-agent", runsOperands({ short: "aEPt" })],
  ["dbus-launch", runsOperands({ long: ["config-file", "autolaunch"] })],
  ["faketime", runsOperands({ short: "f" }, 1)],
  ["gosu", runsOperands({}, 1)],
  ["su-exec", runsOperands({}, 1)],
  ["chpst", runsOperands({ short: "uUbe/nlLmdofpcrt" })],
  ["tini", runsOperands({ short: "pel" })],
  ["dumb-init", runsOperands({})],
  ["cgexec", runsOperands({ short: "g" })],
  ["entr", eachScript({})],
  [
    "watchexec",
    eachScript({ short: "ewdsEi", long: ["exts", "watch", "debounce", "shell", "env"] }),
  ],
  ["ip", ip],
  // Run their operands, or load variables from a file first (`.env` may set `NODE_OPTIONS`).
  ["dotenv", runsOperands({ short: "evcp" })],
  ["env-cmd", runsOperands({ short: "fer", long: ["file", "environments", "rc-file"] })],
  ...["chronic", "ifne", "nocache", "trickle", "torify", "tsocks", "rr", "heaptrack"].map(
    (name) => [name, runsOperands({ short: name === "trickle" ? "udwtlLn" : "" })] as const,
  ),
  ["cpulimit", runsOperands({ short: "lpe", long: ["limit", "pid", "exe"] })],
  ["perf", perf],
  // Each operand, or the value of `--exec`, is a command line.
  ["cross-env-shell", eachScript({})],
  ["pee", eachScript({})],
  [
    "hyperfine",
    eachScript({
      short: "wrmMpcsSnNu",
      long: ["prepare", "cleanup", "setup", "warmup", "runs", "shell", "command-name"],
    }),
  ],
  [
    "concurrently",
    eachScript({
      short: "npcksr",
      long: ["names", "prefix", "prefix-colors", "kill-signal", "restart-tries"],
    }),
  ],
  [
    "nodemon",
    eachScript({ short: "xweid", long: ["exec", "watch", "ext", "ignore", "delay", "signal"] }),
  ],
  ["sem", parallel],
  // Sandboxes and containers run the command after their options (after `--` when given).
  ...["bwrap", "proot", "schroot", "systemd-nspawn"].map((name) => [name, afterDashes] as const),
  ["tmux", eachScript({ short: "cCfLST" })],
  ["screen", eachScript({ short: "cdDehLmpRrSstTx" })],
  ["direnv", runsOperands({}, 2)],
  [
    "nix-shell",
    eachScript({ short: "pAEIj", long: ["run", "command", "packages", "attr", "arg"] }),
  ],
]);
