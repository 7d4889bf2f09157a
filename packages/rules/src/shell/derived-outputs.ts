import { anyDynamic, NOTHING, RUNS, values } from "./argument-runs.ts";
import { type OptionSpec, parseOptions } from "./options.ts";
import type { Run, Runner } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

/**
 * Programs that write files named after their operands, a job an allow rule for them grants but
 * protected paths still see (`placed`): compressors replace `x` with `x.gz` and decompressors
 * `x.gz` with `x` (`gunzip ~/.bashrc.gz` writes `~/.bashrc`), `split`/`csplit` write
 * `PREFIX…` (`split x ~/.bashr` may write `~/.bashrc`), `touch` creates its operands and
 * `ssh-keygen -f FILE` writes FILE and FILE.pub.
 */

const COMPRESSED = /\.(?:gz|tgz|taz|z|Z|xz|txz|lzma|tlz|bz2|tbz2?|zst|tzst|lz4|br|lz|lzo)$/;

function renamed(arg: Arg, text: string): Arg {
  return arg.literal ? literalArg(text) : { ...arg, text, literal: false };
}

/** A compressor: each operand, with its suffix added, and with a known suffix taken off. */
function compressor(suffix: string, spec: OptionSpec, stdout: RegExp): Runner {
  return (args) => {
    if (anyDynamic(args)) return RUNS;
    const parsed = parseOptions(args, 1, { ...spec, permute: true });
    const outputs = values(parsed, "o", "output");
    const toStdout = parsed.options.some((option) => stdout.test(option.name));
    if (toStdout) return outputs.length > 0 ? { placed: outputs } : NOTHING;
    const own = values(parsed, "S", "suffix").at(-1)?.text ?? suffix;
    const placed = parsed.operands.flatMap((operand) =>
      operand.text === "-"
        ? []
        : [
            operand,
            renamed(operand, operand.text + own),
            renamed(operand, operand.text.replace(COMPRESSED, "")),
          ],
    );
    const dirs = values(parsed, "output-dir-flat", "output-dir-mirror");
    return { placed: [...placed, ...outputs], ...(dirs.length > 0 ? { trees: dirs } : {}) };
  };
}

/** Options that only list, test or write to standard output. */
const GZIP_STDOUT = /^(?:c|t|l|stdout|to-stdout|test|list)$/;
const GZIP: OptionSpec = { short: "Sbp", long: ["suffix", "blocksize", "processes"] };
const XZ: OptionSpec = {
  short: "SCFMT",
  long: ["suffix", "check", "format", "memlimit", "memory", "threads", "files", "files0"],
};
const ZSTD: OptionSpec = {
  short: "oDT",
  long: ["output-dir-flat", "output-dir-mirror", "patch-from", "memory", "trace", "filelist"],
};
const BROTLI: OptionSpec = {
  short: "oqwSD",
  long: ["output", "quality", "lgwin", "suffix", "dictionary"],
};

/** `split [FILE [PREFIX]]` writes PREFIXaa…; `csplit -f PREFIX` writes PREFIX00…. */
function prefixed(prefix: Arg): Arg[] {
  return [prefix, { ...prefix, text: `${prefix.text}*`, literal: false }];
}

function split(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "abdlnCtx",
    long: ["suffix-length", "bytes", "lines", "line-bytes", "number", "separator", "filter"],
    permute: true,
  });
  // `--filter=cmd` runs cmd for each piece.
  if (parsed.options.some((option) => option.name === "filter")) return RUNS;
  const prefix = parsed.operands[1] ?? literalArg("x");
  return { placed: prefixed(prefix) };
}

function csplit(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "bfn",
    long: ["suffix-format", "prefix", "digits"],
    permute: true,
  });
  const prefix = values(parsed, "f", "prefix").at(-1) ?? literalArg("xx");
  return { placed: prefixed(prefix) };
}

function touch(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "drt",
    long: ["date", "reference", "time"],
    permute: true,
  });
  return parsed.operands.length > 0 ? { placed: [...parsed.operands] } : NOTHING;
}

/** `ssh-keygen -f FILE` (or `-fFILE`) writes the key to FILE and FILE.pub. */
function sshKeygen(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const files: Arg[] = [];
  for (let index = 1; index < args.length; index++) {
    const text = args[index]!.text;
    if (text === "-f" && args[index + 1]) files.push(args[++index]!);
    else if (text.startsWith("-f") && text.length > 2)
      files.push(renamed(args[index]!, text.slice(2)));
  }
  return files.length > 0
    ? { placed: files.flatMap((file) => [file, renamed(file, `${file.text}.pub`)]) }
    : NOTHING;
}

export const DERIVED_OUTPUTS: readonly (readonly [string, Runner])[] = [
  ...["gzip", "gunzip", "pigz", "unpigz"].map(
    (name) => [name, compressor(".gz", GZIP, GZIP_STDOUT)] as const,
  ),
  ...["xz", "unxz", "lzma", "unlzma"].map(
    (name) => [name, compressor(name.includes("lzma") ? ".lzma" : ".xz", XZ, GZIP_STDOUT)] as const,
  ),
  ...["bzip2", "bunzip2", "pbzip2"].map(
    (name) => [name, compressor(".bz2", {}, GZIP_STDOUT)] as const,
  ),
  ...["zstd", "unzstd", "zstdmt"].map(
    (name) => [name, compressor(".zst", ZSTD, GZIP_STDOUT)] as const,
  ),
  ["lz4", compressor(".lz4", {}, GZIP_STDOUT)],
  ["brotli", compressor(".br", BROTLI, GZIP_STDOUT)],
  ["lzip", compressor(".lz", { short: "osbm" }, GZIP_STDOUT)],
  ["lzop", compressor(".lzo", { short: "oS" }, GZIP_STDOUT)],
  ...["compress", "uncompress"].map(
    (name) => [name, compressor(".Z", { short: "b" }, GZIP_STDOUT)] as const,
  ),
  ["split", split],
  ["csplit", csplit],
  ["touch", touch],
  ["ssh-keygen", sshKeygen],
];
