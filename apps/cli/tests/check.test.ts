import { describe, expect, test } from "vitest";
import { runCli } from "./cli.ts";
import { absoluteFixture, fixture, positionOf } from "./fixtures.ts";

const npmTest = JSON.stringify({ command: "npm test" });

describe("warden check", () => {
  test("names the deciding rule, its tier and its file:line:col, then explains", async () => {
    const { line, column } = positionOf("clean.yaml", "Bash(npm test)");
    const result = await runCli([
      "check",
      "--policy",
      fixture("clean.yaml"),
      "--tool",
      "Bash",
      "--input",
      npmTest,
    ]);
    expect(result.code).toBe(0);
    const [headline, blank, ...explanation] = result.stdout.trimEnd().split("\n");
    expect(headline).toBe(
      `allow — Bash(npm test) [project tier] ${absoluteFixture("clean.yaml")}:${line}:${column}`,
    );
    expect(blank).toBe("");
    expect(explanation).toContain("decision: allow (rule)");
    expect(explanation).toContain("why:      Allowed by rule Bash(npm test) (project tier).");
    expect(explanation).toContain("=> [project:0] allow Bash(npm test)");
  });

  test("a global deny beats a project allow; a deny still exits 0", async () => {
    const result = await runCli([
      "check",
      "--global",
      fixture("global.yaml"),
      "--project",
      fixture("clean.yaml"),
      "--tool",
      "Bash",
      "--input",
      JSON.stringify({ command: "git push origin main" }),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^deny — Bash\(git push \*\) \[global tier\] /);
    expect(result.stdout).toContain("why:      Pushing is for people.");
  });

  test("--json prints the decision, the located rule and the trace", async () => {
    const { line, column } = positionOf("clean.yaml", "Bash(rm *)");
    const result = await runCli([
      "check",
      "--policy",
      fixture("clean.yaml"),
      "--tool",
      "Bash",
      "--input",
      JSON.stringify({ command: "npm test && rm -rf build" }),
      "--json",
    ]);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      decision: "deny",
      reason: "rule",
      tier: "project",
      message: "Deleting files is not allowed.",
      rule: {
        pattern: "Bash(rm *)",
        tier: "project",
        file: absoluteFixture("clean.yaml"),
        line,
        column,
      },
    });
    expect(output.trace.find((t: { decided: boolean }) => t.decided).pattern).toBe("Bash(rm *)");
    expect(output.shell.commands.map((c: { text: string }) => c.text)).toEqual([
      "npm test",
      "rm -rf build",
    ]);
  });

  test("no matching rule reports the default", async () => {
    const result = await runCli(["check", "--policy", fixture("clean.json"), "--tool", "WebFetch"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ask — no rule decided \(default\)\n/);
  });

  test("--cwd resolves a relative path against the session's directory", async () => {
    const edit = ["check", "--policy", fixture("clean.yaml"), "--tool", "Edit", "--input"];
    const inside = await runCli([
      ...edit,
      JSON.stringify({ file_path: "/repo/src/app.ts" }),
      "--cwd",
      "/repo",
      "--json",
    ]);
    const outside = await runCli([
      ...edit,
      JSON.stringify({ file_path: "/repo/src/app.ts" }),
      "--json",
    ]);
    expect(JSON.parse(inside.stdout).decision).toBe("allow");
    expect(JSON.parse(outside.stdout).decision).toBe("ask");
  });

  test("bad --input JSON is a usage error with a clear message", async () => {
    const result = await runCli([
      "check",
      "--policy",
      fixture("clean.yaml"),
      "--tool",
      "Bash",
      "--input",
      "{command:",
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^warden check: error\[invalid_json\]: --input is not valid JSON: /,
    );
    expect(result.stderr).toContain("Run 'warden check --help' for usage.");
  });

  test("--input that is not an object is a usage error", async () => {
    const result = await runCli([
      "check",
      "--policy",
      fixture("clean.yaml"),
      "--tool",
      "Bash",
      "--input",
      '["ls"]',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error[invalid_input]: --input must be a JSON object");
  });

  test("missing --tool, missing policy and --policy with --project are usage errors", async () => {
    const noTool = await runCli(["check", "--policy", fixture("clean.yaml")]);
    const noPolicy = await runCli(["check", "--tool", "Bash"]);
    const both = await runCli([
      "check",
      "--policy",
      fixture("clean.yaml"),
      "--project",
      fixture("clean.json"),
      "--tool",
      "X",
    ]);
    expect([noTool.code, noPolicy.code, both.code]).toEqual([2, 2, 2]);
    expect(noTool.stderr).toContain("error[missing_option]: --tool is required");
    expect(noPolicy.stderr).toContain("error[missing_option]: give a policy");
    expect(both.stderr).toContain("error[invalid_option]: --policy is an alias of --project");
  });

  test("a policy that does not load exits 1 with the located error", async () => {
    const { line, column } = positionOf("bad-pattern.yaml", "Bash(npm *");
    const at = `${absoluteFixture("bad-pattern.yaml")}:${line}:${column + "Bash(npm *".length}`;
    const text = await runCli(["check", "--policy", fixture("bad-pattern.yaml"), "--tool", "Bash"]);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe(
      `warden check: ${at}: error[invalid_pattern]: rule 1: expected ')' to close the argument pattern\n`,
    );

    const json = await runCli([
      "check",
      "--policy",
      fixture("bad-pattern.yaml"),
      "--tool",
      "Bash",
      "--json",
    ]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "invalid_pattern", line, rule: 1 });
  });

  test("a missing policy file exits 1", async () => {
    const result = await runCli([
      "check",
      "--policy",
      "tests/fixtures/missing.yaml",
      "--tool",
      "Bash",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "error[unreadable_file]: cannot read tests/fixtures/missing.yaml (ENOENT)",
    );
  });
});
