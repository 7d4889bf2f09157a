import { NOTHING, runsThrough, values } from "./argument-runs.ts";
import { parseOptions } from "./options.ts";
import type { Run, Runner } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

/**
 * Subcommands that write a tool's own configuration, which names programs later calls run:
 * `npm config set script-shell ./x` (then `npm test` runs ./x), `yarn config set yarnPath x.js`,
 * `kubectl config set-credentials u --exec-command=x`, `docker context use evil` (another
 * daemon), `pip config set`, `gcloud config set`. As `git config` and `go env -w` are, each is
 * `dangerous_environment` however the allow rule is written.
 */

/** Each tool's configuring subcommand paths, read after options (`npm --global config set`). */
const CONFIG_SETTERS: ReadonlyMap<string, readonly (readonly string[])[]> = new Map<
  string,
  readonly (readonly string[])[]
>([
  ...["npm", "pnpm"].map(
    (name) =>
      [
        name,
        [
          ["config", "set"],
          ["config", "delete"],
          ["config", "edit"],
          ["c", "set"],
          ["c", "delete"],
          ["c", "edit"],
          ["set"],
          ["set-script"],
          ["pkg", "set"],
          ["pkg", "delete"],
        ],
      ] as const,
  ),
  [
    "yarn",
    [
      ["config", "set"],
      ["config", "unset"],
    ],
  ],
  [
    "pip",
    [
      ["config", "set"],
      ["config", "unset"],
      ["config", "edit"],
    ],
  ],
  [
    "pip3",
    [
      ["config", "set"],
      ["config", "unset"],
      ["config", "edit"],
    ],
  ],
  [
    "kubectl",
    [
      ["config", "set"],
      ["config", "set-credentials"],
      ["config", "set-cluster"],
      ["config", "set-context"],
      ["config", "use-context"],
      ["config", "use"],
    ],
  ],
  [
    "docker",
    [
      ["context", "use"],
      ["context", "create"],
      ["context", "update"],
    ],
  ],
  [
    "gcloud",
    [
      ["config", "set"],
      ["config", "unset"],
      ["config", "configurations", "activate"],
    ],
  ],
]);

/**
 * The user configuration file each tool's setters write by default (protected paths see it:
 * `kubectl config set-credentials` in `bypassPermissions` asks as writing `~/.kube/config` does).
 * `npm pkg set` and `set-script` write the project's package.json instead.
 */
const USER_CONFIG: ReadonlyMap<string, readonly string[]> = new Map([
  ["npm", ["~/.npmrc"]],
  ["pnpm", ["~/.npmrc", "~/.config/pnpm/rc"]],
  ["yarn", ["~/.yarnrc", "~/.yarnrc.yml"]],
  ["pip", ["~/.config/pip/pip.conf"]],
  ["pip3", ["~/.config/pip/pip.conf"]],
  ["kubectl", ["~/.kube/config"]],
  ["docker", ["~/.docker/config.json"]],
  ["gcloud", ["~/.config/gcloud/configurations"]],
]);
const PROJECT_SETTERS = new Set(["pkg", "set-script"]);

/** The operands of a command line, options (and values glued with `=`) left out. */
function operands(args: readonly Arg[]): string[] {
  return args.slice(1).flatMap((arg) => (arg.text.startsWith("-") ? [] : [arg.text]));
}

/** Whether `words` holds `path` in order, each word right after the one before, anywhere. */
function holdsPath(words: readonly string[], path: readonly string[]): boolean {
  for (let at = words.indexOf(path[0]!); at !== -1; at = words.indexOf(path[0]!, at + 1)) {
    if (path.every((word, index) => words[at + index] === word)) return true;
  }
  return false;
}

/** A runner that flags `name`'s configuring subcommands, then asks `next` (when given). */
export function configSetter(name: string, next?: Runner): Runner {
  const paths = CONFIG_SETTERS.get(name) ?? [];
  return (args): Run => {
    const words = operands(args);
    // An option's value (`npm --prefix dir config set`) reads as an operand: looked past, the
    // first word of the path is searched for anywhere.
    const found = paths.filter((candidate) => holdsPath(words, candidate));
    if (found.length > 0) {
      const project = found.some((path) => PROJECT_SETTERS.has(path[0]!));
      const files = project ? [] : (USER_CONFIG.get(name) ?? []);
      return { reason: "dangerous_environment", placed: files.map(literalArg) };
    }
    return next ? next(args) : NOTHING;
  };
}

/**
 * `docker --config DIR` reads DIR/config.json, whose `credsStore`/`credHelpers` name the
 * `docker-credential-*` program a pull or login runs (as `kubectl --kubeconfig` does).
 */
const dockerConfig = runsThrough({}, ["config"]);

/** `pip --log FILE` appends a verbose log to FILE on every run (`pip list --log=out` wrote out). */
function pipLog(args: readonly Arg[]): Run {
  const parsed = parseOptions(args, 1, { long: ["log", "log-file"], permute: true });
  const writes = values(parsed, "log", "log-file");
  return writes.length > 0 ? { writes } : NOTHING;
}

/** The tools with no other reading of their arguments than these. */
export const CONFIG_TOOLS: readonly (readonly [string, Runner])[] = [
  ["pip", configSetter("pip", pipLog)],
  ["pip3", configSetter("pip3", pipLog)],
  ["docker", configSetter("docker", dockerConfig)],
  ["gcloud", configSetter("gcloud")],
];
