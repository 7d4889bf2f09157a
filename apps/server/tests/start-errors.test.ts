// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test
import { createServer } from "node:net";
import { relative } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { APP_DIR, createWorkspace, runServer, type Workspace } from "./server-process.ts";

// None of these starts an engine: the config, policy files and hook are checked first.
let workspace: Workspace;
const agent = { id: "agent-1", role: "agent", projects: ["demo"] };

beforeAll(async () => {
  workspace = await createWorkspace();
});

afterAll(async () => {
  await workspace?.remove();
});

describe("the server refuses to start", () => {
  test("on a policy file with a bad regex, naming the file:line:col of the fault", async () => {
    const policy = await workspace.writeFile(
      "bad-policy.yaml",
      "rules:\n  - tool: Bash(npm test)\n    behavior: allow\n  - tool: 'Bash(command =~ \"(unclosed\")'\n    behavior: deny\n",
    );
    const config = await workspace.writeConfig({
      policy: { projects: { demo: "./bad-policy.yaml" } },
      tokens: { "some-agent-token-0123456789": agent },
    });
    const { code, stdout, stderr } = await runServer(["--config", config]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${relative(APP_DIR, policy)}:4:29`);
    expect(stderr).toContain("invalid regex");
    expect(stdout).not.toContain("listening");
  });

  test("with a weak token outside WARDEN_DEV, naming its principal but not its value", async () => {
    const config = await workspace.writeConfig({ tokens: { "agent-123": agent } });
    const { code, stdout, stderr } = await runServer(["--config", config]);
    expect(code).toBe(1);
    expect(stderr).toContain('the token of "agent-1" (from config file) is too weak');
    expect(stderr).not.toContain("agent-123");
    expect(stdout).not.toContain("listening");
  });

  test("without any token", async () => {
    const config = await workspace.writeConfig({ policy: {} });
    const { code, stderr } = await runServer(["--config", config]);
    expect(code).toBe(1);
    expect(stderr).toContain("no tokens configured");
  });

  test("when a token's environment variable is unset, even if it has a dev default", async () => {
    const config = await workspace.writeConfig({
      tokens: { "${DEMO_AGENT_TOKEN:-dev-agent-token}": agent },
    });
    const { code, stderr } = await runServer(["--config", config]);
    expect(code).toBe(1);
    expect(stderr).toContain("DEMO_AGENT_TOKEN is not set");
    expect(stderr).toContain("WARDEN_DEV=1");
  });

  test("when another program holds the engine's port", async () => {
    const squatter = createServer();
    await new Promise<void>((done) => squatter.listen(workspace.port + 1, "127.0.0.1", done));
    try {
      const config = await workspace.writeConfig({
        tokens: { "some-agent-token-0123456789": agent },
      });
      const { code, stderr } = await runServer(["--config", config]);
      expect(code).toBe(1);
      expect(stderr).toContain(`port ${workspace.port + 1} on 127.0.0.1 is in use`);
    } finally {
      squatter.close();
    }
  });

  test("when the hook module exports no function", async () => {
    const hook = await workspace.writeFile("no-hook.ts", "export const answer = 42;\n");
    const config = await workspace.writeConfig({
      tokens: { "some-agent-token-0123456789": agent },
      hooks: hook,
    });
    const { code, stderr } = await runServer(["--config", config]);
    expect(code).toBe(1);
    expect(stderr).toContain("must export a function named onPermissionRequest");
  });
});

describe("--print-config", () => {
  test("prints the effective config with token values redacted", async () => {
    const config = await workspace.writeConfig({
      tokens: {
        "${DEMO_AGENT_TOKEN}": agent,
        "literal-approver-token-123": { ...agent, id: "alice", role: "approver" },
      },
    });
    const { code, stdout } = await runServer(["--config", config, "--print-config"], {
      DEMO_AGENT_TOKEN: "secret-from-env-0123456789",
    });
    expect(code).toBe(0);
    expect(stdout).not.toContain("secret-from-env-0123456789");
    expect(stdout).not.toContain("literal-approver-token-123");
    const printed = JSON.parse(stdout);
    expect(printed).toMatchObject({
      port: workspace.port,
      storage: workspace.storage,
      tokens: [
        { token: "<redacted: $DEMO_AGENT_TOKEN>", id: "agent-1", role: "agent" },
        { token: "<redacted: config file>", id: "alice", role: "approver" },
      ],
    });
  });

  test("shows the dev default tokens in use under WARDEN_DEV=1", async () => {
    const config = await workspace.writeConfig({
      tokens: { "${DEMO_AGENT_TOKEN:-dev-agent-token}": agent },
    });
    const { code, stdout } = await runServer(["--config", config, "--print-config"], {
      WARDEN_DEV: "1",
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      dev: true,
      tokens: [{ token: "dev-agent-token (dev default)", id: "agent-1" }],
    });
  });
});

test("the sample warden.config.yaml is valid, with the dev tokens only under WARDEN_DEV=1", async () => {
  const sample = ["--config", "warden.config.yaml", "--print-config"];
  const dev = await runServer(sample, { WARDEN_DEV: "1" });
  expect(dev.code).toBe(0);
  expect(JSON.parse(dev.stdout).tokens).toHaveLength(3);
  const production = await runServer(sample);
  expect(production.code).toBe(1);
  expect(production.stderr).toContain("WARDEN_AGENT_TOKEN is not set");
});
