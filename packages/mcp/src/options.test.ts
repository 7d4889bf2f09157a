import { expect, test } from "vitest";
import { readOptions, UsageError } from "./options.ts";

const env = { WARDEN_TOKEN: "t", WARDEN_PROJECT: "demo" };

test("everything after -- is the server's command line, flags included", () => {
  const options = readOptions(
    ["--session", "s1", "--", "npx", "-y", "server", "--root", "/r"],
    env,
    "/repo",
  );
  expect(options).toMatchObject({
    mode: "stdio",
    project: "demo",
    session: "s1",
    command: "npx",
    args: ["-y", "server", "--root", "/r"],
    cwd: "/repo",
    token: "t",
    hideDenied: false,
    fastPath: "on",
    progressMs: 5_000,
  });
});

test("--listen and --upstream make an HTTP gateway", () => {
  const options = readOptions(
    [
      "-p",
      "x",
      "--listen",
      "127.0.0.1:0",
      "--upstream",
      "https://mcp.example.com/mcp",
      "--pass-header",
      "X-Api-Key",
    ],
    env,
    "/",
  );
  expect(options).toMatchObject({
    mode: "http",
    project: "x",
    listen: { host: "127.0.0.1", port: 0 },
    passHeaders: ["X-Api-Key"],
  });
});

test("--listen with a port only listens on loopback; --allow-host and the HTTP limits are read", () => {
  const options = readOptions(
    [
      "--listen",
      "7333",
      "--upstream",
      "http://u/mcp",
      "--allow-host",
      "gw.internal",
      "--max-sessions",
      "5",
      "--idle-close-ms",
      "1500",
      "--max-connections",
      "7",
      "--max-requests",
      "9",
    ],
    env,
    "/",
  );
  expect(options).toMatchObject({
    listen: { host: "127.0.0.1", port: 7333 },
    allowHosts: ["gw.internal"],
    maxSessions: 5,
    idleCloseMs: 1500,
    maxConnections: 7,
    maxRequests: 9,
  });
  expect(readOptions(["--listen", "1", "--upstream", "http://u/mcp"], env, "/")).toMatchObject({
    maxSessions: 64,
    idleCloseMs: 30 * 60_000,
    maxConnections: 256,
    maxRequests: 256,
  });
});

test.each([
  [[], /expected -- <command>/],
  [["--listen", "1", "--upstream", "http://u/mcp", "--max-requests", "0"], /--max-requests/],
  [["--listen", "1", "--upstream", "http://u/mcp", "--idle-close-ms", "x"], /--idle-close-ms/],
  [
    ["--endpoint", "http://agent:secret@127.0.0.1:6420", "--", "x"],
    /--endpoint: must not carry credentials/,
  ],
  [
    ["--listen", "1", "--upstream", "https://u:secret@mcp.example.com/mcp"],
    /--upstream: must not carry/,
  ],
  [["--listen", "7333", "--upstream", "http://u/mcp", "--allow-host", "a:1"], /--allow-hosts/],
  [["--listen", "7333", "--upstream", "http://u/mcp", "--max-sessions", "0"], /--max-sessions/],
  [["--listen", "127.0.0.1:1", "--upstream", "http://u/mcp", "--", "x"], /not both/],
  [["--listen", "nope", "--upstream", "http://u/mcp"], /--listen: expected HOST:PORT/],
  [["--listen", "127.0.0.1:1", "--upstream", "ftp://u"], /--upstream/],
  [["--project", "bad project", "--", "x"], /--project/],
  [["--fast-path", "sometimes", "--", "x"], /--fast-path/],
  [["--bogus", "--", "x"], /bogus/],
  [
    ["--pass-header", "bad header", "--listen", "127.0.0.1:1", "--upstream", "http://u/mcp"],
    /--pass-headers/,
  ],
] as const)("usage error for %j", (argv, message) => {
  expect(() => readOptions(argv, env, "/")).toThrow(UsageError);
  expect(() => readOptions(argv, env, "/")).toThrow(message);
});

test("a usage error about a URL with credentials does not quote them", () => {
  expect(() =>
    readOptions(["--endpoint", "http://agent:s3cret-token@127.0.0.1:6420", "--", "x"], env, "/"),
  ).toThrow(expect.objectContaining({ message: expect.not.stringContaining("s3cret") }));
});

test("a missing token is a usage error naming where to set it", () => {
  expect(() => readOptions(["-p", "x", "--", "srv"], {}, "/")).toThrow(/WARDEN_TOKEN/);
});
