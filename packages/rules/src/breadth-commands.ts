/** Why a shell allow rule may grant more than it looks like it does. */
export type CommandBreadthCode =
  | "interpreter"
  | "script_runner"
  | "privilege_escalation"
  | "any_subcommand"
  | "dangerous_flags"
  | "reads_any_file"
  | "any_arguments";

/** One finding of `assessCommandGlob`. */
export interface CommandBreadth {
  readonly code: CommandBreadthCode;
  readonly severity: "danger" | "broad";
  readonly message: string;
}

const warn = (
  code: CommandBreadthCode,
  severity: CommandBreadth["severity"],
  message: string,
): CommandBreadth => ({ code, severity, message });

const INTERPRETERS = new Set([
  "python",
  "python2",
  "python3",
  "node",
  "deno",
  "bun",
  "ruby",
  "perl",
  "php",
  "lua",
  "Rscript",
  "R",
  "bash",
  "sh",
  "zsh",
  "dash",
  "fish",
  "pwsh",
  "powershell",
  "osascript",
  "tclsh",
  "irb",
  "awk",
  "gawk",
  "mawk",
  "nawk",
]);
const RUNNERS = [
  "npm run",
  "npm exec",
  "npx",
  "pnpm",
  "pnpm run",
  "pnpm exec",
  "pnpm dlx",
  "yarn",
  "yarn run",
  "yarn dlx",
  "bun run",
  "bunx",
  "make",
  "just",
  "cargo run",
  "go run",
  "uv run",
  "uvx",
  "poetry run",
  "pipx run",
  "gradle",
  "mvn",
  "rake",
  "task",
  "docker run",
  "docker exec",
  "kubectl exec",
];
const PRIVILEGE = new Set(["sudo", "doas", "su", "pkexec", "runuser"]);

/**
 * What `*` lets through after a command, from real destructive flags and subcommands: a rule
 * ending in `*` after one of these is never narrow. Keys are a program or `program subcommand`.
 */
const DANGEROUS: Readonly<Record<string, string>> = {
  "git push": "--force, --delete, --mirror and +refspecs (overwrite or delete remote history)",
  "git reset": "--hard (discards uncommitted work)",
  "git clean": "-f -d -x (deletes untracked and ignored files)",
  "git checkout": "-f and paths (discards uncommitted changes)",
  "git restore": "paths (discards uncommitted changes)",
  "git branch": "-D (deletes unmerged branches)",
  "git rebase": "rewriting history, and --exec (runs commands)",
  "git commit": "--amend and --no-verify (rewrites history, skips hooks)",
  "git config": "alias.x=!cmd, core.hooksPath and core.sshCommand (run commands)",
  "git stash": "drop and clear (discards stashed work)",
  "git tag": "-d and -f (deletes or moves tags)",
  "git remote": "set-url and remove",
  "git submodule": "foreach (runs commands)",
  "git filter-branch": "rewriting all history",
  "git worktree": "remove --force",
  "git update-ref": "-d (deletes refs)",
  "git diff": "--output (writes any file)",
  "git log": "--output (writes any file)",
  "git show": "--output (writes any file)",
  "npm install": "packages whose install scripts run code",
  "npm i": "packages whose install scripts run code",
  "npm publish": "publishing to the registry",
  "npm unpublish": "removing published packages",
  "pnpm add": "packages whose install scripts run code",
  "pnpm install": "packages whose install scripts run code",
  "yarn add": "packages whose install scripts run code",
  "pip install": "packages whose setup runs code",
  "cargo install": "crates whose build scripts run code",
  "docker run": "--privileged and -v /:/host (root on the machine)",
  "docker rm": "-f (removes running containers)",
  "docker system": "prune -a (deletes every image and volume)",
  "kubectl delete": "any resource in any namespace",
  "kubectl apply": "any manifest",
  gh: "repo delete, release delete, api -X DELETE",
  rm: "-rf on any path (deletes files and directories)",
  rmdir: "any directory",
  shred: "any file",
  truncate: "-s 0 on any file",
  dd: "of= (overwrites files and devices)",
  chmod: "-R and 777 on any path",
  chown: "-R on any path",
  mv: "overwriting any file (e.g. ~/.bashrc)",
  cp: "overwriting any file (e.g. ~/.bashrc)",
  ln: "-sf (replaces any file with a link)",
  find: "-delete and -exec (deletes files, runs commands)",
  sed: "-i (edits any file in place) and the e command (runs commands)",
  tar: "--to-command and --checkpoint-action=exec (run commands), -x over any path",
  rsync: "-e (runs commands) and --delete (deletes files)",
  curl: "-o (writes any file) and -d @file / -T (uploads any file)",
  wget: "-O (writes any file) and --post-file (uploads any file)",
  scp: "copying any file to or from another machine",
  git: "push --force, reset --hard, clean -fdx and config alias.x=!cmd",
  npm: "install and publish",
  docker: "run --privileged and system prune",
  kubectl: "delete and apply",
  kill: "any process",
  pkill: "any process",
  killall: "any process",
  crontab: "-r and installing jobs that run later",
  systemctl: "stop, disable and enable (runs services)",
  zip: "-T -TT cmd (runs commands)",
  unzip: "-o (overwrites files)",
  tee: "writing any file",
  sort: "--compress-program (runs a program) and -o (writes any file)",
  split: "--filter (runs a program) and writing pieces anywhere",
  man: "-P and -H (run a program as pager or browser)",
  "git grep": "-O (opens matches in a pager of the caller's choosing)",
  sqlite3: ".shell (runs commands)",
  psql: "\\! (runs commands) and DROP",
  mysql: "system (runs commands) and DROP",
};

/** Programs with subcommands: `program *` allows every one of them. */
const SUBCOMMANDS = new Set([
  "git",
  "npm",
  "pnpm",
  "yarn",
  "bun",
  "deno",
  "cargo",
  "go",
  "pip",
  "pip3",
  "uv",
  "poetry",
  "docker",
  "podman",
  "kubectl",
  "helm",
  "gh",
  "aws",
  "gcloud",
  "az",
  "terraform",
  "systemctl",
  "brew",
  "apt",
  "apt-get",
  "conda",
]);

/** Programs that only read or print: any arguments are harmless to run. */
const HARMLESS = new Set([
  "ls",
  "pwd",
  "echo",
  "printf",
  "wc",
  "du",
  "df",
  "which",
  "whoami",
  "date",
  "uname",
  "stat",
  "file",
  "tree",
  "true",
  "false",
  "basename",
  "dirname",
  "realpath",
  "readlink",
  "id",
  "hostname",
  "uptime",
  "test",
]);

/** Programs that print any file they are given, keys and tokens included. */
const READERS = new Set([
  "cat",
  "head",
  "tail",
  "less",
  "more",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "ag",
  "diff",
  "cmp",
  "jq",
  "yq",
  "bat",
  "nl",
  "od",
  "xxd",
  "hexdump",
  "strings",
  "base64",
  "md5sum",
  "sha256sum",
]);
/**
 * Flags a shell command glob (`git push *`) by what its program and wildcard let through:
 * interpreters, script runners, privilege wrappers, every subcommand, destructive flags.
 */
export function assessCommandGlob(glob: string): CommandBreadth[] {
  const warnings: CommandBreadth[] = [];
  const words = glob.trim().split(/\s+/);
  const program = (words[0] ?? "").replace(/^.*\//, "");
  const wildcard = /[*?]/.test(glob);
  if (PRIVILEGE.has(program)) {
    warnings.push(
      warn("privilege_escalation", "danger", `${program} runs commands as another user`),
    );
  }
  if (INTERPRETERS.has(program) || /^python\d/.test(program)) {
    warnings.push(
      wildcard
        ? warn("interpreter", "danger", `${program} with any arguments runs arbitrary code`)
        : warn(
            "interpreter",
            "broad",
            `${program} runs a program whose content can change after approval`,
          ),
    );
  }
  const runner = RUNNERS.find(
    (r) => glob === `${r} *` || glob === `${r}*` || glob.startsWith(`${r} *`),
  );
  if (runner) {
    warnings.push(
      warn("script_runner", "danger", `${runner} with any arguments runs any script or package`),
    );
    return warnings;
  }
  if (!wildcard || INTERPRETERS.has(program) || PRIVILEGE.has(program)) return warnings;
  // The words before the first wildcard say how far the rule is pinned down.
  const fixed = words.slice(
    0,
    words.findIndex((word) => /[*?[{]/.test(word)),
  );
  const sub = fixed[1];
  const pair = sub !== undefined ? DANGEROUS[`${program} ${sub}`] : undefined;
  if (pair !== undefined) {
    warnings.push(
      warn("dangerous_flags", "danger", `${program} ${sub} with any arguments allows ${pair}`),
    );
  } else if (SUBCOMMANDS.has(program) && sub === undefined) {
    const examples = DANGEROUS[program];
    warnings.push(
      warn(
        "any_subcommand",
        examples ? "danger" : "broad",
        `allows every ${program} subcommand${examples ? `, including ${examples}` : ""}`,
      ),
    );
  } else if (DANGEROUS[program] !== undefined && !SUBCOMMANDS.has(program)) {
    warnings.push(
      warn(
        "dangerous_flags",
        "danger",
        `${program} with any arguments allows ${DANGEROUS[program]}`,
      ),
    );
  } else if (READERS.has(program)) {
    warnings.push(
      warn(
        "reads_any_file",
        "broad",
        `${program} with any arguments prints any file, ~/.ssh keys and .env included`,
      ),
    );
  } else if (!HARMLESS.has(program) && !SUBCOMMANDS.has(program)) {
    warnings.push(
      warn(
        "any_arguments",
        "broad",
        `allows ${program} with any arguments; check that none of its options writes, deletes or runs commands`,
      ),
    );
  }
  return warnings;
}
