import { homedir } from "node:os";
import { policySource } from "@warden/rules";
import type { WardenRegistry } from "@warden/server";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from "vitest";
import {
  type AgentDecision,
  createWardenClient,
  type PermissionRequest,
  type WardenClient,
} from "../src/index.ts";

// Under load the engine sometimes takes 30 s to create an actor (pegboard_actor_create timed out),
// more than once in a row; the SDK retries, and the polls allow for it.
const POLL = { timeout: 150_000, interval: 100 };

let server: TestWarden;
let agent: WardenClient;
let approver: WardenClient;
let approver2: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({
    tokens: {
      "agent-token": { id: "agent-1", role: "agent", projects: ["demo"] },
      "approver-token": { id: "alice", role: "approver", projects: ["demo"] },
      "approver2-token": { id: "bob", role: "approver", projects: ["demo"] },
      "admin-token": { id: "root", role: "admin", projects: "*" },
    },
    policy: {
      defaultProject: policySource({
        rules: [
          { tool: "Read", behavior: "allow" },
          { tool: "Bash(rm *)", behavior: "deny", message: "No deleting." },
        ],
      }),
    },
  });
  agent = createWardenClient({ endpoint: server.endpoint, token: "agent-token", project: "demo" });
  approver = createWardenClient({
    endpoint: server.endpoint,
    token: "approver-token",
    project: "demo",
  });
  approver2 = createWardenClient({
    endpoint: server.endpoint,
    token: "approver2-token",
    project: "demo",
  });
});

afterAll(async () => {
  try {
    await Promise.race([
      Promise.all([agent?.dispose(), approver?.dispose(), approver2?.dispose()]),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
  } finally {
    await server?.stop();
  }
});

describe("agent side", () => {
  test("rules answer at once", async () => {
    const session = agent.session("c-rules");
    await expect(
      session.requestPermission({ toolName: "Read", input: { file_path: "a" } }),
    ).resolves.toMatchObject({
      behavior: "allow",
      input: { file_path: "a" },
    });
    await expect(
      session.requestPermission({ toolName: "Bash", input: { command: "rm -rf /" } }),
    ).resolves.toEqual({
      behavior: "deny",
      message: "No deleting.",
      reason: "rule",
    });
  });

  test("a session tells the server this process's cwd and home", async () => {
    await agent
      .session("c-place")
      .requestPermission({ toolName: "Read", input: { file_path: "a" } });
    const raw = createClient<WardenRegistry>(server.endpoint);
    try {
      const { context } = await raw.permissionSession
        .getOrCreate(["demo", "c-place"], { params: { token: "admin-token" } })
        .getPolicy();
      expect(context).toMatchObject({ cwd: process.cwd(), home: homedir() });
    } finally {
      await raw.dispose();
    }
  });

  test("an ask waits for a human, who can edit the input", async () => {
    const watcher = approver.session("c-ask");
    const seen: PermissionRequest[] = [];
    const unsubscribe = await watcher.subscribe({
      onRequest: (request) => {
        seen.push(request);
        void watcher.respond(request.permissionId, "once", {
          updatedInput: { command: "npm test -- --run" },
        });
      },
    });
    const decision = await agent
      .session("c-ask")
      .requestPermission({ toolName: "Bash", input: { command: "npm test" } });
    expect(decision).toMatchObject({
      behavior: "allow",
      input: { command: "npm test -- --run" },
      reason: "approved",
    });
    expect(seen).toHaveLength(1);
    unsubscribe();
  });

  test.each([
    ["larger than the server takes", { command: "x".repeat(300 * 1024) }],
    [
      "nested deeper than the server takes",
      { value: JSON.parse(`${"[".repeat(40)}${"]".repeat(40)}`) },
    ],
  ])("an input %s is refused by the SDK with invalid_input, never sent", async (_name, input) => {
    // Nothing listens at this endpoint: a call the SDK sent would fail `unavailable` once its
    // short deadline passed. Sent to a server, a message past RivetKit's limit failed at the
    // transport like a dropped connection and was retried until the deadline.
    const offline = createWardenClient({
      endpoint: "http://127.0.0.1:9",
      token: "agent-token",
      project: "demo",
      retry: { deadlineMs: 1_000 },
    });
    try {
      await expect(
        offline.session("too-much").requestPermission({ toolName: "Bash", input }),
      ).rejects.toMatchObject({ code: "invalid_input" });
    } finally {
      await offline.dispose();
    }
  });

  test("an aborted signal cancels the request on the server", async () => {
    const controller = new AbortController();
    const asking = agent.session("c-abort").requestPermission({
      toolName: "Bash",
      input: { command: "make" },
      requestId: "ab-1",
      signal: controller.signal,
    });
    await expect
      .poll(async () => (await approver.session("c-abort").listPending()).length, POLL)
      .toBe(1);
    controller.abort();
    await expect(asking).resolves.toMatchObject({ behavior: "deny", reason: "cancelled" });
    const history = await approver.session("c-abort").getHistory();
    expect(history.entries[0]).toMatchObject({
      requestId: "ab-1",
      resolution: { reason: "cancelled" },
    });
  });
});

describe("approver side", () => {
  test("a late subscriber first gets every pending request, then resolutions made elsewhere", async () => {
    const session = agent.session("c-late");
    const asks = ["make a", "make b"].map((command, i) =>
      session.requestPermission({ toolName: "Bash", input: { command }, requestId: `late-${i}` }),
    );
    await expect
      .poll(async () => (await approver.session("c-late").listPending()).length, POLL)
      .toBe(2);

    const requests: PermissionRequest[] = [];
    const resolvedIds: string[] = [];
    const unsubscribe = await approver2.session("c-late").subscribe({
      onRequest: (request) => requests.push(request),
      onResolved: (event) => resolvedIds.push(event.permissionId),
    });
    expect(requests.map((r) => r.input.command).sort()).toEqual(["make a", "make b"]);
    const byCommand = (command: string) => requests.find((r) => r.input.command === command)!;

    await approver
      .session("c-late")
      .respond(byCommand("make a").permissionId, "reject", { message: "no" });
    await expect.poll(() => resolvedIds, POLL).toEqual([byCommand("make a").permissionId]);
    await approver.session("c-late").respond(byCommand("make b").permissionId, "once");
    await expect(Promise.all(asks)).resolves.toMatchObject([
      { behavior: "deny", reason: "rejected" },
      { behavior: "allow" },
    ]);
    unsubscribe();
  });

  test("a second reply gets a typed already_resolved error carrying the outcome", async () => {
    const asking = agent
      .session("c-twice")
      .requestPermission({ toolName: "Bash", input: { command: "make" } });
    await expect
      .poll(async () => (await approver.session("c-twice").listPending()).length, POLL)
      .toBe(1);
    const [request] = await approver.session("c-twice").listPending();
    await approver.session("c-twice").respond(request!.permissionId, "once");
    await expect(
      approver2.session("c-twice").respond(request!.permissionId, "reject"),
    ).rejects.toMatchObject({
      name: "WardenError",
      code: "already_resolved",
      metadata: { resolution: { outcome: "allow" } },
    });
    await asking;
  });

  test("an agent token cannot answer: forbidden", async () => {
    const asking = agent
      .session("c-forbid")
      .requestPermission({ toolName: "Bash", input: { command: "make" } });
    await expect
      .poll(async () => (await approver.session("c-forbid").listPending()).length, POLL)
      .toBe(1);
    const [request] = await approver.session("c-forbid").listPending();
    await expect(
      agent.session("c-forbid").respond(request!.permissionId, "once"),
    ).rejects.toMatchObject({ code: "forbidden" });
    await approver.session("c-forbid").respond(request!.permissionId, "reject");
    await asking;
  });
});

test("a token that may not reach the project fails with forbidden", async () => {
  const stranger = createWardenClient({
    endpoint: server.endpoint,
    token: "agent-token",
    project: "elsewhere",
  });
  try {
    await expect(
      stranger
        .session("c-stranger")
        .requestPermission({ toolName: "Read", input: { file_path: "a" } }),
    ).rejects.toMatchObject({ name: "WardenError", code: "forbidden" });
  } finally {
    await stranger.dispose();
  }
});

test("types flow from the server's registry", () => {
  const session = agent.session("c-types");
  expectTypeOf(session.requestPermission).returns.resolves.toEqualTypeOf<AgentDecision>();
  expectTypeOf(session.listPending).returns.resolves.toEqualTypeOf<PermissionRequest[]>();
  expectTypeOf<Parameters<typeof session.respond>[1]>().toEqualTypeOf<
    "once" | "always" | "reject"
  >();
});
