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
import { awkEffects } from "./awk.ts";
import { expandBraces, MAX_BRACE_WORDS } from "./braces.ts";
import { BUILD_TOOLS } from "./build-tool-options.ts";
import { CONFIG_TOOLS } from "./config-setters.ts";
import { DERIVED_OUTPUTS } from "./derived-outputs.ts";
import { EXTRACTORS, tarTrees } from "./extractors.ts";
import { curl, wget } from "./fetch-options.ts";
import { FILE_WRITERS, RSYNC_WRITES, SCP_WRITES } from "./file-writers.ts";
import { git } from "./git-options.ts";
import { type OptionSpec, type ParsedArgs, parseOptions } from "./options.ts";
import type { Run, Runner } from "./run.ts";
import { sedEffects } from "./sed.ts";
import { sshOptionWrites } from "./ssh-options.ts";
import { SYSTEM_TOOLS } from "./system-tool-options.ts";
import { TEST_RUNNERS } from "./test-runner-options.ts";
import { type Arg, literalArg } from "./words.ts";

/**
 * Programs that an allow rule names with arguments (`Bash(sed *)`, `Bash(git log *)`) but whose
 * arguments can make them run another program or write a file the rule never mentions:
 * `sed 'e cmd'`, `tar --to-command=cmd`, `git -c core.pager=cmd log`, `git log --output=FILE`.
 * What runs asks as `argument_runs_program`; what is written is checked as a `Write`.
 */

const SED: OptionSpec = {
  short: "efl",
  long: ["expression", "file", "line-length"],
  flags: ["in-place"],
  permute: true,
};

function sed(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, SED);
  const expressions = values(parsed, "e", "expression");
  const scripts = expressions.length > 0 ? expressions : parsed.operands.slice(0, 1);
  const files = expressions.length > 0 ? parsed.operands : parsed.operands.slice(1);
  // `-f file` and `--in-place=SUFFIX` read their value; a script from a file is unseen code.
  if (named(parsed, new Set(["f", "file"])) || scripts.some((arg) => !arg.literal)) return RUNS;
  const writes: Arg[] = [];
  for (const script of scripts) {
    const effects = sedEffects(script.text);
    if (effects.runs) return RUNS;
    for (const path of effects.writes) writes.push({ ...script, text: path });
  }
  const inPlace = parsed.options.some(
    (option) => option.name === "i" || option.name === "in-place",
  );
  if (inPlace) writes.push(...(files.length > 0 ? files : [unknownWrite("-")]));
  // `-i.bak` also writes a backup; a suffix with `*` or `/` puts it anywhere (`-i'/tmp/x/*'`).
  for (const suffix of inPlaceSuffixes(args, parsed)) {
    for (const file of files) {
      writes.push(
        /[*/]/.test(suffix) ? unknownWrite(suffix) : { ...file, text: file.text + suffix },
      );
    }
  }
  return { writes };
}

function inPlaceSuffixes(args: readonly Arg[], parsed: ParsedArgs): string[] {
  const short = args.slice(1).flatMap((arg) => {
    const match = /^-[A-Za-z]*i(.+)$/.exec(arg.text);
    return match ? [match[1]!] : [];
  });
  return [...short, ...values(parsed, "in-place").map((arg) => arg.text)];
}

/** Options that load a program from a file or a library; `-W exec=file` is mawk's and gawk's too. */
const AWK_CODE_OPTIONS = new Set(["f", "file", "E", "exec", "i", "include", "l", "load", "W"]);
/**
 * gawk's options with an optional file (`-oFILE`, `--profile=FILE`): the pretty-printed program,
 * the profile and the variable dump are written there (or to `awkprof.out`, `awkvars.out`); the
 * debugger (`-D`, `--debug`) reads its commands, `eval` among them, from standard input or a file.
 */
const AWK_OUTPUT_OPTIONS = ["o", "p", "d", "pretty-print", "profile", "dump-variables"];
const AWK_DEBUG_OPTIONS = ["D", "debug"];

function awk(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "fvFEileW",
    long: ["file", "assign", "field-separator", "exec", "include", "load", "source"],
    flags: [...AWK_OUTPUT_OPTIONS, ...AWK_DEBUG_OPTIONS].filter((name) => name.length > 1),
  });
  if (named(parsed, new Set([...AWK_CODE_OPTIONS, ...AWK_DEBUG_OPTIONS]))) return RUNS;
  const sources = values(parsed, "e", "source");
  const programs = sources.length > 0 ? sources : parsed.operands.slice(0, 1);
  if (programs.some((arg) => !arg.literal)) return RUNS;
  const writes: Arg[] = [];
  // Read as separate letters, `-o/tmp/x` holds more than one of them: one write of unknown place.
  const output = parsed.options.find((option) => AWK_OUTPUT_OPTIONS.includes(option.name));
  if (output) writes.push(unknownWrite(`-${output.name}`));
  for (const program of programs) {
    const effects = awkEffects(program.text);
    if (effects.runs) return RUNS;
    for (const target of effects.writes) {
      writes.push(target === undefined ? unknownWrite(program.text) : literalArg(target));
    }
  }
  return { writes };
}

function sort(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "kSTto",
    long: [
      "key",
      "buffer-size",
      "temporary-directory",
      "field-separator",
      "output",
      "compress-program",
      "files0-from",
      "random-source",
      "batch-size",
      "parallel",
    ],
    permute: true,
  });
  if (named(parsed, new Set(["compress-program"]))) return RUNS;
  return { writes: values(parsed, "o", "output") };
}

const TAR_RUNS = new Set([
  "I",
  "F",
  "to-command",
  "use-compress-program",
  "checkpoint-action",
  "info-script",
  "new-volume-script",
  "rsh-command",
  "rmt-command",
]);

const TAR_VALUED = "fCFIbgHKLNTVX";

/**
 * Old-style `tar cvfz a.tgz dir`: the first word is a cluster of letters without a dash, and each
 * letter that takes a value takes the next word, in order. Rewritten as separate options.
 */
function oldStyleTar(args: readonly Arg[]): readonly Arg[] {
  const cluster = args[1];
  if (!cluster || !/^[A-Za-z]+$/.test(cluster.text)) return args;
  const rewritten: Arg[] = [args[0]!];
  let next = 2;
  for (const letter of cluster.text) {
    rewritten.push({ ...cluster, text: `-${letter}` });
    if (TAR_VALUED.includes(letter) && args[next]) rewritten.push(args[next++]!);
  }
  return [...rewritten, ...args.slice(next)];
}

/** tar runs commands through options, and through `rsh` for an archive named `host:file`. */
function tar(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(oldStyleTar(args), 1, {
    short: TAR_VALUED,
    long: [
      "file",
      "directory",
      "to-command",
      "use-compress-program",
      "info-script",
      "new-volume-script",
      "rsh-command",
      "rmt-command",
      "exclude-from",
      "files-from",
      "checkpoint-action",
      "one-top-level",
      ...TAR_SIDE_FILES,
    ],
    flags: ["force-local", "extract", "get", "to-stdout", "absolute-names", ...TAR_ARCHIVE_WRITES],
    permute: true,
  });
  if (named(parsed, TAR_RUNS)) return RUNS;
  const local = named(parsed, new Set(["force-local"]));
  const archives = values(parsed, "f", "file");
  if (!local && archives.some((arg) => /^[^/]*:/.test(arg.text))) return RUNS;
  const creates = named(parsed, new Set(["c", "r", "u", "A", ...TAR_ARCHIVE_WRITES]));
  const sideFiles = values(parsed, "g", ...TAR_SIDE_FILES);
  const writes = [...(creates ? archives.filter((arg) => arg.text !== "-") : []), ...sideFiles];
  const trees = tarTrees(parsed);
  return trees.length > 0 ? { writes, trees } : { writes };
}

/** Long operations that write the archive `-f` names (`-c`, `-r`, `-u`, `-A` as letters). */
const TAR_ARCHIVE_WRITES = ["create", "append", "update", "catenate", "concatenate", "delete"];

/** Files tar writes beside the archive: the verbose listing, the incremental snapshot, the volume number. */
const TAR_SIDE_FILES = ["index-file", "listed-incremental", "volno-file"];

/**
 * Programs that read like filters but write a file their arguments name: `uniq IN OUT` and
 * `xxd IN OUT` (the second operand), `shuf -o`, `iconv -o`.
 */
function secondOperandWrites(spec: OptionSpec): Runner {
  return (args) => {
    if (anyDynamic(args)) return RUNS;
    const output = parseOptions(args, 1, { ...spec, permute: true }).operands[1];
    return { writes: output && output.text !== "-" ? [output] : [] };
  };
}

function outputOption(spec: OptionSpec): Runner {
  return (args) => {
    if (anyDynamic(args)) return RUNS;
    return { writes: values(parseOptions(args, 1, { ...spec, permute: true }), "o", "output") };
  };
}

/**
 * `less +cmd` and `-k file` run less commands (`!cmd` runs a shell); `-o`/`-O FILE` and
 * `--log-file`/`--LOG-FILE` (abbreviated too) copy a piped input to FILE.
 */
function pager(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const words = args.slice(1);
  const runs = words.some((arg) => /^\+|^-[a-zA-Z]*k|^--lesskey/.test(arg.text));
  if (runs) return RUNS;
  const writes: Arg[] = [];
  for (let index = 0; index < words.length; index++) {
    const text = words[index]!.text;
    if (text === "--") break;
    const glued = /^-[A-Za-z]*[oO](.+)$|^--log[-a-z]*=(.*)$/i.exec(text);
    if (glued) writes.push({ ...words[index]!, text: glued[1] ?? glued[2]! });
    else if (/^-[A-Za-z]*[oO]$|^--log[-a-z]*$/i.test(text) && words[index + 1]) {
      writes.push(words[++index]!);
    }
  }
  return { writes };
}

/** Editors run commands given with `+cmd`, `-c`, `--cmd`, `-S` and `-u`. */
function editor(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const runs = args.slice(1).some((arg) => /^\+|^-[A-Za-z]*[cSu]|^--cmd/.test(arg.text));
  return runs ? RUNS : NOTHING;
}

/** `zip -TT cmd` tests the archive with a command of the caller's choosing. */
/**
 * `zip -TT cmd` and `--unzip-command` run a program; the archive (the first operand, `.zip` added
 * when it has no suffix, and `-O FILE`) is placed: stored entries are written as they are, so a
 * `zip -0 ~/.bashrc payload` writes lines bash would run.
 */
function zip(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  if (args.slice(1).some((arg) => /^-TT|^--unzip-command/.test(arg.text))) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "bnOtxiZPs",
    long: [
      "temp-path",
      "suffixes",
      "output-file",
      "exclude",
      "include",
      "compression-method",
      "password",
      "split-size",
    ],
    permute: true,
  });
  const archive = parsed.operands[0];
  const out = values(parsed, "O", "output-file");
  if (!archive || archive.text === "-") return out.length > 0 ? { placed: out } : NOTHING;
  const text = /\.[^/]*$/.test(archive.text) ? archive.text : `${archive.text}.zip`;
  const named = text === archive.text ? archive : { ...archive, text, literal: archive.literal };
  return { placed: [archive, ...(named === archive ? [] : [named]), ...out] };
}

/**
 * A word that may split (`tar -xf x -C $HOME`) makes a program ask, as it may become an option;
 * what the words say as written is still read, so the files they name are seen where they can be
 * (`$HOME/.bashrc` is home's): protected paths and deny or ask Write rules hold in every mode.
 */
function asWrittenToo(runner: Runner): Runner {
  return (args) => {
    const run = runner(args);
    if (run !== RUNS || !anyDynamic(args)) return run;
    const written = runner(args.map((arg) => (arg.split ? { ...arg, split: false } : arg)));
    return { ...written, reason: written.reason ?? "argument_runs_program" };
  };
}

/** Brace expansions of plain text are known words: `git {log,--output=x}` is read as both. */
function withBraces(runner: Runner): Runner {
  return (args) =>
    args.some((arg) => arg.braces) ? runner(args.flatMap(expandArg)) : runner(args);
}

/** The words of a plain brace expansion, or the word itself (still dynamic) when not plain. */
function expandArg(arg: Arg): Arg[] {
  if (!arg.braces || /[$`*?[]/.test(arg.text)) return [arg];
  const words = expandBraces(arg.text);
  // A capped or unexpanded (`{1..3}`) result is not the whole truth: the word stays dynamic.
  if (words.length >= MAX_BRACE_WORDS || words.some((word) => word.includes("{"))) return [arg];
  return words.map(literalArg);
}

/** Programs whose arguments can run a program or write a file, with what to look for. */
export const ARGUMENT_RUNNERS: ReadonlyMap<string, Runner> = new Map<string, Runner>(
  (
    [
      ["sed", sed],
      ["gsed", sed],
      ["awk", awk],
      ["gawk", awk],
      ["mawk", awk],
      ["nawk", awk],
      ["sort", sort],
      ["tar", tar],
      ["gtar", tar],
      ["bsdtar", tar],
      ["git", git],
      ["less", pager],
      ["more", pager],
      [
        "man",
        runsThrough({ short: "PHCMLmSespRr" }, ["P", "pager", "H", "html", "C", "config-file"]),
      ],
      ["rsync", both(runsThrough({ short: "eBfT" }, ["e", "rsh", "rsync-path"]), RSYNC_WRITES)],
      ["rg", runsThrough({ short: "egtTfjmAB" }, ["pre", "hostname-bin"])],
      ...["bat", "batcat", "delta"].map(
        (name) => [name, runsThrough({ short: "lmHrd" }, ["pager"])] as const,
      ),
      ["zip", zip],
      [
        "uniq",
        secondOperandWrites({
          short: "fsw",
          long: ["skip-fields", "skip-chars", "check-chars", "group", "all-repeated"],
        }),
      ],
      ["xxd", secondOperandWrites({ short: "cglosnR" })],
      [
        "shuf",
        outputOption({
          short: "noi",
          long: ["head-count", "output", "input-range", "random-source"],
        }),
      ],
      ["iconv", outputOption({ short: "fto", long: ["from-code", "to-code", "output"] })],
      ["wget", wget],
      ["curl", curl],
      ["vi", editor],
      ["vim", editor],
      ["nvim", editor],
      ...["vimdiff", "gvim", "gvimdiff", "rvim", "rview", "gview", "evim"].map(
        (name) => [name, editor] as const,
      ),
      ["view", editor],
      ["ex", editor],
      ...SYSTEM_TOOLS,
      ...BUILD_TOOLS,
      ...TEST_RUNNERS,
      ...CONFIG_TOOLS,
      [
        "scp",
        both(
          both(runsThrough({ short: "cDFiJloPSX" }, ["S", "o", "F", "J"]), SCP_WRITES),
          sshOptionWrites({ short: "cDFiJloPSX" }),
        ),
      ],
      ...FILE_WRITERS,
      ...EXTRACTORS,
      ...DERIVED_OUTPUTS,
      [
        "sftp",
        both(
          runsThrough({ short: "BbcDFiJlosPRSX" }, ["S", "D", "o", "F", "J"]),
          sshOptionWrites({ short: "BbcDFiJlosPRSX" }),
        ),
      ],
    ] as const
  ).map(([name, runner]) => [name, withBraces(asWrittenToo(runner))]),
);
