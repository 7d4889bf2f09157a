import { describe, expect, test } from "vitest";
import { readApproveOptions } from "../src/commands/approve.ts";
import { runCli } from "./cli.ts";

describe("warden approve options", () => {
  test("flags win over the environment; the endpoint defaults to the local server", () => {
    expect(
      readApproveOptions(
        { project: "demo", token: "t1" },
        { WARDEN_PROJECT: "other", WARDEN_TOKEN: "t2", EDITOR: "vim" },
      ),
    ).toEqual({ project: "demo", token: "t1", endpoint: "http://127.0.0.1:6420", editor: "vim" });
    expect(
      readApproveOptions(
        {},
        { WARDEN_PROJECT: "p", WARDEN_TOKEN: "t", WARDEN_ENDPOINT: "https://w.example" },
      ),
    ).toMatchObject({ project: "p", token: "t", endpoint: "https://w.example" });
  });

  test.each([
    [[], {}, "missing_option", "--project or WARDEN_PROJECT is required"],
    [["-p", "demo"], {}, "missing_option", "--token or WARDEN_TOKEN is required"],
    [
      ["-p", "bad id!", "--token", "t"],
      {},
      "invalid_option",
      "--project or WARDEN_PROJECT: may contain",
    ],
    [
      ["-p", "demo", "--token", "t", "--endpoint", "ftp://x"],
      {},
      "invalid_option",
      "expected an http(s) URL",
    ],
  ] as const)("%j is a usage error", async (argv, _env, code, message) => {
    const saved = { ...process.env };
    for (const name of ["WARDEN_PROJECT", "WARDEN_TOKEN", "WARDEN_ENDPOINT"])
      delete process.env[name];
    try {
      const result = await runCli(["approve", ...argv]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`warden approve: error[${code}]:`);
      expect(result.stderr).toContain(message);
    } finally {
      process.env = saved;
    }
  });

  test("without a terminal it says so and exits 2", async () => {
    const result = await runCli(["approve", "-p", "demo", "--token", "t"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "error[not_a_terminal]: warden approve needs an interactive terminal",
    );
  });
});
