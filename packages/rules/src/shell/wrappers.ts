import { values } from "./argument-runs.ts";
import { hasOption, type OptionSpec, optionValue, parseOptions } from "./options.ts";
import { type Arg, literalArg } from "./words.ts";

type Unwrap = (args: readonly Arg[]) => readonly Arg[] | undefined;

const ASSIGNMENT = /^[^=]+=/;

function operandsAfter(spec: OptionSpec, skip = 0, queries: readonly string[] = []): Unwrap {
  return (args) => {
    const parsed = parseOptions(args, 1, spec);
    if (queries.length > 0 && hasOption(parsed, ...queries)) return undefined;
    return parsed.operands.length > skip ? parsed.operands.slice(skip) : undefined;
  };
}

function unwrapEnv(args: readonly Arg[]): readonly Arg[] | undefined {
  const parsed = parseOptions(args, 1, {
    // `-a NAME` (`--argv0`, coreutils 9.6) names argv[0]; `-P DIR` is BSD's search path.
    short: "uCSPa",
    long: ["unset", "chdir", "split-string", "argv0"],
  });
  const split = optionValue(parsed, "S", "split-string");
  const rest = split
    ? [...splitWords(split), ...parsed.operands]
    : (parsed.operands as readonly Arg[]);
  let index = 0;
  while (index < rest.length && (rest[index]!.text === "-" || ASSIGNMENT.test(rest[index]!.text))) {
    index++;
  }
  return index < rest.length ? rest.slice(index) : undefined;
}

function splitWords(arg: Arg): Arg[] {
  const words = arg.text.split(/\s+/).filter((word) => word !== "");
  return words.map((text) => (arg.literal ? literalArg(text) : { ...arg, text }));
}

const TIME: OptionSpec = { short: "fo", long: ["format", "output"] };

const timeout = operandsAfter({ short: "sk", long: ["signal", "kill-after"] }, 1);
const stdbuf = operandsAfter({ short: "ioe", long: ["input", "output", "error"] });

/** `cross-env A=1 B=2 cmd …`: assignments, as `env` takes them, then the command. */
function unwrapCrossEnv(args: readonly Arg[]): readonly Arg[] | undefined {
  let index = 1;
  while (index < args.length && ASSIGNMENT.test(args[index]!.text)) index++;
  return index < args.length ? args.slice(index) : undefined;
}

/** Wrappers that run their operand command as it is: the analysis sees the inner command instead. */
export const TRANSPARENT_WRAPPERS: ReadonlyMap<string, Unwrap> = new Map<string, Unwrap>([
  ["env", unwrapEnv],
  ["cross-env", unwrapCrossEnv],
  ["timeout", timeout],
  ["gtimeout", timeout],
  ["nice", operandsAfter({ short: "n", long: ["adjustment"] })],
  ["nohup", operandsAfter({})],
  ["command", operandsAfter({}, 0, ["v", "V"])],
  ["builtin", operandsAfter({})],
  ["exec", operandsAfter({ short: "a" })],
  ["stdbuf", stdbuf],
  ["gstdbuf", stdbuf],
  [
    "ionice",
    operandsAfter({ short: "cnpPu", long: ["class", "classdata", "pid", "pgid", "uid"] }, 0, [
      "p",
      "P",
      "u",
      "pid",
      "pgid",
      "uid",
    ]),
  ],
  ["time", operandsAfter(TIME)],
]);

/** Files a wrapper writes itself: GNU time's `-o FILE` (`command time -o out ls`). */
export const WRAPPER_WRITES: ReadonlyMap<string, (args: readonly Arg[]) => Arg[]> = new Map([
  ["time", (args: readonly Arg[]) => values(parseOptions(args, 1, TIME), "o", "output")],
]);

/** Wrappers that run their command in the current shell, so a `cd` through them still moves it. */
export const IN_SHELL_WRAPPERS: ReadonlySet<string> = new Set(["builtin", "command"]);
