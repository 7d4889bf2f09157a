import { anyDynamic, named, RUNS, unknownWrite, values } from "./argument-runs.ts";
import { type OptionSpec, parseOptions } from "./options.ts";
import type { Run } from "./run.ts";
import type { Arg } from "./words.ts";

/** curl's long options that name a file it writes. */
const CURL_WRITES = [
  "output",
  "dump-header",
  "cookie-jar",
  "trace",
  "trace-ascii",
  "stderr",
  "libcurl",
  "etag-save",
  "hsts",
  "alt-svc",
  "ssl-sessions",
];
const CURL: OptionSpec = {
  short: "oDcKbdeEFHmrTuUwxXAy",
  long: [...CURL_WRITES, "config", "output-dir", "write-out", "engine"],
  flags: ["remote-name", "remote-name-all", "remote-header-name"],
  permute: true,
};

/** curl writes what `-o`, `-D`, `-c`, `--trace`… name; `-O` a name the server chooses; `-K` reads more options. */
export function curl(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, CURL);
  // `--engine` loads an OpenSSL engine (a shared library), as `openssl -engine` does.
  if (named(parsed, new Set(["K", "config", "engine", "expand-config", "expand-engine"]))) {
    return RUNS;
  }
  const writes = values(parsed, "o", "D", "c", ...CURL_WRITES);
  // `-w '%output{FILE}…'` (and `%output{>>FILE}`) writes the rest of the write-out to FILE.
  for (const format of values(parsed, "w", "write-out")) {
    for (const [, file] of format.text.matchAll(/%output\{(?:>>)?([^}]*)\}/g)) {
      writes.push(format.literal ? { ...format, text: file! } : unknownWrite(file!));
    }
  }
  // `--expand-OPTION` (curl 8.3) gives OPTION a value built from `--variable`s: unknown here.
  for (const option of parsed.options) {
    const expanded = /^expand-(.+)$/.exec(option.name)?.[1];
    if (expanded && ["o", "output", "write-out", "output-dir", ...CURL_WRITES].includes(expanded)) {
      writes.push(unknownWrite(`--${option.name}`));
    }
  }
  const remote = named(
    parsed,
    new Set(["O", "remote-name", "remote-name-all", "J", "remote-header-name"]),
  );
  if (remote) writes.push(unknownWrite(`${values(parsed, "output-dir")[0]?.text ?? "."}/*`));
  return { writes: writes.filter((arg) => arg.text !== "-") };
}

/** wget's long options that name a file it writes besides the download and its log. */
const WGET_WRITES = ["save-cookies", "rejected-log", "hsts-file", "warc-file"];
const WGET: OptionSpec = {
  short: "oOaPeiBtTwQUYlAR",
  long: [
    "output-document",
    "output-file",
    "append-output",
    "directory-prefix",
    "execute",
    "use-askpass",
    "input-file",
    "config",
    ...WGET_WRITES,
  ],
  permute: true,
};

/**
 * wget writes the download (`-O` names it), its log, cookies, a WARC, an HSTS store; `-e` runs
 * wgetrc commands and `--config` reads a wgetrc (which may set `use_askpass` and the outputs).
 */
export function wget(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, WGET);
  if (named(parsed, new Set(["e", "execute", "use-askpass", "config"]))) return RUNS;
  const writes = values(parsed, "o", "output-file", "a", "append-output", ...WGET_WRITES);
  // `--warc-file=NAME` writes NAME.warc.gz.
  for (const warc of values(parsed, "warc-file"))
    writes.push({ ...warc, text: `${warc.text}.warc.gz` });
  const document = values(parsed, "O", "output-document");
  if (document.length > 0) writes.push(...document);
  else writes.push(unknownWrite(`${values(parsed, "P", "directory-prefix")[0]?.text ?? "."}/*`));
  return { writes: writes.filter((arg) => arg.text !== "-") };
}
