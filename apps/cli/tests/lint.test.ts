import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runCli } from "./cli.ts";
import { fixture, positionOf } from "./fixtures.ts";

const diagnosticLines = (stdout: string) => stdout.trimEnd().split("\n").slice(0, -1);

describe("warden lint", () => {
  test("a pattern that never closes is an error at its file:line:col", async () => {
    const file = fixture("bad-pattern.yaml");
    const { line, column } = positionOf("bad-pattern.yaml", "Bash(npm *");
    const result = await runCli(["lint", file]);
    expect(result.code).toBe(1);
    // The parser reports the fault just past the pattern's last character.
    const at = `${file}:${line}:${column + "Bash(npm *".length}`;
    expect(diagnosticLines(result.stdout)).toEqual([
      `${at}: error[invalid_pattern]: rule 1: expected ')' to close the argument pattern`,
    ]);
    expect(result.stdout).toMatch(/1 file, 1 error, 0 warnings\n$/);
  });

  test("invalid regexes in a JSON file are errors at their patterns, every one of them", async () => {
    const file = fixture("bad-regex.json");
    const field = positionOf("bad-regex.json", "(unclosed");
    const tool = positionOf("bad-regex.json", '**/"');
    const result = await runCli(["lint", file]);
    expect(result.code).toBe(1);
    const lines = diagnosticLines(result.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      `${file}:${field.line}:${field.column}: error[invalid_regex]: rule 1: invalid regex /(unclosed/`,
    );
    expect(lines[1]).toMatch(
      `${file}:${tool.line}:${tool.column}: error[invalid_regex]: rule 2: invalid regex /mcp__gh__**/`,
    );
  });

  test("an unknown operator after a condition is an error at the operator", async () => {
    const file = fixture("unknown-operator.yaml");
    const { line, column } = positionOf("unknown-operator.yaml", "??");
    const result = await runCli(["lint", file]);
    expect(result.code).toBe(1);
    expect(diagnosticLines(result.stdout)).toEqual([
      `${file}:${line}:${column}: error[unknown_operator]: rule 0: unknown operator '??': expected one of ~ = =~ !~ != !=~`,
    ]);
  });

  test("an unknown operator in the first condition (==) is an error, not a glob", async () => {
    const file = fixture("unknown-first-operator.yaml");
    const { line, column } = positionOf("unknown-first-operator.yaml", "==");
    const result = await runCli(["lint", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `${file}:${line}:${column}: error[unknown_operator]: rule 0: unknown operator '=='`,
    );
  });

  test("a failing inline example is an error at the failing example", async () => {
    const file = fixture("failing-example.yaml");
    const { line, column } = positionOf("failing-example.yaml", '"npm run lint"');
    const result = await runCli(["lint", file]);
    expect(result.code).toBe(1);
    expect(diagnosticLines(result.stdout)).toEqual([
      `${file}:${line}:${column}: error[example_failed]: rule 1: Bash(npm run *) matches its not_match example "npm run lint"`,
    ]);
  });

  test("allow rules of dangerous breadth are warnings; deny rules are not; lint still passes", async () => {
    const file = fixture("broad.yaml");
    const any = positionOf("broad.yaml", "Bash(*)");
    const python = positionOf("broad.yaml", "Bash(python *)");
    const result = await runCli(["lint", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `${file}:${any.line}:${any.column}: warning[breadth:any_shell_command]: Bash(*) — allows any shell command`,
        `${file}:${python.line}:${python.column}: warning[breadth:interpreter]: Bash(python *) — python with any arguments runs arbitrary code`,
        "1 file, 0 errors, 2 warnings",
        "",
      ].join("\n"),
    );
  });

  test("tool regexes that are not anchored and server names that are not exact are warnings", async () => {
    const file = fixture("loose-tool-names.yaml");
    const regex = positionOf("loose-tool-names.yaml", "mcp__git__git_");
    const glob = positionOf("loose-tool-names.yaml", "gh*");
    const result = await runCli(["lint", file]);
    expect(result.code).toBe(0);
    const lines = diagnosticLines(result.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      `${file}:${regex.line}:${regex.column}: warning[regex_unanchored]: /mcp__git__git_(status|diff)/ — `,
    );
    expect(lines[1]).toMatch(
      `${file}:${glob.line}:${glob.column}: warning[server_not_exact]: mcp__gh* — `,
    );
    expect(result.stdout).toMatch(/1 file, 0 errors, 2 warnings\n$/);
  });

  test("clean YAML and JSON files pass with a zero summary", async () => {
    const result = await runCli(["lint", fixture("clean.yaml"), fixture("clean.json")]);
    expect(result).toEqual({ code: 0, stdout: "2 files, 0 errors, 0 warnings\n", stderr: "" });
  });

  test("every faulty rule and the document's own fault are reported in one run", async () => {
    const result = await runCli(["lint", fixture("many-faults.yaml")]);
    expect(result.code).toBe(1);
    const codes = diagnosticLines(result.stdout).map((line) => /error\[(\w+)\]/.exec(line)?.[1]);
    expect(codes).toEqual(["mode_forbidden", "invalid_pattern", "invalid_glob"]);
    expect(result.stdout).toMatch(/1 file, 3 errors, 0 warnings\n$/);
  });

  test("a YAML syntax error is located", async () => {
    // Written at run time: a broken YAML file in the tree would fail the repository's own lint.
    const dir = mkdtempSync(join(tmpdir(), "warden-cli-lint-"));
    const file = join(dir, "bad-syntax.yaml");
    writeFileSync(file, "rules:\n  - tool: Bash(ls)\n    behavior: allow\n  - tool: [unclosed\n");
    const result = await runCli(["lint", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^.*bad-syntax\.yaml:\d+:\d+: error\[invalid_syntax\]: /);
  });

  test("a missing file is an error and the other files are still linted", async () => {
    const result = await runCli(["lint", "tests/fixtures/missing.yaml", fixture("broad.yaml")]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "tests/fixtures/missing.yaml: error[unreadable_file]: cannot read tests/fixtures/missing.yaml (ENOENT)",
    );
    expect(result.stdout).toMatch(/2 files, 1 error, 2 warnings\n$/);
  });

  test("--json reports each file's diagnostics and the totals", async () => {
    const result = await runCli([
      "lint",
      "--json",
      fixture("bad-pattern.yaml"),
      fixture("broad.yaml"),
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    const { line, column } = positionOf("bad-pattern.yaml", "Bash(npm *");
    expect(report).toMatchObject({ errors: 1, warnings: 2 });
    expect(report.files.map((f: { file: string }) => f.file)).toEqual([
      fixture("bad-pattern.yaml"),
      fixture("broad.yaml"),
    ]);
    expect(report.files[0].diagnostics).toEqual([
      {
        severity: "error",
        code: "invalid_pattern",
        message: "rule 1: expected ')' to close the argument pattern",
        file: fixture("bad-pattern.yaml"),
        line,
        column: column + "Bash(npm *".length,
        rule: 1,
      },
    ]);
    expect(report.files[1].diagnostics.map((d: { code: string }) => d.code)).toEqual([
      "breadth:any_shell_command",
      "breadth:interpreter",
    ]);
  });

  test("no file is a usage error", async () => {
    const result = await runCli(["lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error[missing_option]: lint needs at least one FILE");
  });
});
