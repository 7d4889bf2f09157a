import { describe, expect, test } from "vitest";
import { runCli } from "./cli.ts";

describe("warden --help", () => {
  test("--help lists every command and exits 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: warden <command>/);
    for (const name of ["check", "lint", "eval", "approve"])
      expect(result.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  test.each(["check", "lint", "eval", "approve"])(
    "%s --help and help %s print the command's usage",
    async (name) => {
      const flag = await runCli([name, "--help"]);
      const word = await runCli(["help", name]);
      expect(flag.code).toBe(0);
      expect(flag.stdout).toMatch(new RegExp(`^Usage: warden ${name} `));
      expect(word).toEqual(flag);
    },
  );

  test("no command prints the usage to stderr and exits 2", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^Usage: warden <command>/);
  });

  test("an unknown command or option is a usage error", async () => {
    const command = await runCli(["frobnicate"]);
    const option = await runCli(["lint", "--fix", "x.yaml"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain(
      "warden: error[unknown_command]: unknown command 'frobnicate'",
    );
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("warden lint: error[invalid_option]: Unknown option '--fix'");
  });
});
