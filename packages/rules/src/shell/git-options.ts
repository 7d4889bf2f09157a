import { anyDynamic, NOTHING, named, RUNS, unknownWrite, values } from "./argument-runs.ts";
import { type OptionSpec, type ParsedArgs, parseOptions } from "./options.ts";
import type { Run } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

const GIT: OptionSpec = {
  short: "Cc",
  long: ["git-dir", "work-tree", "namespace", "config-env", "super-prefix", "list-cmds"],
};
/**
 * Global options that make git read configuration (which names programs) from the command line,
 * or from a repository of the caller's choosing: `--git-dir=dir` reads dir/config, which no
 * protected path covers (`core.fsmonitor` ran on `git --git-dir=evil status`).
 */
const GIT_RUNS = new Set(["c", "config-env", "exec-path", "git-dir"]);
/**
 * Subcommands that fill a directory they are given, and how their options read: what they check
 * out is the program's job, but protected paths still see the directory (`git clone URL ~/.ssh`).
 */
const GIT_FILLS: Readonly<Record<string, OptionSpec & { readonly at: number }>> = {
  clone: {
    flags: ["bare", "mirror"],
    short: "obucj",
    long: [
      "origin",
      "branch",
      "upload-pack",
      "config",
      "template",
      "reference",
      "reference-if-able",
      "depth",
      "shallow-since",
      "shallow-exclude",
      "separate-git-dir",
      "jobs",
      "filter",
      "bundle-uri",
      "server-option",
      "ref-format",
    ],
    at: 1,
  },
  worktree: { short: "bB", long: ["reason"], at: 1 },
  init: {
    short: "b",
    long: ["template", "separate-git-dir", "object-format", "ref-format", "initial-branch"],
    flags: ["bare"],
    at: 0,
  },
};
/** Subcommand long options that name a program to run or configuration (which names programs). */
const GIT_SUBCOMMAND_RUNS: ReadonlySet<string> = new Set([
  "exec",
  "upload-pack",
  "receive-pack",
  "extcmd",
  "open-files-in-pager",
  // `git daemon --access-hook=cmd` runs cmd for every request.
  "access-hook",
]);
/** Long options that do the same only for some subcommands (`commit --template` is a message). */
const GIT_LONG_RUNS: Readonly<Record<string, readonly string[]>> = {
  help: ["web", "info"],
  clone: ["template", "config"],
  init: ["template"],
};
/** Long options that name a file the subcommand writes (`credential-store --file=~/.bashrc`). */
const GIT_LONG_WRITES: Readonly<Record<string, readonly string[]>> = {
  "credential-store": ["file"],
  "credential-cache": ["socket"],
  "checkout-index": ["prefix"],
};
/** Short options that do the same, only for the subcommands where they do (`push -u` is a flag). */
const GIT_SHORT_RUNS: Readonly<Record<string, string>> = {
  // `git help -w` opens a browser (`web--browse`), `-i` runs info.
  help: "wi",
  rebase: "x",
  grep: "O",
  clone: "uc",
  "ls-remote": "u",
};
/**
 * Subcommands that run a command given to them, or a configured tool: `remote-ext` runs its URL
 * as a command, `instaweb` and `web--browse` a server and a browser of the caller's choosing
 * (`--httpd`, `--cmd`), `send-email` its `--sendmail-cmd`/`--to-cmd`/`--smtp-server=/path`,
 * `for-each-repo` a git command line in other repositories, `hook run` a hook, `maintenance start`
 * a scheduler (crontab, systemd).
 */
const GIT_RUNNING_SUBCOMMANDS = new Set([
  "bisect",
  "submodule",
  "filter-branch",
  "difftool",
  "mergetool",
  "remote-ext",
  "instaweb",
  "web--browse",
  "send-email",
  "for-each-repo",
  "hook",
  "maintenance",
]);
const GIT_CONFIG_READS = new Set(["get", "get-all", "get-regexp", "list", "l", "get-urlmatch"]);
const GIT_CONFIG_WRITES = new Set([
  "set",
  "add",
  "replace-all",
  "unset",
  "unset-all",
  "edit",
  "e",
  "rename-section",
  "remove-section",
]);

export function git(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const global = parseOptions(args, 1, GIT);
  const [subcommand, ...rest] = global.operands;
  if (!subcommand) return named(global, GIT_RUNS) ? RUNS : NOTHING;
  const name = subcommand.text;
  const workTrees = rewritesWorkTree(subcommand, rest) ? workTreeRoots(global) : [];
  const runs: Run = workTrees.length > 0 ? { ...RUNS, workTrees } : RUNS;
  if (named(global, GIT_RUNS)) return runs;
  if (GIT_RUNNING_SUBCOMMANDS.has(name)) return runs;
  const parsed = parseOptions([subcommand, ...rest], 1, {
    short: "o",
    long: [
      "output",
      "output-directory",
      ...GIT_SUBCOMMAND_RUNS,
      ...(own(GIT_LONG_RUNS, name) ?? []),
      ...(own(GIT_LONG_WRITES, name) ?? []),
    ],
    flags: [...GIT_CONFIG_READS, ...GIT_CONFIG_WRITES],
    permute: true,
  });
  if (name === "config") return gitConfig([subcommand, ...rest], values(global, "C"));
  const shortRuns = own(GIT_SHORT_RUNS, name) ?? "";
  const longRuns = own(GIT_LONG_RUNS, name) ?? [];
  const runsProgram = parsed.options.some((option) =>
    option.name.length === 1
      ? shortRuns.includes(option.name)
      : GIT_SUBCOMMAND_RUNS.has(option.name) || longRuns.includes(option.name),
  );
  if (runsProgram) return runs;
  const outputs = values(
    parsed,
    "output",
    "output-directory",
    "o",
    ...(own(GIT_LONG_WRITES, name) ?? []),
  );
  // `git bundle create FILE` writes the bundle (its lines name refs of the caller's choosing).
  const bundle =
    name === "bundle" && parsed.operands[0]?.text === "create" ? parsed.operands[1] : undefined;
  if (bundle && bundle.text !== "-") outputs.push(bundle);
  // `git merge-file CURRENT BASE OTHER` writes the merge into CURRENT unless `-p`/`--stdout`.
  const stdout = parsed.options.some((option) => option.name === "p" || option.name === "stdout");
  if (name === "merge-file" && !stdout && parsed.operands[0]) outputs.push(parsed.operands[0]);
  const writes = outputs.map((output) =>
    // `checkout-index --prefix=DIR/` writes every file it checks out under DIR.
    name === "checkout-index"
      ? unknownWrite(`${output.text}*`)
      : underDirs(values(global, "C"), output),
  );
  // `--work-tree=DIR` moves every file a checkout, reset or merge writes into DIR
  // (`git --work-tree=$HOME checkout HEAD -- .bashrc`); `apply --unsafe-paths` writes where the
  // patch says, outside the work tree too.
  for (const tree of values(global, "work-tree")) writes.push(unknownWrite(`${tree.text}/*`));
  if (name === "apply" && parsed.options.some((option) => option.name === "unsafe-paths")) {
    writes.push(unknownWrite("*"));
  }
  // A clone, a worktree or a new repository fills a whole tree (`git clone URL ~/.config` may
  // bring `fish/config.fish`; `git init --bare ~/.ssh` writes `~/.ssh/config`).
  const trees = filled(subcommand, rest).map((dir) => underDirs(values(global, "C"), dir));
  if (trees.length === 0 && workTrees.length === 0) return { writes };
  return { writes, trees, workTrees };
}

/**
 * Subcommands that rewrite files of the work tree (a checkout, a merge, a patch, a removal), and
 * the forms of them that touch only the index or print: in a home kept in git (`git -C ~ checkout
 * .`, `git --work-tree=~ reset --hard`) they rewrite `~/.bashrc` as a copy into home would.
 */
const GIT_WORK_TREE_WRITERS = new Set([
  "checkout",
  "switch",
  "restore",
  "reset",
  "stash",
  "pull",
  "merge",
  "am",
  "apply",
  "cherry-pick",
  "revert",
  "rebase",
  "bisect",
  "clean",
  "rm",
  "mv",
  "read-tree",
  "checkout-index",
  "sparse-checkout",
]);
const STASH_KEEPS_TREE = new Set(["list", "show", "drop", "clear", "create", "store"]);
const APPLY_PRINTS = new Set(["stat", "numstat", "summary"]);

function rewritesWorkTree(subcommand: Arg, rest: readonly Arg[]): boolean {
  const name = subcommand.text;
  if (!GIT_WORK_TREE_WRITERS.has(name)) return false;
  const { operands, options } = parseOptions([subcommand, ...rest], 1, {
    short: "oCpmSsXUx",
    long: ["strategy", "strategy-option", "exec", "onto", "message", "file", "pathspec-from-file"],
    permute: true,
  });
  const has = (...names: string[]) => options.some((option) => names.includes(option.name));
  switch (name) {
    // `git reset [--soft|--mixed] [PATH]` moves only HEAD and the index.
    case "reset":
      return has("hard", "merge", "keep");
    case "stash":
      return !STASH_KEEPS_TREE.has(operands[0]?.text ?? "");
    case "apply":
      if (has("cached", "check")) return false;
      return has("apply") || !options.some((option) => APPLY_PRINTS.has(option.name));
    case "rm":
      return !has("cached");
    case "read-tree":
      return has("u");
    default:
      return true;
  }
}

/**
 * The work tree a subcommand rewrites: `--work-tree=DIR` (or `GIT_WORK_TREE`, read as that option),
 * else `core.worktree`, else the directory git runs in (`-C DIR`, the working directory), taken as
 * the top of its repository: a repository above it (home's, when the directory is in home) is not
 * seen.
 */
function workTreeRoots(global: ParsedArgs): Arg[] {
  const dirs = values(global, "C");
  const trees = values(global, "work-tree");
  if (trees.length > 0) return trees.map((tree) => underDirs(dirs, tree));
  // `-c core.worktree=DIR` sets it; a repository of the caller's choosing (`--git-dir`) or a
  // value from the environment (`--config-env`) may set it to anything, home included.
  const configured = global.options.flatMap((option) => {
    if (option.name === "config-env" && /^core\.worktree=/i.test(option.value?.text ?? "")) {
      return [unknownWrite("/")];
    }
    const setting =
      option.name === "c" ? /^core\.worktree=(.*)$/is.exec(option.value?.text ?? "") : null;
    return setting ? [underDirs(dirs, { ...option.value!, text: setting[1]! })] : [];
  });
  if (configured.length > 0) return configured;
  if (named(global, new Set(["git-dir"]))) return [unknownWrite("/")];
  return [underDirs(dirs, literalArg("."))];
}

/**
 * The directory `git clone URL DIR` or `git worktree add DIR` fills, if one is named, and the one
 * `git init [DIR]` makes (`DIR/.git`, or DIR itself with `--bare`).
 */
function filled(subcommand: Arg, rest: readonly Arg[]): Arg[] {
  const name = subcommand.text;
  const spec = own(GIT_FILLS, name);
  if (!spec) return [];
  const { operands, options } = parseOptions([subcommand, ...rest], 1, {
    ...spec,
    permute: true,
  });
  if (name === "worktree" && operands[0]?.text !== "add") return [];
  const separate = options.flatMap((option) =>
    option.name === "separate-git-dir" && option.value ? [option.value] : [],
  );
  const dir = operands[spec.at];
  if (name === "init") {
    const bare = options.some((option) => option.name === "bare");
    const made = dir ?? literalArg(".");
    const git = bare ? made : { ...made, text: `${made.text.replace(/\/+$/, "")}/.git` };
    return [git, ...separate];
  }
  if (dir) return [dir, ...separate];
  const url = name === "clone" ? operands[0] : undefined;
  if (!url) return separate;
  const bare = options.some((option) => option.name === "bare" || option.name === "mirror");
  return [...cloneNames(url, bare), ...separate];
}

/**
 * The directory `git clone URL` makes when none is named, as git 2.39's `git_url_basename` guesses
 * it: the last component of the URL (colons count as separators) after a scheme, user and trailing slashes and a
 * `/.git`, less `.git` (or `.bundle`: whether URL is a bundle file is not known here, so both
 * names), with `.git` added for `--bare`/`--mirror` (`git clone https://x/.ssh` → `.ssh`, `git
 * clone ../.bashrc.git` → `.bashrc`). A name with spaces or control characters, which git folds,
 * stands as a glob.
 */
function cloneNames(url: Arg, bare: boolean): Arg[] {
  let text = url.text;
  const scheme = text.indexOf("://");
  if (scheme !== -1) text = text.slice(scheme + 3);
  const slash = text.indexOf("/");
  const at = text.lastIndexOf("@", slash === -1 ? text.length : slash);
  if (at !== -1) text = text.slice(at + 1);
  text = text.replace(/[/\s]+$/, "");
  if (/.\/\.git$/.test(text)) text = text.slice(0, -5).replace(/\/+$/, "");
  // A bare host keeps no port (`https://host:8080` → `host`).
  if (!text.includes("/")) text = text.replace(/:\d+$/, "");
  const base = text.slice(Math.max(text.lastIndexOf("/"), text.lastIndexOf(":")) + 1);
  const names = new Set([base.replace(/\.git$/, ""), base.replace(/\.bundle$/, "")]);
  return [...names].flatMap((stem) => {
    if (stem === "") return [];
    const dir = bare ? `${stem}.git` : stem;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: git folds control characters
    return [/[\s\x00-\x1f\x7f]/.test(dir) ? unknownWrite("*") : { ...url, text: dir }];
  });
}

/** A table's entry for a subcommand; `git constructor` names none (not Object's). */
function own<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** A path as git reads it after `-C dir` (each `-C` relative to the one before). */
function underDirs(dirs: readonly Arg[], path: Arg): Arg {
  let dir: string | undefined;
  let literal = path.literal;
  for (const next of dirs) {
    // A directory that expands (`-C $HOME`) is kept as written, and the path with it is not literal.
    if (!next.literal) literal = false;
    dir = isAbsolute(next.text) || dir === undefined ? next.text : `${dir}/${next.text}`;
  }
  if (dir === undefined || isAbsolute(path.text)) return path;
  if (path.text === ".") return { ...path, text: dir, literal };
  return { ...path, text: `${dir.replace(/\/$/, "")}/${path.text}`, literal };
}

/** A path git reads as it stands: from the root, home, or an expansion that may be either. */
function isAbsolute(text: string): boolean {
  return /^[/~$]/.test(text);
}

/** `git config`'s options that take a value, and the scopes that choose its file. */
const GIT_CONFIG: OptionSpec = {
  short: "f",
  long: ["file", "blob", "default", "type", "comment", "value", "fixed-value"],
  flags: [...GIT_CONFIG_READS, ...GIT_CONFIG_WRITES, "global", "system", "local", "worktree"],
  permute: true,
};

/**
 * `git config` that sets anything changes what later git commands run (`core.pager`, `alias.*`),
 * and writes the file of its scope: `--global` the user's `~/.gitconfig`, `-f FILE` that file,
 * else the repository's `.git/config` (protected paths see each).
 */
function gitConfig(args: readonly Arg[], dirs: readonly Arg[]): Run {
  const parsed = parseOptions(args, 1, GIT_CONFIG);
  const subcommand = parsed.operands[0]?.text ?? "";
  const has = (names: ReadonlySet<string>) =>
    names.has(subcommand) || parsed.options.some((option) => names.has(option.name));
  const writes = has(GIT_CONFIG_WRITES);
  if (!writes && (has(GIT_CONFIG_READS) || parsed.operands.length <= 1)) return NOTHING;
  const scope = new Set(parsed.options.map((option) => option.name));
  const file = values(parsed, "file", "f").at(-1);
  const target = file
    ? underDirs(dirs, file)
    : scope.has("global")
      ? literalArg("~/.gitconfig")
      : scope.has("system")
        ? literalArg("/etc/gitconfig")
        : underDirs(dirs, literalArg(".git/config"));
  return { reason: "dangerous_environment", placed: [target] };
}
