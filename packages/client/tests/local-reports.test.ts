// Local decisions on their way to the audit log, through a real server: no request is ever opened
// for them (no "phantom card"), none is lost by `dispose()`, a full queue falls back to the actor,
// and a decision the server's rules no longer make is reported and refreshes the local policy.
import type { PermissionRequest } from "@warden/server";
import { beforeAll, describe, expect, test } from "vitest";
import type { FastPathMismatch, WardenClient, WardenClientOptions } from "../src/index.ts";
import { POLL, useFastPathServer } from "./fixtures/fast-path-server.ts";

const warden = useFastPathServer();
const { freshPolicy } = warden;
let admin: WardenClient;
let approver: WardenClient;

beforeAll(() => {
  admin = warden.admin();
  approver = warden.client("approver-token");
});

const agentClient = (options: Partial<WardenClientOptions> = {}) =>
  warden.client("agent-token", options);

/** Every entry of a session's audit log (paged, newest first). */
async function auditLog(sessionId: string) {
  const session = approver.session(sessionId);
  const entries: Awaited<ReturnType<typeof session.getHistory>>["entries"] = [];
  let before: number | undefined;
  for (;;) {
    const page = await session.getHistory({ limit: 500, ...(before ? { before } : {}) });
    entries.push(...page.entries);
    if (page.nextBefore === null) return entries;
    before = page.nextBefore;
  }
}

const read = (requestId: string) => ({
  toolName: "Read",
  input: { file_path: `/repo/${requestId}` },
  requestId,
});

describe("local decisions reach the audit log", () => {
  test("an approver never sees a request for a call the agent's SDK decided locally", async () => {
    const sessionId = "phantom";
    const mismatches: FastPathMismatch[] = [];
    // Reports wait 10 s before they go: the policy changes on the server while they wait (the
    // rule's removal must land first, and takes more than 2 s on a loaded engine now and then).
    const agent = agentClient({
      onFastPathMismatch: (m) => mismatches.push(m),
      reports: { delayMs: 10_000 },
    });
    const session = agent.session(sessionId);
    const seen: PermissionRequest[] = [];
    const unsubscribe = await approver
      .session(sessionId)
      .subscribe({ onRequest: (r) => seen.push(r) });
    const inboxSeen: PermissionRequest[] = [];
    const offInbox = await approver.inbox().subscribe({
      onRequest: (r) => {
        if (r.sessionId === sessionId) inboxSeen.push(r);
      },
      onResolved: () => undefined,
    });
    // An admin's rule allows `make`; the agent's SDK allows it locally while it holds.
    const adminConn = await admin.session(sessionId).connection();
    const rule = await adminConn.addRule({ tool: "Bash(make *)", behavior: "allow" });
    await session.requestPermission(read("warm-up"));
    await freshPolicy(agent, sessionId);
    const before = session.localPolicy.version;

    const calls = 300;
    const decisions = Array.from({ length: calls }, (_, i) =>
      session.requestPermission({
        toolName: "Bash",
        input: { command: `make step-${i}` },
        requestId: `ph-${i}`,
      }),
    );
    // The rule goes before the reports arrive: the server's rules now ask about every one.
    await adminConn.removeRule(rule.id);
    await expect(Promise.all(decisions)).resolves.toEqual(
      Array.from({ length: calls }, () => expect.objectContaining({ behavior: "allow" })),
    );
    await session.flush();

    // The race happened: reports reached the server after its rules changed.
    expect(mismatches.length).toBeGreaterThan(0);
    // A real ask afterwards reaches the approver through both doors; nothing came before it.
    const sentinel = session.requestPermission({
      toolName: "Bash",
      input: { command: "make sentinel" },
      requestId: "sentinel",
    });
    const isSentinel = (r: PermissionRequest) => r.requestId === "sentinel";
    await expect.poll(() => seen.some(isSentinel) && inboxSeen.some(isSentinel), POLL).toBe(true);
    await approver.session(sessionId).respond(seen.find(isSentinel)!.permissionId, "reject");
    await expect(sentinel).resolves.toMatchObject({ behavior: "deny", reason: "rejected" });
    expect(seen.map((r) => r.requestId)).toEqual(["sentinel"]);
    expect(inboxSeen.map((r) => r.requestId)).toEqual(["sentinel"]);
    unsubscribe();
    offInbox();

    // The reports waited: the server's rules now ask about every one of them, each a mismatch.
    expect(mismatches).toHaveLength(calls);
    expect(mismatches[0]).toMatchObject({
      sessionId,
      toolName: "Bash",
      local: { behavior: "allow" },
      server: "ask",
      policyVersion: before,
    });
    await freshPolicy(agent, sessionId);
    expect(session.localPolicy.version).not.toBe(before);

    const log = await auditLog(sessionId);
    const reported = log.filter((e) => e.requestId.startsWith("ph-"));
    expect(reported).toHaveLength(calls);
    for (const entry of reported) {
      expect(entry.resolution).toMatchObject({
        outcome: "deny",
        reason: "local_mismatch",
        local: { behavior: "allow", server: "ask" },
      });
    }
  });

  test("a full report queue sends calls to the actor until it drains; nothing is dropped", async () => {
    const sessionId = "bounded";
    const agent = agentClient({ reports: { maxQueued: 20, delayMs: 1_000 } });
    const session = agent.session(sessionId);
    await session.requestPermission(read("warm-up"));
    await freshPolicy(agent, sessionId);
    await session.flush();
    // All at once: the first 20 fill the queue, the rest cannot be decided locally.
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => session.requestPermission(read(`b-${i}`))),
    );
    expect(decisions.every((d) => d.behavior === "allow")).toBe(true);
    await session.flush();
    expect(session.unreported).toBe(0);
    const log = (await auditLog(sessionId)).filter((e) => e.requestId.startsWith("b-"));
    expect(new Set(log.map((e) => e.requestId)).size).toBe(200);
    expect(log).toHaveLength(200);
    expect(log.filter((e) => e.resolution?.local !== undefined)).toHaveLength(20);
    expect(log.every((e) => e.resolution?.outcome === "allow")).toBe(true);
  });

  test("a reused request id (providers reuse call ids) is recorded under a fresh id, not lost", async () => {
    const sessionId = "reused";
    const agent = agentClient();
    const session = agent.session(sessionId);
    await session.requestPermission(read("warm-up"));
    await freshPolicy(agent, sessionId);
    await session.requestPermission({ ...read("x"), requestId: "call_0" });
    await session.flush();
    await session.requestPermission({ ...read("y"), requestId: "call_0" });
    await session.flush();
    const log = (await auditLog(sessionId)).filter((e) => e.requestId.startsWith("call_0"));
    expect(
      log
        .map((e) => e.input)
        .sort((a, b) => String(a.file_path).localeCompare(String(b.file_path))),
    ).toEqual([{ file_path: "/repo/x" }, { file_path: "/repo/y" }]);
    expect(log.find((e) => e.input.file_path === "/repo/x")?.requestId).toBe("call_0");
    expect(log.find((e) => e.input.file_path === "/repo/y")?.requestId).toMatch(/^call_0:/);
  });

  test("100,000 local checks, then dispose(): every one is in the audit log", async () => {
    const sessionId = "bulk";
    const agent = agentClient();
    const session = agent.session(sessionId);
    await session.requestPermission(read("warm-up"));
    await freshPolicy(agent, sessionId);
    const total = 100_000;
    const started = performance.now();
    let local = 0;
    for (let i = 0; i < total; i++) {
      const t = performance.now();
      const decision = await session.requestPermission(read(`k-${i}`));
      if (performance.now() - t < 1) local += 1;
      expect(decision.behavior).toBe("allow");
    }
    const checking = performance.now() - started;
    await expect(session.dispose({ flushMs: 240_000 })).resolves.toEqual({ unreported: 0 });
    const drained = performance.now() - started;
    console.log(
      `100,000 checks: ${checking.toFixed(0)} ms (${local} under 1 ms), all recorded after ${drained.toFixed(0)} ms`,
    );
    const usage = await (await admin.session(sessionId).connection()).getUsage();
    expect(usage.turns).toBe(total + 1);
    const log = await auditLog(sessionId);
    const ids = new Set(log.map((e) => e.requestId));
    expect(ids.size).toBe(total + 1);
    expect(log).toHaveLength(total + 1);
  });
});
