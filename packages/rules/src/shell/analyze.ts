import { LruCache } from "./cache.ts";
import { Collector, TooComplex } from "./collector.ts";
import { startScope } from "./scope.ts";
import type { ShellAnalysis } from "./types.ts";
import { walkSource } from "./walk.ts";

const CACHE_SIZE = 512;
const MAX_CACHED_LENGTH = 8192;
const BASE_BUDGET = 16_384;
const cache = new LruCache<string, ShellAnalysis>(CACHE_SIZE);

const NOT_A_STRING: ShellAnalysis = Object.freeze({
  commands: Object.freeze([]),
  writes: Object.freeze([]),
  uncertain: Object.freeze(["parse_error"] as const),
});

/**
 * Lists every simple command a shell command line would run, the files it would write, and why
 * it cannot be vouched for. Pure, synchronous, never throws; results are frozen and cached.
 *
 * @example
 * analyzeShell("cd /tmp && rm -rf x > log").commands.map((c) => c.text); // ["cd /tmp", "rm -rf x"]
 */
export function analyzeShell(command: string): ShellAnalysis {
  if (typeof command !== "string") return NOT_A_STRING;
  const cached = cache.get(command);
  if (cached) return cached;
  const analysis = analyze(command);
  if (command.length <= MAX_CACHED_LENGTH) cache.set(command, analysis);
  return analysis;
}

function analyze(command: string): ShellAnalysis {
  const collector = new Collector(walkSource, BASE_BUDGET + 3 * command.length);
  // Bash reading a script from a pipe drops NUL bytes (`r\0m x` runs `rm x`), while `bash -c`
  // stops at the first: the line is read as the former, so deny rules see `rm`, and never allowed.
  const source = command.includes("\0") ? command.replaceAll("\0", "") : command;
  if (source !== command) collector.flag("parse_error");
  try {
    walkSource(source, collector, startScope());
  } catch (error) {
    const tooComplex = error instanceof TooComplex || error instanceof RangeError;
    collector.flag(tooComplex ? "too_complex" : "parse_error");
  }
  return collector.finish();
}
