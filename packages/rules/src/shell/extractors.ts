import { anyDynamic, NOTHING, named, RUNS, values } from "./argument-runs.ts";
import type { ParsedArgs } from "./options.ts";
import { parseOptions } from "./options.ts";
import type { Run, Runner } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

/**
 * Programs that unpack a tree whose names come from their input, not their arguments: an archive
 * (`tar -x`, `unzip`, `cpio -i`) or a diff (`patch`). What they write is their job, but the
 * names are the archive's: the directory they unpack into is a tree root (`Run.trees`), and
 * protected paths ask when a protected file may lie under it (`tar -xf x.tar -C ~` may bring
 * `.bashrc`; `tar -xf x.tar` in the project may bring `.git/hooks/pre-commit`).
 */

const ROOT = literalArg("/");
const HERE = literalArg(".");

function join(dir: Arg, next: Arg): Arg {
  if (next.text.startsWith("/") || next.text.startsWith("~")) return next;
  const text = `${dir.text.replace(/\/+$/, "")}/${next.text}`;
  return dir.literal && next.literal ? literalArg(text) : { ...next, text, literal: false };
}

/**
 * Where GNU tar extracts: each `-C DIR` in turn (each relative to the one before), or the
 * working directory; with `-P` (member names kept absolute, `..` allowed) anywhere.
 */
export function tarTrees(parsed: ParsedArgs): Arg[] {
  if (!named(parsed, new Set(["x", "extract", "get"]))) return [];
  if (named(parsed, new Set(["O", "to-stdout", "to-command"]))) return [];
  if (named(parsed, new Set(["P", "absolute-names"]))) return [ROOT];
  const dirs = values(parsed, "C", "directory");
  const roots: Arg[] = [];
  let current: Arg | undefined;
  for (const dir of dirs) {
    current = current === undefined ? dir : join(current, dir);
    roots.push(current);
  }
  if (roots.length === 0) roots.push(HERE);
  // `--one-top-level=DIR` puts every member under DIR (relative to the last `-C`).
  for (const top of values(parsed, "one-top-level")) roots.push(join(current ?? HERE, top));
  return roots;
}

/**
 * `unzip ARCHIVE [-d DIR]`: the tree under DIR or here; `-:` keeps `../` in names (anywhere).
 * Listing, testing and printing (`-l`, `-t`, `-v`, `-p`, `-c`, `-Z`, `-z`) write nothing.
 */
function unzip(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const words = args.slice(1).map((arg) => arg.text);
  const letters = words.filter((w) => /^-[^-d]/.test(w)).join("");
  if (/[lptvcZz]/.test(letters)) return NOTHING;
  if (letters.includes(":")) return { trees: [ROOT] };
  const at = words.findIndex((w) => w === "-d" || (w.startsWith("-d") && !w.startsWith("--")));
  if (at === -1) return { trees: [HERE] };
  const word = words[at]!;
  const dir = word === "-d" ? args[at + 2] : { ...args[at + 1]!, text: word.slice(2) };
  return { trees: [dir ?? HERE] };
}

/**
 * `patch`: the files the diff names, under `-d DIR` or here (GNU patch refuses absolute names and
 * `..`, not `.git/hooks/…`); a named original file and `-o FILE` are written too.
 */
function patch(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "BdDFioprVYzg",
    long: [
      "prefix",
      "directory",
      "ifdef",
      "fuzz",
      "input",
      "output",
      "strip",
      "reject-file",
      "version-control",
      "basename-prefix",
      "suffix",
      "get",
      "quoting-style",
      "reject-format",
      "read-only",
    ],
    flags: ["dry-run"],
    permute: true,
  });
  if (named(parsed, new Set(["dry-run"]))) return NOTHING;
  const dir = values(parsed, "d", "directory").at(-1);
  const outputs = values(parsed, "o", "output", "r", "reject-file").filter((a) => a.text !== "-");
  const [original] = parsed.operands;
  return {
    placed: [...outputs, ...(original ? [original] : [])],
    trees: [dir ?? HERE],
  };
}

/**
 * `cpio -i` extracts names as the archive holds them, absolute ones too unless
 * `--no-absolute-filenames`; `cpio -p DIR` copies a tree into DIR.
 */
export function cpioTrees(parsed: ParsedArgs): Arg[] {
  if (named(parsed, new Set(["p", "pass-through"]))) {
    return parsed.operands.length > 0 ? [parsed.operands.at(-1)!] : [ROOT];
  }
  if (!named(parsed, new Set(["i", "extract"]))) return [];
  if (!named(parsed, new Set(["no-absolute-filenames"]))) return [ROOT];
  return [values(parsed, "D", "directory").at(-1) ?? HERE];
}

/** A command letter (`7z x`, `ar x`, `jar xf`): the first operand, dashes allowed. */
function commandLetters(args: readonly Arg[]): string {
  return (args[1]?.text ?? "").replace(/^-/, "");
}

/** `7z x|e ARCHIVE [-oDIR]`: the tree under DIR or here. */
function sevenZip(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const command = commandLetters(args);
  if (command !== "x" && command !== "e") return NOTHING;
  const out = args.findLast((arg) => arg.text.startsWith("-o") && arg.text.length > 2);
  return { trees: [out ? { ...out, text: out.text.slice(2) } : HERE] };
}

/** `unrar x|e ARCHIVE [FILES…] [DIR/]`: the tree under the last operand ending in `/`, or here. */
function unrar(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const command = commandLetters(args);
  if (command !== "x" && command !== "e") return NOTHING;
  const operands = args.slice(2).filter((arg) => !arg.text.startsWith("-"));
  const last = operands.at(-1);
  return { trees: [last && operands.length > 1 && last.text.endsWith("/") ? last : HERE] };
}

/**
 * `ar x` writes members here under their own names (which hold no `/`: a glob of one level);
 * `jar x` unpacks a tree here. `ar r|q…` and `jar c|u…` write the archive.
 */
function memberArchive(flat: boolean): Runner {
  return (args) => {
    if (anyDynamic(args)) return RUNS;
    const command = commandLetters(args);
    const archive = args.slice(2).find((arg) => !arg.text.startsWith("-"));
    if (command.includes("x")) {
      return flat ? { placed: [{ ...HERE, text: "*", literal: false }] } : { trees: [HERE] };
    }
    return /[rqcdmsu]/.test(command) && archive ? { placed: [archive] } : NOTHING;
  };
}

/** `pax -r` keeps absolute member names (anywhere); `-w -f FILE` writes FILE. */
function pax(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, { short: "fsoxbBpT", permute: true });
  const letters = parsed.options.map((option) => option.name);
  if (letters.includes("r")) return { trees: [ROOT] };
  return letters.includes("w") ? { placed: values(parsed, "f") } : NOTHING;
}

/** `dpkg -x|--extract` and `dpkg-deb -x|-X|-R|--raw-extract DEB DIR`: the tree under DIR. */
function dpkg(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const at = args.findIndex((arg) =>
    /^(?:-[xXR]|--(?:vextract|extract|raw-extract))$/.test(arg.text),
  );
  if (at === -1) return NOTHING;
  const dir = args[at + 2];
  return { trees: [dir ?? HERE] };
}

export const EXTRACTORS: readonly (readonly [string, Runner])[] = [
  ["unzip", unzip],
  ["patch", patch],
  ...["7z", "7za", "7zz", "7zr"].map((name) => [name, sevenZip] as const),
  ["unrar", unrar],
  ["rar", unrar],
  ["ar", memberArchive(true)],
  ["jar", memberArchive(false)],
  ["pax", pax],
  ["dpkg", dpkg],
  ["dpkg-deb", dpkg],
];
