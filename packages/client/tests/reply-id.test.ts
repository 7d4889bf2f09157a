// Hole 12: the SDK's respond sends a reply id per call, so that the same approver clicking in two
// tabs is told the second time that the request was already answered, while a resend is not.
import { policySource } from "@warden/rules";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createWardenClient, type WardenClient } from "../src/index.ts";

const POLL = { timeout: 150_000, interval: 100 };

let server: TestWarden;
let agent: WardenClient;
/** The same approver in two tabs: two clients, one token. */
let tabs: [WardenClient, WardenClient];

beforeAll(async () => {
  server = await startTestWarden({
    tokens: {
      "agent-token": { id: "agent-1", role: "agent", projects: ["demo"] },
      "approver-token": { id: "alice", role: "approver", projects: ["demo"] },
    },
    policy: { defaultProject: policySource({ rules: [{ tool: "Read", behavior: "allow" }] }) },
  });
  const connect = (token: string) =>
    createWardenClient({ endpoint: server.endpoint, token, project: "demo" });
  agent = connect("agent-token");
  tabs = [connect("approver-token"), connect("approver-token")];
});

afterAll(async () => {
  try {
    await Promise.race([
      Promise.all([agent?.dispose(), ...(tabs ?? []).map((tab) => tab.dispose())]),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
  } finally {
    await server?.stop();
  }
});

async function ask(sessionId: string) {
  const asking = agent
    .session(sessionId)
    .requestPermission({ toolName: "Bash", input: { command: `make ${sessionId}` } });
  await expect
    .poll(async () => (await tabs[0].session(sessionId).listPending()).length, POLL)
    .toBe(1);
  const [request] = await tabs[0].session(sessionId).listPending();
  return { asking, request: request! };
}

test("session.respond: the same approver's second click in another tab is already_resolved, by you", async () => {
  const { asking, request } = await ask("tabs-session");
  const first = await tabs[0].session("tabs-session").respond(request.permissionId, "once");
  expect(first.resolution.replyId).toMatch(/^reply_/);
  await expect(
    tabs[1].session("tabs-session").respond(request.permissionId, "once"),
  ).rejects.toMatchObject({
    name: "WardenError",
    code: "already_resolved",
    metadata: { byYou: true, resolution: { outcome: "allow" } },
  });
  // The same tab clicking again is a second click too: a new reply id.
  await expect(
    tabs[0].session("tabs-session").respond(request.permissionId, "once"),
  ).rejects.toMatchObject({ code: "already_resolved" });
  await expect(asking).resolves.toMatchObject({ behavior: "allow" });
});

test("inbox.respond: likewise, and a resend with the reply's own id gets the original answer", async () => {
  const { asking, request } = await ask("tabs-inbox");
  const first = await tabs[0].inbox().respond("tabs-inbox", request.permissionId, "reject", {
    message: "no",
  });
  await expect(
    tabs[1].inbox().respond("tabs-inbox", request.permissionId, "reject", { message: "no" }),
  ).rejects.toMatchObject({ code: "already_resolved", metadata: { byYou: true } });
  await expect(
    tabs[1].inbox().respond("tabs-inbox", request.permissionId, "reject", {
      message: "no",
      replyId: first.resolution.replyId!,
    }),
  ).resolves.toEqual(first);
  await expect(asking).resolves.toMatchObject({ behavior: "deny", reason: "rejected" });
});
