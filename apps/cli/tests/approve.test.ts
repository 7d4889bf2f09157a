import { createWardenClient, type WardenClient } from "@warden/client";
import type { TestWarden } from "@warden/server/testing";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type Approver, KEY, startApprover, startServer } from "./approver-harness.ts";

let server: TestWarden;
let agent: WardenClient;
const approvers: Approver[] = [];

beforeAll(async () => {
  server = await startServer();
  agent = createWardenClient({ endpoint: server.endpoint, token: "agent-token", project: "demo" });
}, 120_000);

afterEach(() => {
  for (const approver of approvers.splice(0)) approver.kill();
});

afterAll(async () => {
  await agent?.dispose();
  await server?.stop();
}, 60_000);

function approve(token = "alice-token"): Approver {
  const approver = startApprover(server.endpoint, token);
  approvers.push(approver);
  return approver;
}

describe("warden approve", () => {
  test("a pending request appears and 'o' allows it once", async () => {
    const approver = approve();
    await approver.waitFor("● connected");
    const decision = agent.session("once-1").requestPermission({
      toolName: "Bash",
      input: { command: "npm test" },
      action: "Run command: npm test",
    });
    await approver.waitFor("Run command: npm test");
    await approver.waitFor("keys: o once");
    console.log(approver.screen());
    approver.press("o");
    await expect(decision).resolves.toMatchObject({
      behavior: "allow",
      reason: "approved",
      input: { command: "npm test" },
    });
    await approver.waitFor("once-1 Bash: allowed once.");
    console.log(approver.screen());
    expect(await approver.quit()).toBe(0);
  }, 90_000);
});
