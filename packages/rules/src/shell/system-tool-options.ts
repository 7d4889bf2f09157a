import {
  anyDynamic,
  both,
  NOTHING,
  named,
  RUNS,
  runsThrough,
  unknownWrite,
  values,
} from "./argument-runs.ts";
import { cpioTrees } from "./extractors.ts";
import { parseOptions } from "./options.ts";
import type { Run, Runner } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

/**
 * More programs whose options run a program or write a file (`program-options.ts` has the
 * common ones): crypto, archive, diff, package, network and database tools.
 */

/** openssl loads engines and providers (shared libraries) and config files that name them; `-out` writes. */
const OPENSSL_RUNS =
  /^--?(?:engine|provider|provider-path|keygen_engine|ssl_client_engine|config)$/;

function openssl(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const writes: Arg[] = [];
  for (let index = 1; index < args.length; index++) {
    const word = args[index]!.text.split("=")[0]!;
    if (OPENSSL_RUNS.test(word)) return RUNS;
    if (/^--?(?:out|keyout)$/.test(word) && args[index + 1]) writes.push(args[++index]!);
  }
  return { writes };
}

/** cpio runs `--rsh-command`, and `rsh` for an archive named `host:file` unless `--force-local`. */
function cpio(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "FIOCEHMRD",
    long: ["file", "rsh-command", "pattern-file", "format", "message", "owner", "directory"],
    flags: ["force-local", "extract", "pass-through", "no-absolute-filenames"],
    permute: true,
  });
  if (named(parsed, new Set(["rsh-command"]))) return RUNS;
  const archives = values(parsed, "F", "I", "O", "file");
  const local = named(parsed, new Set(["force-local"]));
  if (!local && archives.some((arg) => /^[^/]*:/.test(arg.text))) return RUNS;
  const trees = cpioTrees(parsed);
  return trees.length > 0 ? { trees } : NOTHING;
}

/** `sdiff -o FILE` writes the merge; `--diff-program` runs a program instead of diff. */
function sdiff(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "ow",
    long: ["output", "width", "diff-program"],
    permute: true,
  });
  if (named(parsed, new Set(["diff-program"]))) return RUNS;
  return { writes: values(parsed, "o", "output") };
}

/** `yq -i` edits its files in place: every operand after the expression. */
function yq(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "oIpsF",
    long: ["output-format", "indent", "input-format", "split-exp", "front-matter", "from-file"],
    flags: ["inplace"],
    permute: true,
  });
  // `-s EXPR` writes each document to a file the expression names (`-s '"../.bashrc"'`).
  const split = values(parsed, "s", "split-exp").map((arg) => unknownWrite(arg.text));
  if (!named(parsed, new Set(["i", "inplace"]))) return { writes: split };
  const operands = /^(?:e|eval|ea|eval-all)$/.test(parsed.operands[0]?.text ?? "")
    ? parsed.operands.slice(1)
    : parsed.operands;
  const files = named(parsed, new Set(["from-file"])) ? operands : operands.slice(1);
  return { writes: [...split, ...(files.length > 0 ? files : [unknownWrite("-")])] };
}

/**
 * tree writes its listing to `-o FILE`, and `-R` writes `00Tree.html` in every directory it
 * reaches. A listing is text of the caller's choosing: file names on their own lines
 * (`tree -if --noreport -o ~/.bashrc` makes a script of them).
 */
function tree(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "LPIHTo",
    long: ["charset", "filelimit", "timefmt", "sort", "gitfile", "infofile", "hintro", "houtro"],
    permute: true,
  });
  const rerun = named(parsed, new Set(["R"])) ? [unknownWrite("00Tree.html")] : [];
  return { writes: [...values(parsed, "o"), ...rerun] };
}

/** gh's commands that change what later gh commands run: aliases (`--shell`), settings, extensions. */
const GH_CONFIGURING =
  /^(?:alias (?:set|import)|config set|(?:extension|extensions|ext) (?:install|upgrade|create|exec))$/;

/**
 * GitHub's CLI opens a browser (a program of the environment's choosing) for `--web`/`-w` and
 * `gh browse`; `gh alias set x --shell cmd`, `gh config set editor cmd` and extensions are code
 * later gh commands run; `release download -O`/`--output` and `run download -D` write files.
 */
function gh(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "RODpLqtbBHnr",
    long: ["repo", "output", "pattern", "name", "dir", "hostname", "jq", "template"],
    flags: ["web", "no-browser"],
    permute: true,
  });
  const [first, second] = parsed.operands.map((arg) => arg.text);
  if (GH_CONFIGURING.test(`${first} ${second}`)) return { reason: "dangerous_environment" };
  // `-w` is `--web` everywhere but under `gh run`, where it names a workflow.
  const web = named(parsed, new Set(first === "run" ? ["web"] : ["w", "web"]));
  const browse = first === "browse" && !named(parsed, new Set(["n", "no-browser"]));
  if (web || browse) return RUNS;
  if (first === "release" && second === "download") {
    return { writes: values(parsed, "O", "output").filter((arg) => arg.text !== "-") };
  }
  if (first === "run" && second === "download") {
    return { writes: values(parsed, "D", "dir").map((arg) => unknownWrite(`${arg.text}/*`)) };
  }
  return NOTHING;
}

/** `socat EXEC:cmd -` and `SYSTEM:cmd` addresses run a program. */
function socat(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  return args.slice(1).some((arg) => /^(?:EXEC|SYSTEM)\b/i.test(arg.text)) ? RUNS : NOTHING;
}

/**
 * Database clients run a shell through their meta-commands (`psql -c '\\! cmd'`,
 * `mysql -e 'system cmd'`, `sqlite3 db '.shell cmd'`) and write through them (`\\o file`, `.output`):
 * inline commands with a meta-command ask.
 */
function databaseClient(meta: RegExp): Runner {
  return (args) => {
    if (anyDynamic(args)) return RUNS;
    return args.slice(1).some((arg) => meta.test(arg.text)) ? RUNS : NOTHING;
  };
}

/**
 * Meta-commands of the database clients, as they appear in an argument or in the SQL the client
 * reads on standard input (`stdin-code.ts`).
 */
export const DATABASE_META: ReadonlyMap<string, RegExp> = new Map([
  ["psql", /\\|\bprogram\b/i],
  // `source FILE` reads commands (and `system`) from a file.
  ["mysql", /\\|\bsystem\b|\bpager\b|\btee\b|\bsource\b/i],
  ["mariadb", /\\|\bsystem\b|\bpager\b|\btee\b|\bsource\b/i],
  // sqlite3's SQL runs a program through `edit(text, 'cmd')`, loads code through
  // `load_extension`, and writes files through `writefile`, `ATTACH` and `VACUUM INTO`.
  [
    "sqlite3",
    /(?:^|[;\n])[ \t]*\.|^-(?:init|cmd)$|\bedit\s*\(|\bload_extension\b|\bwritefile\b|\battach\b|\bvacuum\b/i,
  ],
  // duckdb's shell is sqlite3's: `.shell cmd`, `.system cmd`, `-c`/`-cmd`/`-init`; its SQL
  // loads extensions (`INSTALL`, `LOAD`) and writes files (`COPY … TO`, `EXPORT`, `ATTACH`).
  ["duckdb", /(?:^|[;\n])[ \t]*\.|^-(?:init|cmd)$|\b(?:install|load|copy|export|attach)\b/i],
]);

/** sqlite3's options that take a value, before the database file it creates or writes. */
const SQLITE_VALUES = new Set(
  ["cmd", "init", "separator", "newline", "nullvalue", "vfs", "mmap", "maxsize", "heap"].flatMap(
    (name) => [`-${name}`, `--${name}`],
  ),
);

/** The database file `sqlite3 [options] FILE [SQL…]` opens: created or written by its job. */
function sqliteDatabase(args: readonly Arg[]): Run {
  for (let index = 1; index < args.length; index++) {
    const text = args[index]!.text;
    if (SQLITE_VALUES.has(text)) index++;
    else if (text === "--" || !text.startsWith("-")) {
      const file = text === "--" ? args[index + 1] : args[index];
      return file && file.text !== ":memory:" && file.text !== "" ? { placed: [file] } : NOTHING;
    }
  }
  return NOTHING;
}

/**
 * Schedulers keep code for later: `at -f FILE` and `batch -f FILE` run the file's commands (their
 * standard input is read as a script, `stdin-code.ts`), `launchctl submit … -- cmd` runs cmd.
 */
function scheduler(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const { options } = parseOptions(args, 1, { short: "fqtm", permute: true });
  return options.some((option) => option.name === "f") ? RUNS : NOTHING;
}

/**
 * `crontab FILE` (or `-` for standard input) installs the user's crontab: a protected place, as
 * the spool it lands in (`/var/spool/cron/`); `-l` lists, `-r` removes, `-e` opens an editor.
 */
function crontab(args: readonly Arg[]): Run {
  const { options, operands } = parseOptions(args, 1, { short: "u", permute: true });
  const reading = options.some((option) => "lri".includes(option.name));
  if (reading || (operands.length === 0 && !options.some((option) => option.name === "e"))) {
    return NOTHING;
  }
  return { placed: [literalArg("/var/spool/cron/crontabs")] };
}

/** `systemctl --user link/enable/edit/…` writes the user's units (`~/.config/systemd/user/`). */
const UNIT_WRITERS = new Set([
  "link",
  "enable",
  "reenable",
  "edit",
  "add-wants",
  "add-requires",
  "preset",
  "revert",
  "set-property",
  "mask",
]);
function systemctl(args: readonly Arg[]): Run {
  const words = args.slice(1).map((arg) => arg.text);
  if (!words.includes("--user") || !words.some((word) => UNIT_WRITERS.has(word))) return NOTHING;
  return { placed: [literalArg("~/.config/systemd/user")] };
}

/**
 * psql reads commands (meta-commands too) from `-f FILE`, and writes query output and a session
 * log where `-o FILE` and `-L FILE` say.
 */
const PSQL_FILES = runsThrough({ short: "cdfFhLoPpRTUv" }, [
  "f",
  "file",
  "o",
  "output",
  "L",
  "log-file",
]);

/** The tools, with what to look for. */
export const SYSTEM_TOOLS: readonly (readonly [string, Runner])[] = [
  ["openssl", openssl],
  ["cpio", cpio],
  ["sdiff", sdiff],
  ["diff3", runsThrough({ short: "LX" }, ["diff-program"])],
  ["yq", yq],
  ["tree", tree],
  ["gh", gh],
  ["apt", runsThrough({ short: "ocqt" }, ["o", "option", "c", "config-file"])],
  ["apt-get", runsThrough({ short: "ocqt" }, ["o", "option", "c", "config-file"])],
  ["socat", socat],
  ...["nc", "ncat", "netcat"].map(
    (name) =>
      [name, runsThrough({ short: "ecpsw" }, ["e", "c", "exec", "sh-exec", "lua-exec"])] as const,
  ),
  [
    "aria2c",
    runsThrough({}, [
      "on-download-complete",
      "on-download-start",
      "on-download-error",
      "on-download-stop",
      "on-download-pause",
      "on-bt-download-complete",
    ]),
  ],
  ["tcpdump", runsThrough({ short: "zwCGWZ" }, ["z"])],
  ...[...DATABASE_META].map(
    ([name, meta]) =>
      [
        name,
        name === "sqlite3"
          ? both(databaseClient(meta), sqliteDatabase)
          : name === "psql"
            ? both(databaseClient(meta), PSQL_FILES)
            : databaseClient(meta),
      ] as const,
  ),
  ["emacsclient", runsThrough({ short: "aseftTdH" }, ["e", "eval"])],
  ["at", scheduler],
  ["batch", scheduler],
  ["crontab", crontab],
  ["systemctl", systemctl],
];
