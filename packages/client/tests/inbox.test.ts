import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createWardenClient,
  type InboxRequest,
  type InboxResolved,
  type WardenClient,
} from "../src/index.ts";
import { ServerProcess } from "./fixtures/server-process.ts";

// Under load the engine sometimes takes 30 s to create an actor (more than once in a row), and
// 12–32 s to recover after a crash; the SDK retries, and the polls allow for it.
const POLL = { timeout: 150_000, interval: 200 };

let server: ServerProcess;
let agent: WardenClient;
let alice: WardenClient;
let bob: WardenClient;

beforeAll(async () => {
  server = await ServerProcess.create();
  agent = createWardenClient({ endpoint: server.endpoint, token: "agent-token", project: "demo" });
  alice = createWardenClient({
    endpoint: server.endpoint,
    token: "approver-token",
    project: "demo",
  });
  bob = createWardenClient({
    endpoint: server.endpoint,
    token: "approver2-token",
    project: "demo",
  });
});

afterAll(async () => {
  try {
    await Promise.race([
      Promise.all([agent?.dispose(), alice?.dispose(), bob?.dispose()]),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
  } finally {
    await server?.stop();
  }
});

/**
 * The pending requests of these sessions only: the file shares one server, so an earlier test's
 * request may still be in the project's inbox (or not yet out of it) when the next test looks.
 */
async function pendingOf(client: WardenClient, sessions: readonly string[], project?: string) {
  return (await client.inbox(project).list()).filter((r) => sessions.includes(r.sessionId));
}

/**
 * Actor lookups by key the engine made so far: its storage transactions of that name, from its
 * Prometheus endpoint (guard port + 10). A call by id makes none.
 */
async function keyLookups(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.slot.port + 10}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n"))
    if (/^rivet_udb_transaction_total\{.*name="pegboard_actor_list_for_ns"/.test(line))
      total += Number(line.slice(line.lastIndexOf(" ")));
  return total;
}

function watch(client: WardenClient, project?: string) {
  const requests: InboxRequest[] = [];
  const resolved: InboxResolved[] = [];
  const subscribed = client.inbox(project).subscribe({
    onRequest: (request) => requests.push(request),
    onResolved: (event) => resolved.push(event),
  });
  return { requests, resolved, subscribed };
}

describe("the project inbox", () => {
  test("shows the pending requests of every session, then resolutions made anywhere", async () => {
    const asks = [
      agent.session("in-1").requestPermission({ toolName: "Bash", input: { command: "make a" } }),
      agent.session("in-2").requestPermission({ toolName: "Bash", input: { command: "make b" } }),
    ];
    const sessions = ["in-1", "in-2"];
    await expect.poll(async () => (await pendingOf(alice, sessions)).length, POLL).toBe(2);

    // A late subscriber sees both, with everything an approver needs.
    const seen = watch(bob);
    const unsubscribe = await seen.subscribed;
    const ours = seen.requests.filter((r) => sessions.includes(r.sessionId));
    expect(ours.map((r) => [r.sessionId, r.input.command]).sort()).toEqual([
      ["in-1", "make a"],
      ["in-2", "make b"],
    ]);
    const first = seen.requests.find((r) => r.sessionId === "in-1")!;
    expect(first).toMatchObject({ toolName: "Bash", action: "Run command: make a" });
    expect(first.suggestions.length).toBeGreaterThan(0);
    expect(first.expiresAt).toBeGreaterThan(first.createdAt);

    // Resolved through the session API by alice, and through the inbox by bob.
    await alice.session("in-1").respond(first.permissionId, "always");
    const second = seen.requests.find((r) => r.sessionId === "in-2")!;
    await bob.inbox().respond("in-2", second.permissionId, "reject", { message: "not now" });

    const resolved = () => seen.resolved.filter((e) => sessions.includes(e.sessionId));
    await expect.poll(() => resolved().length, POLL).toBe(2);
    const byId = new Map(resolved().map((e) => [e.permissionId, e.resolution]));
    expect(byId.get(first.permissionId)).toMatchObject({
      outcome: "allow",
      decidedBy: { kind: "approver", id: "alice" },
      rulesAdded: { scope: "session" },
    });
    expect(byId.get(second.permissionId)).toMatchObject({
      outcome: "deny",
      reason: "rejected",
      decidedBy: { id: "bob" },
    });
    await expect(Promise.all(asks)).resolves.toMatchObject([
      { behavior: "allow" },
      { behavior: "deny", message: "not now" },
    ]);
    await expect.poll(async () => (await pendingOf(alice, sessions)).length, POLL).toBe(0);
    unsubscribe();
  });

  test("answers fail with typed errors", async () => {
    const asking = agent
      .session("in-err")
      .requestPermission({ toolName: "Bash", input: { command: "make" } });
    await expect.poll(async () => (await pendingOf(alice, ["in-err"])).length, POLL).toBe(1);
    const [request] = await pendingOf(alice, ["in-err"]);
    const inbox = alice.inbox();
    await expect(
      agent.inbox().respond("in-err", request!.permissionId, "once"),
    ).rejects.toMatchObject({
      name: "WardenError",
      code: "forbidden",
    });
    await expect(inbox.respond("in-err", "perm_nope", "once")).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(
      inbox.respond("in-err", request!.permissionId, "maybe" as "once"),
    ).rejects.toMatchObject({ code: "invalid_input" });
    await inbox.respond("in-err", request!.permissionId, "once");
    await expect(
      bob.inbox().respond("in-err", request!.permissionId, "reject"),
    ).rejects.toMatchObject({
      code: "already_resolved",
      metadata: { resolution: { outcome: "allow", decidedBy: { id: "alice" } } },
    });
    await asking;
  });

  test("replies go to each session by its actor id: the engine looks up no key per reply", async () => {
    const sessions = ["by-id-1", "by-id-2", "by-id-3", "by-id-4", "by-id-5"];
    const ask = (sessionId: string) =>
      agent.session(sessionId).requestPermission({ toolName: "Bash", input: { command: "ship" } });
    // A first round creates the sessions and teaches them their project's id.
    const warmup = sessions.map(ask);
    await expect.poll(async () => (await pendingOf(alice, sessions)).length, POLL).toBe(5);
    const inbox = alice.inbox();
    for (const request of await pendingOf(alice, sessions)) {
      expect(request.sessionActorId).toMatch(/^[a-z0-9]+$/);
      await inbox.respond(request.sessionId, request.permissionId, "once");
    }
    await Promise.all(warmup);

    const asks = sessions.map(ask);
    await expect.poll(async () => (await pendingOf(alice, sessions)).length, POLL).toBe(5);
    const pending = await pendingOf(alice, sessions);
    const before = await keyLookups();
    for (const request of pending)
      await inbox.respond(request.sessionId, request.permissionId, "once");
    const lookups = (await keyLookups()) - before;
    await expect(Promise.all(asks)).resolves.toMatchObject(
      sessions.map(() => ({ behavior: "allow" })),
    );
    // By key, each reply costs the engine a lookup of the session's key (5 here).
    expect(lookups).toBeLessThan(sessions.length);
  });

  test("history lists resolved requests per session and across the project", async () => {
    // Its own decisions: the test asserts on nothing an earlier test left (or did not leave).
    const asks = (["in-hist-1", "in-hist-2"] as const).map((sessionId) => ({
      sessionId,
      decision: agent
        .session(sessionId)
        .requestPermission({ toolName: "Bash", input: { command: `make ${sessionId}` } }),
    }));
    const sessions = asks.map((a) => a.sessionId);
    await expect.poll(async () => (await pendingOf(alice, sessions)).length, POLL).toBe(2);
    for (const request of await pendingOf(alice, sessions))
      await alice.inbox().respond(request.sessionId, request.permissionId, "once");
    await Promise.all(asks.map((a) => a.decision));

    // The project's index receives each session's entries a moment after the decision.
    await expect
      .poll(async () => (await alice.inbox().history({ sessionId: "in-hist-1" })).entries, POLL)
      .toHaveLength(1);
    const own = await alice.inbox().history({ sessionId: "in-hist-1" });
    expect(own.entries.map((e) => e.input.command)).toEqual(["make in-hist-1"]);
    await expect
      .poll(
        async () => (await alice.inbox().history({ limit: 50 })).entries.map((e) => e.sessionId),
        POLL,
      )
      .toEqual(expect.arrayContaining(sessions));
    const all = await alice.inbox().history({ limit: 50 });
    const times = all.entries.map((e) => e.resolution!.resolvedAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  test("a timed-out request leaves the inbox", async () => {
    const seen = watch(alice, "fast");
    const unsubscribe = await seen.subscribed;
    const decision = await agent
      .session("in-timeout", { project: "fast" })
      .requestPermission({ toolName: "Bash", input: { command: "make" } });
    expect(decision).toMatchObject({ behavior: "deny", reason: "timed_out" });
    await expect
      .poll(
        () =>
          seen.resolved.filter((e) => e.sessionId === "in-timeout").map((e) => e.resolution.reason),
        POLL,
      )
      .toEqual(["timed_out"]);
    expect(await pendingOf(alice, ["in-timeout"], "fast")).toEqual([]);
    unsubscribe();
  });

  test("after a crash and restart: nothing missing, nothing left over, the agent still gets its answer", async () => {
    const seen = watch(alice);
    const unsubscribe = await seen.subscribed;
    const asking = agent.session("in-crash").requestPermission({
      toolName: "Bash",
      input: { command: "make crash" },
      requestId: "crash-1",
    });
    const expiring = agent
      .session("in-crash-2", { project: "fast" })
      .requestPermission({ toolName: "Bash", input: { command: "make slow" } });
    await expect.poll(() => seen.requests.some((r) => r.sessionId === "in-crash"), POLL).toBe(true);
    await expect
      .poll(async () => (await pendingOf(alice, ["in-crash-2"], "fast")).length, POLL)
      .toBe(1);

    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // the `fast` ask falls due while down
    await server.start();

    // The overdue ask is settled on wake and leaves the inbox; the other is still there.
    await expect(expiring).resolves.toMatchObject({ behavior: "deny", reason: "timed_out" });
    await expect
      .poll(async () => (await pendingOf(alice, ["in-crash-2"], "fast")).length, POLL)
      .toBe(0);
    const [request] = await pendingOf(alice, ["in-crash"]);
    expect(request).toMatchObject({ requestId: "crash-1" });

    await alice.inbox().respond("in-crash", request!.permissionId, "once");
    await expect(asking).resolves.toMatchObject({
      behavior: "allow",
      input: { command: "make crash" },
    });
    await expect
      .poll(() => seen.resolved.some((e) => e.permissionId === request!.permissionId), POLL)
      .toBe(true);
    expect(await pendingOf(alice, ["in-crash"])).toEqual([]);
    unsubscribe();
  });
});
