// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test
import { access, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { WardenRegistry } from "@warden/server";
import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createWorkspace,
  isRunning,
  REPO_DIR,
  readEnginePid,
  type ServerProcess,
  spawnServer,
  type Workspace,
} from "./server-process.ts";

/** Whether the process's entry leaves /proc in time (it is reaped); a loaded machine is slow to. */
async function waitUntilGone(pid: number, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      !(await access(`/proc/${pid}/stat`).then(
        () => true,
        () => false,
      ))
    )
      return true;
    await sleep(25);
  }
  return false;
}

const AGENT_TOKEN = "test-agent-token-0123456789";
const APPROVER_TOKEN = "test-approver-token-0123456789";
const ADMIN_TOKEN = "test-admin-token-0123456789";

/** A config using the example policy files, with a token from each source: env, file, WARDEN_TOKENS. */
async function startDemoServer(workspace: Workspace, hooks?: string) {
  const config = await workspace.writeConfig({
    policy: {
      global: join(REPO_DIR, "examples/policies/global.yaml"),
      projects: { demo: join(REPO_DIR, "examples/policies/dev.yaml") },
    },
    tokens: {
      "${TEST_AGENT_TOKEN}": { id: "agent-1", role: "agent", projects: ["demo"] },
      [APPROVER_TOKEN]: { id: "alice", role: "approver", projects: ["demo"] },
    },
    ...(hooks ? { hooks, hookBudgetMs: 1_000 } : {}),
  });
  const server = spawnServer(["--config", config], {
    pidFile: join(workspace.dir, "server.pid"),
    env: {
      TEST_AGENT_TOKEN: AGENT_TOKEN,
      WARDEN_TOKENS: JSON.stringify({
        [ADMIN_TOKEN]: { id: "root", role: "admin", projects: "*" },
      }),
    },
  });
  const line = await server.waitFor(/listening on/);
  return { server, line };
}

describe("a server started from a config file", () => {
  let workspace: Workspace;
  let server: ServerProcess;
  let line: string;
  let client: ReturnType<typeof createClient<WardenRegistry>>;
  const session = (token: string, sessionId: string) =>
    client.permissionSession.getOrCreate(["demo", sessionId], { params: { token } });
  const bash = (requestId: string, command: string, waitMs = 0) => ({
    requestId,
    toolName: "Bash",
    input: { command },
    waitMs,
  });

  beforeAll(async () => {
    workspace = await createWorkspace();
    ({ server, line } = await startDemoServer(
      workspace,
      join(import.meta.dirname, "fixtures/hook.ts"),
    ));
    client = createClient<WardenRegistry>(`http://127.0.0.1:${workspace.port}`);
  });

  afterAll(async () => {
    await client?.dispose();
    await workspace?.remove();
  });

  test("the start line names the endpoint, storage, projects, tokens per role and hook", () => {
    expect(line).toContain(`listening on http://127.0.0.1:${workspace.port}`);
    expect(line).toContain(`storage ${workspace.storage}`);
    expect(line).toContain("projects: demo");
    expect(line).toContain("tokens: 1 agent, 1 approver, 1 admin");
    expect(line).toContain("hook: ");
    expect(line).not.toContain("DEV");
    expect(server.stdout()).not.toContain(AGENT_TOKEN);
  });

  test("a call the project file allows is allowed", async () => {
    await expect(
      session(AGENT_TOKEN, "s-allow").requestPermission(bash("r1", "npm test")),
    ).resolves.toMatchObject({
      status: "decided",
      decision: { behavior: "allow", reason: "rule", input: { command: "npm test" } },
    });
  });

  test("a call the global file denies is denied, naming the global rule", async () => {
    const agent = session(AGENT_TOKEN, "s-deny");
    const outcome = await agent.requestPermission(bash("r2", "sudo ls"));
    expect(outcome).toMatchObject({
      status: "decided",
      decision: {
        behavior: "deny",
        reason: "rule",
        message: "Privilege escalation is not allowed for agents.",
      },
    });
    const stored = await agent.getRequest(outcome.permissionId);
    expect(stored.resolution?.decidedBy).toMatchObject({
      kind: "policy",
      rule: { tier: "global", pattern: "Bash(sudo *)" },
    });
  });

  test("an ask goes to the approver, whose reply allows the call", async () => {
    const agent = session(AGENT_TOKEN, "s-ask");
    const pending = await agent.requestPermission(bash("r3", "make deploy"));
    expect(pending.status).toBe("pending");
    const approver = session(APPROVER_TOKEN, "s-ask");
    const [listed] = await approver.listPending();
    expect(listed).toMatchObject({ permissionId: pending.permissionId, requestedBy: "agent-1" });
    await approver.respondPermission("s-ask", pending.permissionId, "once");
    await expect(agent.waitForDecision("r3")).resolves.toMatchObject({
      status: "decided",
      decision: { behavior: "allow", reason: "approved" },
    });
  });

  test("the agent token may not answer, and an unknown token is refused", async () => {
    const agent = session(AGENT_TOKEN, "s-roles");
    const pending = await agent.requestPermission(bash("r4", "make"));
    await expect(
      agent.respondPermission("s-roles", pending.permissionId, "once"),
    ).rejects.toMatchObject({ code: "forbidden" });
    await expect(
      session("not-a-token", "s-roles").requestPermission(bash("r5", "ls")),
    ).rejects.toMatchObject({ code: "unauthorized" });
  });

  test("the engine's API answers nothing without its admin token; the token stays in the storage dir", async () => {
    const base = `http://127.0.0.1:${workspace.port}`;
    for (const path of [
      "/actors?namespace=default&name=permissionSession",
      "/actors/names?namespace=default",
      "/namespaces",
    ]) {
      const response = await fetch(`${base}${path}`);
      expect([401, 403], path).toContain(response.status);
    }
    const token = (await readFile(join(workspace.storage, "engine-admin-token"), "utf8")).trim();
    expect((await stat(join(workspace.storage, "engine-admin-token"))).mode & 0o077).toBe(0);
    const listed = await fetch(`${base}/namespaces`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(listed.status).toBe(200);
  });

  test("the admin token from WARDEN_TOKENS works", async () => {
    const rules = await session(ADMIN_TOKEN, "s-allow").listRules();
    expect(rules.rules).toEqual([]);
  });

  test("the hook module is loaded and answers before humans", async () => {
    const agent = session(AGENT_TOKEN, "s-hook");
    await expect(agent.requestPermission(bash("h1", "echo hook-approve"))).resolves.toMatchObject({
      decision: { behavior: "allow", reason: "hook" },
    });
    await expect(agent.requestPermission(bash("h2", "echo hook-reject"))).resolves.toMatchObject({
      decision: { behavior: "deny", message: "fixture hook rejected h2 in demo" },
    });
    await expect(agent.requestPermission(bash("h3", "echo other"))).resolves.toMatchObject({
      status: "pending",
    });
  });
});

test("SIGTERM stops the server and the engine it spawned, exit code 0", async () => {
  const workspace = await createWorkspace();
  try {
    const { server } = await startDemoServer(workspace);
    const enginePid = await readEnginePid(workspace.storage);
    expect(enginePid).toBeTypeOf("number");
    expect(await isRunning(enginePid!)).toBe(true);

    server.child.kill("SIGTERM");
    await expect(server.exited).resolves.toBe(0);
    expect(server.stdout()).toContain("warden: stopped");
    // Not even a zombie: the process is gone once its parent, the server, has exited.
    expect(await isRunning(enginePid!)).toBe(false);
    await expect(waitUntilGone(enginePid!)).resolves.toBe(true);
  } finally {
    await workspace.remove();
  }
});
