import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MALFORMED_PATTERNS } from "@warden/rules/cases";
import { describe, expect, test } from "vitest";
import { runCli, spawnCli } from "./cli.ts";

const dir = mkdtempSync(join(tmpdir(), "warden-cli-grammar-"));
const writePolicy = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

// `  - tool: ` puts a rule's pattern at column 11; rule i is on line 3 + 2i.
const RULES_START = 3;
const PATTERN_COLUMN = 11;
const policyOf = (patterns: readonly string[], behavior = "deny") =>
  `default_behavior: allow\nrules:\n${patterns.map((p) => `  - tool: ${p}\n    behavior: ${behavior}\n`).join("")}`;

describe("malformed patterns through the real CLI", () => {
  test("`warden lint` reports every one as an error at file:line:col with its hint", async () => {
    const file = writePolicy("malformed.yaml", policyOf(MALFORMED_PATTERNS.map((c) => c.pattern)));
    const result = await spawnCli(["lint", file]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(`1 file, ${MALFORMED_PATTERNS.length} errors, 0 warnings`);
    MALFORMED_PATTERNS.forEach((malformed, index) => {
      const at = `${file}:${RULES_START + 2 * index}:${PATTERN_COLUMN + malformed.column - 1}`;
      const line = lines.find((l) => l.startsWith(`${at}: error[`));
      expect(line, `${malformed.pattern} at ${at}\n${result.stdout}`).toBeDefined();
      expect(line).toContain(`rule ${index}: `);
      expect(line).toContain(malformed.message);
    });
  });

  test.concurrent.each(MALFORMED_PATTERNS.map((c, i) => [c.pattern, c, i] as const))(
    "`warden check` refuses %s with the located error",
    async (_name, malformed, index) => {
      const file = writePolicy(`check-${index}.yaml`, policyOf([malformed.pattern]));
      const result = await runCli(["check", "--policy", file, "--tool", "Bash", "--input", "{}"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        `${file}:${RULES_START}:${PATTERN_COLUMN + malformed.column - 1}: error[`,
      );
      expect(result.stderr).toContain(malformed.message);
    },
  );

  test("`warden check` (a real process) refuses the single-quoted deny instead of allowing rm", async () => {
    const file = writePolicy("single-quoted.yaml", policyOf(["Bash(command ~ 'rm *')"]));
    const result = await spawnCli([
      "check",
      "--policy",
      file,
      "--tool",
      "Bash",
      "--input",
      JSON.stringify({ command: "rm -rf /" }),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `warden check: ${file}:3:26: error[invalid_pattern]: rule 0: single quotes do not quote a value; use double quotes: command ~ "rm *"\n`,
    );
  });
});

describe("primary globs that hold an operator", () => {
  test("lint warns at the operator; quoted, escaped and home-path ones are not warned", async () => {
    const file = writePolicy(
      "operators.yaml",
      policyOf(
        [
          "Bash(npm --loglevel=silent test)",
          'Bash(git commit -m "a = b")',
          "Bash(FOO\\=bar npm test)",
          "Read(~/.ssh/**)",
          "Bash(echo x ~y)",
        ],
        "ask",
      ),
    );
    const result = await spawnCli(["lint", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `${file}:3:30: warning[operator_in_glob]: Bash(npm --loglevel=silent test) — the glob npm --loglevel=silent test has '=' outside quotes and matches it as text; for a condition write command = "…", for a literal '=' write \\=`,
        `${file}:11:23: warning[operator_in_glob]: Bash(echo x ~y) — the glob echo x ~y has '~' outside quotes and matches it as text; for a condition write command ~ "…", for a literal '~' write \\~`,
        "1 file, 0 errors, 2 warnings",
        "",
      ].join("\n"),
    );
  });

  test('`Bash(git commit -m "a = b")` stays a glob and allows exactly that command', async () => {
    const file = writePolicy("commit.yaml", policyOf(['Bash(git commit -m "a = b")'], "allow"));
    const input = (command: string) => ["--input", JSON.stringify({ command })];
    const base = ["check", "--policy", file, "--tool", "Bash", "--json"];
    const same = await runCli([...base, ...input('git commit -m "a = b"')]);
    const other = await runCli([...base, ...input('git commit -m "a = c"')]);
    expect(JSON.parse(same.stdout)).toMatchObject({ decision: "allow" });
    expect(JSON.parse(other.stdout)).toMatchObject({ decision: "allow", reason: "default" });
  });
});

describe("~ when the session's home is unknown", () => {
  const file = () =>
    writePolicy(
      "home.yaml",
      'default_behavior: allow\nrules:\n  - tool: Read(file_path ~ "~/.ssh/**")\n    behavior: deny\n  - tool: Edit(~/notes/**)\n    behavior: allow\n',
    );

  test("check denies a home-like path and says why in the explanation", async () => {
    const policy = file();
    const args = ["check", "--policy", policy, "--tool", "Read", "--input"];
    const text = await runCli([...args, JSON.stringify({ file_path: "/Users/ann/.ssh/id_rsa" })]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^deny — Read\(file_path ~ "~\/\.ssh\/\*\*"\)/);
    expect(text.stdout).toContain(
      "note:     the session's home is unknown: deny and ask rules with ~ match under any home-like directory",
    );
    const known = await runCli([
      ...args,
      JSON.stringify({ file_path: "/Users/ann/.ssh/id_rsa" }),
      "--home",
      "/home/bob",
      "--json",
    ]);
    expect(JSON.parse(known.stdout)).toMatchObject({ decision: "allow", reason: "default" });
    expect(JSON.parse(known.stdout).notes).toBeUndefined();
  });

  test("an allow rule with ~ matches nothing until the home is known", async () => {
    const policy = file();
    const args = ["check", "--policy", policy, "--tool", "Edit", "--json", "--input"];
    const input = JSON.stringify({ file_path: "/home/bob/notes/a.md" });
    const unknown = JSON.parse((await runCli([...args, input])).stdout);
    expect(unknown).toMatchObject({ decision: "allow", reason: "default" });
    expect(unknown.trace).toEqual([expect.objectContaining({ behavior: "allow", matches: false })]);
    expect(unknown.notes).toHaveLength(1);
    const known = JSON.parse((await runCli([...args, input, "--home", "/home/bob"])).stdout);
    expect(known).toMatchObject({ decision: "allow", reason: "rule" });
  });
});
