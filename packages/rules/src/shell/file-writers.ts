import { NOTHING, RUNS } from "./argument-runs.ts";
import { type OptionSpec, type ParsedOption, parseOptions } from "./options.ts";
import type { Run, Runner } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

/**
 * Programs whose job is putting files in place: `cp`, `mv`, `ln`, `install`, `dd of=`, `truncate`,
 * and `rsync`'s and `scp`'s local destinations. An allow rule for the program grants that job, so
 * what they write is `placed` (not checked against Write rules), but protected paths and deny or
 * ask Write rules still see it: in `bypassPermissions`, `cp x ~/.bashrc` asks as `echo x >>
 * ~/.bashrc` does. A destination may be a directory, so each source's name under it is placed
 * too (`cp init.gradle ~/.gradle` writes `~/.gradle/init.gradle`). A link reaches the file it
 * links to (`ln -s ~/.bashrc x`, then `echo >> x`), and a move removes its source: their sources
 * are placed as well.
 *
 * A program that may place a directory (`cp -r`, `mv`, `ln`, `rsync`, `scp -r`) places a whole
 * tree at each of those names: protected paths see every file it may hold (`cp -r dir ~` brings
 * `~/dir`, but `cp -r .ssh ~`, `cp -r dir/. ~` and `rsync -a dir/ ~/` fill `~` itself). A
 * destination is a tree root unless it names a directory that always exists (`.`, `~`, `/`),
 * into which the sources go under their own names; a source written with a trailing `/` or `/.`
 * puts its contents in the destination itself (rsync, and BSD `cp -R dir/ ~`).
 */

/** The name a source gets in a destination directory (`a/b/` → `b`); `.` and `..` add nothing. */
function baseName(text: string): string {
  const trimmed = text.replace(/\/+$/, "");
  const name = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  return name === "." || name === ".." ? "" : name;
}

function under(dir: Arg, source: Arg): Arg {
  const name = baseName(source.text);
  if (name === "") return dir;
  const text = dir.text.endsWith("/") ? dir.text + name : `${dir.text}/${name}`;
  return dir.literal && source.literal ? literalArg(text) : { ...dir, text, literal: false };
}

/** The files `sources → destination` writes: the destination, and each source's name under it. */
function intoDestination(sources: readonly Arg[], destination: Arg, directory: boolean): Arg[] {
  const inside = sources.map((source) => under(destination, source));
  return directory ? inside : [destination, ...inside];
}

/** A destination that is always an existing directory: sources go under their own names. */
function alwaysADirectory(text: string): boolean {
  const trimmed = text.replace(/(?:\/\.?)+$/, "");
  return ["", ".", "..", "~", "$HOME", `$\{HOME}`].includes(trimmed);
}

/** Whether a source puts its contents, not itself, in the destination (`dir/`, `dir/.`). */
function copiesContents(source: Arg): boolean {
  return /\/\.?$/.test(source.text) || baseName(source.text) === "";
}

/**
 * The roots of the trees `sources → destination` may place: each source's name under the
 * destination, and the destination itself unless it always exists and no source copies its
 * contents into it.
 */
function treesInto(sources: readonly Arg[], destination: Arg): Arg[] {
  const inside = sources.filter((source) => baseName(source.text) !== "");
  const roots = inside.map((source) => under(destination, source));
  if (!alwaysADirectory(destination.text) || sources.some(copiesContents)) {
    roots.push(destination);
  }
  return roots;
}

interface CopySpec extends OptionSpec {
  /** Whether these options let the program place a directory tree (`cp -r`, `mv`, `ln`). */
  readonly trees: (options: ReadonlySet<string>) => boolean;
  /** Options that make links to the sources, or remove them (`ln`; `cp -l`/`-s`; `mv`). */
  readonly reachesSources: (options: ReadonlySet<string>) => boolean;
  /** Long options whose value names a program the tool runs (`install --strip-program`). */
  readonly running?: readonly string[];
}

/** `cp`, `mv`, `ln`, `install`: `SOURCE… DEST`, `-t DIR SOURCE…`, `-T SOURCE DEST`. */
function copier(spec: CopySpec): Runner {
  return (args) => {
    const parsed = parseOptions(args, 1, { ...spec, permute: true });
    const names = new Set(parsed.options.map((option) => option.name));
    if (spec.running?.some((name) => names.has(name))) return RUNS;
    const operands = parsed.operands;
    const target = parsed.options.findLast(
      (option) => (option.name === "t" || option.name === "target-directory") && option.value,
    )?.value;
    let placed: Arg[];
    // `install -d DIR…` creates each directory it names.
    if (names.has("d") || names.has("directory")) placed = [...operands];
    else if (target) {
      placed = intoDestination(operands, target, true);
      // With POSIXLY_CORRECT set earlier, `-t` after an operand is an operand itself and the
      // last operand is the destination (`cp a -t b ~/.ssh`): placed too.
      if (operands.length > 1) {
        placed.push(...intoDestination(operands.slice(0, -1), operands.at(-1)!, false));
      }
    } else if (operands.length === 1) {
      // `ln -s /path/x` links ./x.
      placed = [literalOrNot(baseName(operands[0]!.text) || ".", operands[0]!)];
    } else if (operands.length > 1) {
      const destination = operands.at(-1)!;
      const sources = operands.slice(0, -1);
      placed = names.has("T") || names.has("no-target-directory") ? [destination] : [];
      if (placed.length === 0) placed = intoDestination(sources, destination, false);
    } else placed = [];
    const sources = target || operands.length === 1 ? operands : operands.slice(0, -1);
    const directories = names.has("d") || names.has("directory");
    const reached = spec.reachesSources(names) && !directories ? sources : [];
    const all = [...placed, ...backups(parsed.options, placed), ...reached];
    if (all.length === 0) return NOTHING;
    if (!spec.trees(names) || directories) return { placed: all };
    const whole = names.has("T") || names.has("no-target-directory");
    let trees: Arg[];
    if (target) trees = treesInto(operands, target);
    else if (operands.length === 1) trees = placed;
    else if (whole) trees = [operands.at(-1)!];
    else trees = operands.length > 1 ? treesInto(sources, operands.at(-1)!) : [];
    // A link or a move reaches its source's whole tree (`ln -s ~ x`, then `cp -r d/. x`).
    return { placed: all, trees: [...trees, ...reached] };
  };
}

/**
 * A backup moves what was at a destination to the destination plus a suffix: `cp -S rc x .bash`
 * renamed an earlier-written `.bash` to `.bashrc`. `-S`/`--suffix` implies a backup; `-b` and
 * `--backup` use `~` (or `SIMPLE_BACKUP_SUFFIX`, a dangerous name).
 */
function backups(options: readonly ParsedOption[], destinations: readonly Arg[]): Arg[] {
  const suffix = options.findLast(
    (option) => (option.name === "S" || option.name === "suffix") && option.value,
  )?.value;
  const backup = options.some((option) => option.name === "b" || option.name === "backup");
  if (!suffix && !backup) return [];
  return destinations.map((destination) => {
    const text = destination.text + (suffix?.text ?? "~");
    return destination.literal && (suffix?.literal ?? true)
      ? literalArg(text)
      : { ...destination, text, literal: false };
  });
}

function literalOrNot(text: string, like: Arg): Arg {
  return like.literal ? literalArg(text) : { ...like, text, literal: false };
}

/** `dd of=FILE`: the output file. */
function dd(args: readonly Arg[]): Run {
  const placed = args
    .slice(1)
    .filter((arg) => arg.text.startsWith("of="))
    .map((arg) => ({ ...arg, text: arg.text.slice(3) }));
  return placed.length > 0 ? { placed } : NOTHING;
}

/** `truncate -s SIZE FILE…`: each file. */
function truncate(args: readonly Arg[]): Run {
  const { operands } = parseOptions(args, 1, {
    short: "sr",
    long: ["size", "reference"],
    permute: true,
  });
  return operands.length > 0 ? { placed: [...operands] } : NOTHING;
}

/** Whether an rsync or scp operand names a remote place (`host:path`, `rsync://…`), not a file here. */
function isRemote(text: string): boolean {
  const colon = text.indexOf(":");
  if (colon === -1) return false;
  const slash = text.indexOf("/");
  return slash === -1 || colon < slash;
}

/** `SOURCE… DEST` where a local DEST is written (rsync, scp), with the options that name a file. */
function transfer(
  spec: OptionSpec,
  outputs: readonly string[],
  trees: (options: ReadonlySet<string>) => boolean,
): Runner {
  return (args) => {
    const parsed = parseOptions(args, 1, { ...spec, permute: true });
    const placed: Arg[] = parsed.options.flatMap((option) =>
      option.value && outputs.includes(option.name) ? [option.value] : [],
    );
    const { operands } = parsed;
    const destination = operands.at(-1);
    if (operands.length > 1 && destination && !isRemote(destination.text)) {
      placed.push(...backups(parsed.options, [destination]));
      // A remote source (`host:dir/x`) lands under its own name (`x`).
      const sources = operands
        .slice(0, -1)
        .map((source) =>
          isRemote(source.text)
            ? { ...source, text: source.text.slice(source.text.indexOf(":") + 1) }
            : source,
        );
      placed.push(...intoDestination(sources, destination, false));
      if (trees(new Set(parsed.options.map((option) => option.name)))) {
        return { placed, trees: treesInto(sources, destination) };
      }
    }
    return placed.length > 0 ? { placed } : NOTHING;
  };
}

const COPY_LONG = ["target-directory", "suffix", "sparse", "no-preserve"];
/** cp's options that copy directories (`-a` is `-dR --preserve=all`). */
const RECURSIVE = ["r", "R", "a", "recursive", "archive"];
const always = () => true;
const never = () => false;

export const FILE_WRITERS: ReadonlyMap<string, Runner> = new Map<string, Runner>([
  [
    "cp",
    copier({
      short: "St",
      long: COPY_LONG,
      flags: ["link", "symbolic-link", "no-target-directory", "recursive", "archive"],
      trees: (names) => RECURSIVE.some((name) => names.has(name)),
      reachesSources: (names) =>
        ["l", "s", "link", "symbolic-link"].some((name) => names.has(name)),
    }),
  ],
  [
    "mv",
    copier({
      short: "St",
      long: COPY_LONG,
      flags: ["no-target-directory"],
      trees: always,
      reachesSources: () => true,
    }),
  ],
  [
    "ln",
    copier({
      short: "St",
      long: COPY_LONG,
      flags: ["no-target-directory"],
      trees: always,
      reachesSources: () => true,
    }),
  ],
  ["link", copier({ trees: never, reachesSources: () => true })],
  [
    "install",
    copier({
      short: "gmoSt",
      long: [...COPY_LONG, "group", "mode", "owner", "strip-program"],
      flags: ["directory", "no-target-directory"],
      trees: never,
      reachesSources: () => false,
      running: ["strip-program"],
    }),
  ],
  ["dd", dd],
  ["truncate", truncate],
]);

/** rsync's options that take a value, and those whose value is a file it writes. */
export const RSYNC_WRITES = transfer(
  {
    short: "eBfTM",
    long: [
      "rsh",
      "rsync-path",
      "block-size",
      "filter",
      "temp-dir",
      "remote-option",
      "exclude",
      "include",
      "exclude-from",
      "include-from",
      "files-from",
      "backup-dir",
      "suffix",
      "partial-dir",
      "compare-dest",
      "copy-dest",
      "link-dest",
      "chmod",
      "chown",
      "usermap",
      "groupmap",
      "timeout",
      "contimeout",
      "bwlimit",
      "port",
      "password-file",
      "out-format",
      "log-file",
      "log-file-format",
      "write-batch",
      "only-write-batch",
      "read-batch",
      "max-size",
      "min-size",
      "max-delete",
      "modify-window",
      "iconv",
      "sockopts",
      "outbuf",
      "info",
      "debug",
      "stop-after",
      "stop-at",
      "checksum-choice",
      "compress-choice",
      "compress-level",
      "skip-compress",
      "address",
      "protocol",
      "checksum-seed",
    ],
  },
  ["log-file", "write-batch", "only-write-batch", "partial-dir", "backup-dir", "temp-dir"],
  // Without -r rsync skips directories, but -a, -d and filter rules bring them: always a tree.
  always,
);

/** scp's options that take a value; its local destination is written. */
export const SCP_WRITES = transfer({ short: "cDFiJloPSX" }, [], (names) => names.has("r"));
