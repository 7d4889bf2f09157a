import { anyDynamic, RUNS, unknownWrite, values } from "./argument-runs.ts";
import { parseOptions } from "./options.ts";
import type { Runner } from "./run.ts";
import { type Arg, literalArg } from "./words.ts";

/**
 * Test runners whose options write a file or remove a directory of the caller's choosing:
 * `pytest --junitxml=~/.bashrc`, `--log-file`, `--debug=FILE`, and `--basetemp=DIR`, which pytest
 * empties and removes first (`pytest --basetemp=.git` deletes the repository's history).
 */

/** pytest's options that name a file it writes (argparse reads them abbreviated too). */
const PYTEST_WRITES = [
  "junitxml",
  "junit-xml",
  "log-file",
  "resultlog",
  "result-log",
  "report-log",
  "basetemp",
];
/** `-o NAME=value` settings that name a place pytest writes or options it adds. */
const PYTEST_WRITING_INI = /^(?:cache_dir|log_file|addopts)\s*=/;

/** pytest (`pytest`, `py.test`, `python -m pytest`): its argv, program first. */
export const pytest: Runner = (args) => {
  if (anyDynamic(args)) return RUNS;
  const parsed = parseOptions(args, 1, {
    short: "kmpcoWrn",
    long: [...PYTEST_WRITES, "override-ini", "cov-report", "config-file", "rootdir"],
    flags: ["debug"],
    permute: true,
  });
  const writes: Arg[] = [...values(parsed, ...PYTEST_WRITES)];
  for (const option of parsed.options) {
    // `--debug` writes `pytestdebug.log`, `--debug=FILE` that file.
    if (option.name === "debug") writes.push(option.value ?? literalArg("pytestdebug.log"));
  }
  for (const setting of values(parsed, "o", "override-ini")) {
    if (PYTEST_WRITING_INI.test(setting.text)) writes.push(unknownWrite(setting.text));
  }
  // pytest-cov's `--cov-report=xml:FILE` (and html:, lcov:, json:, annotate:) writes there.
  for (const report of values(parsed, "cov-report")) {
    const target = /^\w+:(.+)$/s.exec(report.text);
    if (target) writes.push({ ...report, text: target[1]! });
  }
  return { writes };
};

/**
 * Linters' and JavaScript test runners' report files: `eslint -o FILE`/`--output-file`,
 * `--cache-location`; `jest --outputFile`, `--coverageDirectory` (yargs reads camelCase and
 * kebab-case alike); `vitest --outputFile` (also `--outputFile.json=FILE`) and
 * `--coverage.reportsDirectory`. A directory is a write of unknown files under it.
 */
const REPORT_FILE = /^--(?:output-?file|outputFile)(?:\.[\w-]+)?(?:=|$)|^--cache-location(?:=|$)/i;
const REPORT_DIR = /^--(?:coverage-?directory|coverage\.reports-?directory)(?:=|$)/i;

const reporter: Runner = (args) => {
  if (anyDynamic(args)) return RUNS;
  const writes: Arg[] = [];
  for (let index = 1; index < args.length; index++) {
    const arg = args[index]!;
    if (arg.text === "--") break;
    const file =
      REPORT_FILE.test(arg.text) || (arg.text === "-o" && args[0]!.text.endsWith("eslint"));
    const dir = REPORT_DIR.test(arg.text);
    if (!file && !dir) continue;
    const eq = arg.text.indexOf("=");
    const value = eq === -1 ? args[++index] : { ...arg, text: arg.text.slice(eq + 1) };
    if (!value) continue;
    writes.push(dir ? unknownWrite(`${value.text}/*`) : value);
  }
  return { writes };
};

/** Test runners, with what to look for. */
export const TEST_RUNNERS: readonly (readonly [string, Runner])[] = [
  ["pytest", pytest],
  ["py.test", pytest],
  ...["eslint", "jest", "vitest"].map((name) => [name, reporter] as const),
];
