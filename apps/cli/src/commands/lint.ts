import { parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { type Diagnostic, formatDiagnostic } from "../diagnostic.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Io } from "../io.ts";
import { lintPolicyText } from "../lint-file.ts";
import { readTextFile } from "../policy-files.ts";

const usage = `Usage: warden lint [--json] FILE...

Loads and compiles each policy file (YAML or JSON) and reports, with file:line:col:
  error[code]            a document, pattern, regex or glob that does not compile, a forbidden
                         mode, or an inline example (examples.match / not_match) that fails
  warning[breadth:code]  an allow rule that grants dangerous breadth (Bash(*), python *, sudo…)
  warning[operator_in_glob]  a primary glob with '=' or '~' outside quotes (it matches that
                         text literally; a condition is written field ~ "value")
  warning[regex_unanchored]  a tool regex without ^…$ (a regex searches: /mcp__gh__.*/ also
                         matches xmcp__gh__y)
  warning[server_not_exact]  mcp__<server>__ with a wildcard in the server (mcp__gh*, mcp__*__x):
                         it reaches other servers and tools whose names hold __

Options:
  --json      print {files: [{file, diagnostics}], errors, warnings} instead of text
  -h, --help

Exit code: 1 if any file has an error, else 0 (warnings do not fail); 2 for a usage error.`;

interface FileReport {
  readonly file: string;
  readonly diagnostics: readonly Diagnostic[];
}

async function lintFile(file: string, cwd: string): Promise<FileReport> {
  try {
    return { file, diagnostics: lintPolicyText(await readTextFile(file, cwd), file) };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return {
      file,
      diagnostics: [{ severity: "error", code: error.code, message: error.message, file }],
    };
  }
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    true,
  );
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0)
    throw new CliError("missing_option", "lint needs at least one FILE");

  const cwd = io.cwd ?? process.cwd();
  const reports = await Promise.all(positionals.map((file) => lintFile(file, cwd)));
  const all = reports.flatMap((report) => report.diagnostics);
  const errors = all.filter((d) => d.severity === "error").length;
  const warnings = all.length - errors;

  if (values.json) {
    io.stdout.write(`${JSON.stringify({ files: reports, errors, warnings }, null, 2)}\n`);
  } else {
    const lines = all.map(formatDiagnostic);
    lines.push(
      `${plural(reports.length, "file")}, ${plural(errors, "error")}, ${plural(warnings, "warning")}`,
    );
    io.stdout.write(`${lines.join("\n")}\n`);
  }
  return errors > 0 ? EXIT.failure : EXIT.ok;
}

/** `warden lint FILE…`: compiles policy files and reports located errors and breadth warnings. */
export const lintCommand: Command = {
  name: "lint",
  summary: "compile policy files; report located errors and breadth warnings",
  usage,
  run,
};
