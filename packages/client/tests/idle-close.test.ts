import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type ConnectionStatus,
  createWardenClient,
  type WardenClient,
  type WardenSession,
} from "../src/index.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

// A real server and engine: sessions whose connection closes after IDLE_MS unused.
const IDLE_MS = 300;
const POLL = { timeout: 150_000, interval: 20 };

let server: TestWarden;
let agent: WardenClient;
let agentFast: WardenClient;
let approver: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  const options = { endpoint: server.endpoint, project: "demo", idleCloseMs: IDLE_MS };
  agent = createWardenClient({ ...options, token: "agent-token", fastPath: "off" });
  // Its test checks a local decision between "fresh again" and the next idle close: 300 ms is
  // less than one event-loop stall of this process (it runs the server too) on a loaded machine.
  agentFast = createWardenClient({ ...options, token: "agent-token", idleCloseMs: 2_000 });
  approver = createWardenClient({ ...options, token: "approver-token" });
});

afterAll(async () => {
  try {
    await Promise.race([
      Promise.all([agent?.dispose(), agentFast?.dispose(), approver?.dispose()]),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
  } finally {
    await server?.stop();
  }
});

/** Every status a session's connection takes from now on (sampled; the idle close lasts). */
function watchStatus(session: WardenSession): { seen: Set<ConnectionStatus>; stop(): void } {
  const seen = new Set<ConnectionStatus>([session.status]);
  const timer = setInterval(() => seen.add(session.status), 5);
  return { seen, stop: () => clearInterval(timer) };
}

const read = (file: string, requestId?: string) => ({
  toolName: "Read",
  input: { file_path: file },
  ...(requestId ? { requestId } : {}),
});
const deploy = (requestId: string) => ({
  toolName: "Bash",
  input: { command: `deploy ${requestId}` },
  requestId,
});

/** Approves the session's request once an approver sees it pending. */
async function approveWhenPending(sessionId: string, requestId: string) {
  const session = approver.session(sessionId);
  let permissionId: string | undefined;
  await expect
    .poll(async () => {
      const pending = await session.listPending();
      permissionId = pending.find((r) => r.requestId === requestId)?.permissionId;
      return permissionId;
    }, POLL)
    .toBeDefined();
  await session.respond(permissionId!, "once");
}

describe("closing idle connections", () => {
  test("a session idle past idleCloseMs closes its connection and its next call reopens it", async () => {
    const session = agent.session("idle-reopen");
    await expect(session.requestPermission(read("a"))).resolves.toMatchObject({
      behavior: "allow",
    });
    expect(session.status).toBe("open");
    await expect.poll(() => session.status, POLL).toBe("idle");
    // What `pnpm load` prints for a stalled session: here, closed for idleness with nothing waiting.
    expect(session.diagnostics).toMatchObject({
      connection: { status: "idle", link: "none", calls: 0, waking: false },
      reports: { unreported: 0, accepting: true, refused: false },
    });
    expect(session.diagnostics.connection.actorId).toMatch(/./);
    await expect(session.requestPermission(read("b"))).resolves.toMatchObject({
      behavior: "allow",
      reason: "rule",
    });
    expect(session.status).toBe("open");
    await expect.poll(() => session.status, POLL).toBe("idle");
    // Reads reopen it too.
    await expect(session.listRules()).resolves.toBeDefined();
    expect(session.status).toBe("open");
  });

  test("an ask waiting for a human keeps its connection, and is answered", async () => {
    const session = agent.session("idle-ask");
    await session.requestPermission(read("warm-up"));
    const watch = watchStatus(session);
    const asked = session.requestPermission(deploy("idle-ask-1"));
    // Approved well after the idle delay: the long poll held the connection all along.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 5));
    await approveWhenPending("idle-ask", "idle-ask-1");
    await expect(asked).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
    watch.stop();
    expect(watch.seen.has("idle")).toBe(false);
    await expect.poll(() => session.status, POLL).toBe("idle");
  });

  test("after an idle close, a repeated request gets its one decision and a new ask still works", async () => {
    const session = agent.session("idle-pending");
    const first = session.requestPermission(deploy("idle-pending-1"));
    await approveWhenPending("idle-pending", "idle-pending-1");
    await expect(first).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
    await expect.poll(() => session.status, POLL).toBe("idle");
    // The same request id after the reopen: the recorded decision, not a second request.
    await expect(session.requestPermission(deploy("idle-pending-1"))).resolves.toMatchObject({
      behavior: "allow",
      reason: "approved",
    });
    expect(await approver.session("idle-pending").listPending()).toEqual([]);
    await expect.poll(() => session.status, POLL).toBe("idle");
    const second = session.requestPermission(deploy("idle-pending-2"));
    await approveWhenPending("idle-pending", "idle-pending-2");
    await expect(second).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
    const history = await approver.session("idle-pending").getHistory({ limit: 50 });
    const ids = history.entries.map((e: { requestId: string }) => e.requestId).sort();
    expect(ids).toEqual(["idle-pending-1", "idle-pending-2"]);
  });

  test("a subscription keeps the connection open and keeps delivering", async () => {
    const watched = approver.session("idle-subscribed");
    const seen: string[] = [];
    const off = await watched.subscribe({ onRequest: (r) => seen.push(r.requestId) });
    try {
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 5));
      expect(watched.status).toBe("open");
      const asked = agent.session("idle-subscribed").requestPermission(deploy("idle-sub-1"));
      await expect.poll(() => seen, POLL).toEqual(["idle-sub-1"]);
      expect(watched.status).toBe("open");
      await approveWhenPending("idle-subscribed", "idle-sub-1");
      await expect(asked).resolves.toMatchObject({ behavior: "allow" });
    } finally {
      off();
    }
    // Unsubscribed: nothing keeps it open any more.
    await expect.poll(() => watched.status, POLL).toBe("idle");
  });

  test("calls made around the moment of the idle close are neither lost nor doubled", async () => {
    const session = agent.session("idle-race");
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      // Gaps from just under to just over the idle delay, so that some calls meet a close.
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS - 60 + (i % 6) * 25));
      const requestId = `idle-race-${i}`;
      ids.push(requestId);
      await expect(session.requestPermission(read(`r${i}`, requestId))).resolves.toMatchObject({
        behavior: "allow",
      });
    }
    const history = await approver.session("idle-race").getHistory({ limit: 100 });
    const logged = history.entries.map((e: { requestId: string }) => e.requestId).sort();
    expect(logged).toEqual([...ids].sort());
  });

  test("the fast path stops deciding allows while closed and resumes after the next call", async () => {
    const session = agentFast.session("idle-fast");
    await session.requestPermission(read("warm-up"));
    await expect.poll(() => session.localPolicy.fresh, POLL).toBe(true);
    await expect.poll(() => session.status, POLL).toBe("idle");
    // Closed, it cannot hear a rule change: its allows are no longer local.
    expect(session.localPolicy.fresh).toBe(false);
    expect(session.decideLocally(read("while-closed"))).toBeUndefined();
    await session.requestPermission(read("reopen", "idle-fast-reopen"));
    await expect.poll(() => session.localPolicy.fresh, POLL).toBe(true);
    expect(session.decideLocally(read("local", "idle-fast-local"))).toMatchObject({
      behavior: "allow",
    });
    await session.flush();
    const history = await approver.session("idle-fast").getHistory({ limit: 50 });
    const logged = history.entries.map((e: { requestId: string }) => e.requestId);
    expect(logged).toEqual(expect.arrayContaining(["idle-fast-reopen", "idle-fast-local"]));
  });
});
