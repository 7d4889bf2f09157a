import { policySource } from "@warden/rules";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PermissionRequestEvent, PermissionResolvedEvent } from "../src/index.ts";
import { type RunningWarden, startWarden } from "./warden-harness.ts";

let warden: RunningWarden;
let hookCalls = 0;

const RULES = [
  { tool: "Read", behavior: "allow" },
  { tool: "Bash(rm *)", behavior: "deny", message: "No deleting." },
  { tool: "Bash(git status)", behavior: "allow" },
] as const;

beforeAll(async () => {
  warden = await startWarden({
    policy: {
      // Asks wait long enough for a reply on a loaded machine; the timer's own tests use `p1fast`
      // (2 s), which only the admin token reaches (as agent and as approver).
      defaultProject: policySource({
        default_behavior: "ask",
        ask: { timeout_seconds: 120 },
        rules: [...RULES],
      }),
      projects: {
        p1fast: policySource({
          default_behavior: "ask",
          ask: { timeout_seconds: 2 },
          rules: [...RULES],
        }),
      },
    },
    hookBudgetMs: 300,
    onPermissionRequest: async (c, sessionId, request) => {
      hookCalls += 1;
      const command = String(request.input.command ?? "");
      if (command === "hook-allow")
        await c.respondPermission(sessionId, request.permissionId, "once");
      if (command === "hook-reject")
        await c.respondPermission(sessionId, request.permissionId, "reject", {
          message: "CI says no",
        });
      if (command === "hook-throws") throw new Error("boom");
      if (command === "hook-slow") await new Promise((r) => setTimeout(r, 2_000));
      if (command === "hook-slow-allow") {
        await new Promise((r) => setTimeout(r, 1_000));
        await c.respondPermission(sessionId, request.permissionId, "once");
      }
    },
  });
});

afterAll(async () => {
  await warden?.stop();
});

const bash = (requestId: string, command: string, waitMs = 0) => ({
  requestId,
  toolName: "Bash",
  input: { command },
  waitMs,
});

describe("rules decide at once", () => {
  test("an allow rule answers allow with the input to run", async () => {
    const agent = warden.session("agent", "s-rules");
    const outcome = await agent.requestPermission({
      requestId: "r1",
      toolName: "Read",
      input: { file_path: "a.txt" },
    });
    expect(outcome).toMatchObject({
      status: "decided",
      decision: { behavior: "allow", input: { file_path: "a.txt" }, reason: "rule" },
    });
  });

  test("a deny rule answers deny with its message", async () => {
    const agent = warden.session("agent", "s-rules");
    const outcome = await agent.requestPermission(bash("r2", "rm -rf /"));
    expect(outcome).toMatchObject({
      status: "decided",
      decision: { behavior: "deny", message: "No deleting.", reason: "rule" },
    });
  });

  test("a retry with the same requestId returns the same decision, not a second request", async () => {
    const agent = warden.session("agent", "s-retry");
    const first = await agent.requestPermission(bash("r3", "git status"));
    const again = await agent.requestPermission(bash("r3", "git status"));
    expect(again).toEqual(first);
    const usage = await agent.getUsage();
    expect(usage.turns).toBe(1);
  });

  test("a retry after the decision left the session's state is answered from the audit log", async () => {
    const agent = warden.session("agent", "s-retry-late");
    const first = await agent.requestPermission(bash("late-1", "git status"));
    await agent.requestPermission(bash("late-2", "git status"));
    // Reading the history appends every resolved request to the audit log, which trims them from state.
    const history = await warden.session("approver", "s-retry-late").getHistory();
    expect(history.entries.map((entry) => entry.requestId)).toEqual(["late-2", "late-1"]);
    const again = await agent.requestPermission(bash("late-1", "git status"));
    expect(again).toEqual(first);
    // The same id for another call is a conflict, not the stored decision of the first call.
    await expect(agent.requestPermission(bash("late-1", "rm -rf /"))).rejects.toMatchObject({
      code: "conflict",
    });
    expect((await agent.getUsage()).turns).toBe(2);
  });
});

describe("asks go to every subscriber, and the first reply wins", () => {
  test("subscribers see the request with suggestions and expiry, then the resolution", async () => {
    const tabs = [
      warden.session("approver", "s-ask").connect(),
      warden.session("approver2", "s-ask").connect(),
    ];
    const requested = tabs.map(
      (tab) =>
        new Promise<PermissionRequestEvent>((resolve) => tab.on("permissionRequest", resolve)),
    );
    const resolved = tabs.map(
      (tab) =>
        new Promise<PermissionResolvedEvent>((resolve) => tab.on("permissionResolved", resolve)),
    );
    // Subscribed once each connection has answered an action (a fixed sleep raced a busy engine).
    await Promise.all(tabs.map((tab) => tab.listPending()));

    const agent = warden.session("agent", "s-ask");
    const waiting = agent.requestPermission(bash("ask-1", "npm test", 10_000));
    const [event] = await Promise.all(requested);
    expect(event!.request).toMatchObject({
      toolName: "Bash",
      action: "Run command: npm test",
      requestedBy: "agent-1",
      suggestions: [{ patterns: ["Bash(npm test)"], breadth: "narrow" }, expect.anything()],
    });
    expect(event!.request.expiresAt).toBeGreaterThan(Date.now());

    const reply = await tabs[0]!.respondPermission("s-ask", event!.request.permissionId, "once");
    expect(reply.resolution).toMatchObject({
      outcome: "allow",
      reason: "approved",
      decidedBy: { kind: "approver", id: "alice" },
    });
    await expect(waiting).resolves.toMatchObject({
      status: "decided",
      decision: { behavior: "allow", input: { command: "npm test" } },
    });
    for (const seen of await Promise.all(resolved))
      expect(seen.resolution.decidedBy).toMatchObject({ id: "alice" });

    await expect(
      tabs[1]!.respondPermission("s-ask", event!.request.permissionId, "reject"),
    ).rejects.toMatchObject({
      code: "already_resolved",
      metadata: { resolution: { outcome: "allow", decidedBy: { id: "alice" } } },
    });
    await Promise.all(tabs.map((tab) => tab.dispose()));
  });

  test("two replies racing: exactly one wins", async () => {
    const agent = warden.session("agent", "s-race");
    const pending = await agent.requestPermission(bash("race-1", "make deploy"));
    expect(pending.status).toBe("pending");
    const a = warden.session("approver", "s-race");
    const b = warden.session("approver2", "s-race");
    const results = await Promise.allSettled([
      a.respondPermission("s-race", pending.permissionId, "once"),
      b.respondPermission("s-race", pending.permissionId, "reject"),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(
      results
        .filter((r) => r.status === "rejected")
        .map((r) => (r as PromiseRejectedResult).reason.code),
    ).toEqual(["already_resolved"]);
  });

  test("a resent reply (same reply id) gets the original answer; a second click, even by the same approver, is refused", async () => {
    const agent = warden.session("agent", "s-resend");
    const pending = await agent.requestPermission(bash("resend-1", "make"));
    expect(pending.status).toBe("pending");
    const alice = warden.session("approver", "s-resend");
    const first = await alice.respondPermission("s-resend", pending.permissionId, "reject", {
      message: "not today",
      replyId: "tab-1-click-1",
    });
    // A resend after a reconnect or a restart carries the same reply id.
    await expect(
      alice.respondPermission("s-resend", pending.permissionId, "reject", {
        message: "not today",
        replyId: "tab-1-click-1",
      }),
    ).resolves.toEqual(first);
    // A second click in another tab: same approver, same reply, another id.
    await expect(
      alice.respondPermission("s-resend", pending.permissionId, "reject", {
        message: "not today",
        replyId: "tab-2-click-1",
      }),
    ).rejects.toMatchObject({ code: "already_resolved", metadata: { byYou: true } });
    await expect(
      alice.respondPermission("s-resend", pending.permissionId, "reject", { message: "not today" }),
    ).rejects.toMatchObject({ code: "already_resolved" });
    // Another approver replaying the winning reply id is not its sender.
    await expect(
      warden
        .session("approver2", "s-resend")
        .respondPermission("s-resend", pending.permissionId, "reject", {
          message: "not today",
          replyId: "tab-1-click-1",
        }),
    ).rejects.toMatchObject({ code: "already_resolved", metadata: { byYou: false } });
    // Once the decision has left the state for the audit log, the same rules hold.
    const history = await alice.getHistory();
    expect(history.entries.filter((e) => e.permissionId === pending.permissionId)).toHaveLength(1);
    await expect(
      alice.respondPermission("s-resend", pending.permissionId, "reject", {
        message: "not today",
        replyId: "tab-1-click-1",
      }),
    ).resolves.toEqual(first);
    await expect(
      alice.respondPermission("s-resend", pending.permissionId, "reject", { replyId: "tab-3" }),
    ).rejects.toMatchObject({ code: "already_resolved" });
  });

  test("the agent gets a late decision by asking again with its requestId", async () => {
    const agent = warden.session("agent", "s-late");
    const pending = await agent.requestPermission(bash("late-1", "make"));
    expect(pending.status).toBe("pending");
    await warden
      .session("approver", "s-late")
      .respondPermission("s-late", pending.permissionId, "reject", { message: "not now" });
    await expect(agent.waitForDecision("late-1")).resolves.toMatchObject({
      status: "decided",
      decision: { behavior: "deny", reason: "rejected", message: "not now" },
    });
  });

  test("always adds the suggested rule, and the next identical call is allowed by it", async () => {
    const agent = warden.session("agent", "s-always");
    const pending = await agent.requestPermission(bash("al-1", "npm run lint"));
    const admin = warden.session("admin", "s-always");
    await admin.respondPermission("s-always", pending.permissionId, "always");
    const rules = await admin.listRules();
    expect(rules.rules.map((r) => r.tool)).toEqual(["Bash(npm run lint)"]);
    await expect(agent.requestPermission(bash("al-2", "npm run lint"))).resolves.toMatchObject({
      status: "decided",
      decision: { behavior: "allow", reason: "rule" },
    });
  });

  test("always with scope project reaches the project's future sessions", async () => {
    const agent = warden.session("agent", "s-proj-a");
    const pending = await agent.requestPermission(bash("pr-1", "cargo check"));
    await warden
      .session("approver", "s-proj-a")
      .respondPermission("s-proj-a", pending.permissionId, "always", {
        scope: "project",
        rule: "Bash(cargo check)",
      });
    const later = warden.session("agent", "s-proj-b");
    await expect(later.requestPermission(bash("pr-2", "cargo check"))).resolves.toMatchObject({
      decision: { behavior: "allow", reason: "rule" },
    });
  });

  test("an edited input is checked against deny rules again", async () => {
    const agent = warden.session("agent", "s-edit");
    const pending = await agent.requestPermission(bash("ed-1", "ls -la"));
    const reply = await warden
      .session("approver", "s-edit")
      .respondPermission("s-edit", pending.permissionId, "once", {
        updatedInput: { command: "rm -rf /" },
      });
    expect(reply.resolution).toMatchObject({ outcome: "deny", reason: "rule" });
    const safe = await agent.requestPermission(bash("ed-2", "ls -la"));
    const allowed = await warden
      .session("approver", "s-edit")
      .respondPermission("s-edit", safe.permissionId, "once", { updatedInput: { command: "ls" } });
    expect(allowed.resolution).toMatchObject({ outcome: "allow", input: { command: "ls" } });
  });

  test("the agent may cancel its own request", async () => {
    const agent = warden.session("agent", "s-cancel");
    await agent.requestPermission(bash("c-1", "make"));
    await expect(agent.cancelRequest("c-1")).resolves.toMatchObject({
      decision: { behavior: "deny", reason: "cancelled" },
    });
    await expect(warden.session("agent2", "s-cancel").cancelRequest("c-1")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  test("an unanswered request times out to reject", async () => {
    const agent = warden.session("admin", "s-timeout", "p1fast");
    const outcome = await agent.requestPermission(bash("t-1", "make", 8_000));
    expect(outcome).toMatchObject({
      status: "decided",
      decision: { behavior: "deny", reason: "timed_out" },
    });
    const history = await agent.getHistory();
    expect(history.entries[0]).toMatchObject({
      requestId: "t-1",
      resolution: { decidedBy: { kind: "timeout" } },
    });
  });
});

describe("one expiry alarm per session", () => {
  test("asks opened one after another each time out to reject, none before its own deadline", async () => {
    const agent = warden.session("admin", "s-alarm", "p1fast");
    const ids = ["m-1", "m-2", "m-3"];
    const opened = [];
    for (const id of ids) opened.push(await agent.requestPermission(bash(id, `make ${id}`)));
    for (const outcome of opened) expect(outcome).toMatchObject({ status: "pending" });
    // The first ask's alarm fires first; the others are expired by the alarms it re-arms.
    const outcomes = await Promise.all(ids.map((id) => agent.waitForDecision(id, 15_000)));
    for (const outcome of outcomes)
      expect(outcome).toMatchObject({
        status: "decided",
        decision: { behavior: "deny", reason: "timed_out" },
      });
    const { entries } = await agent.getHistory();
    expect(entries.map((e) => e.requestId).sort()).toEqual(ids);
    for (const entry of entries) {
      expect(entry.resolution).toMatchObject({ decidedBy: { kind: "timeout" } });
      expect(entry.resolution!.resolvedAt).toBeGreaterThanOrEqual(entry.expiresAt);
    }
  });
});

describe("the server-side hook", () => {
  test("the hook can approve", async () => {
    await expect(
      warden.session("agent", "s-hook").requestPermission(bash("h-1", "hook-allow")),
    ).resolves.toMatchObject({
      status: "decided",
      decision: { behavior: "allow", reason: "hook" },
    });
  });

  test("the hook can reject with a message", async () => {
    await expect(
      warden.session("agent", "s-hook").requestPermission(bash("h-2", "hook-reject")),
    ).resolves.toMatchObject({
      decision: { behavior: "deny", message: "CI says no", reason: "hook" },
    });
  });

  test.each(["hook-throws", "hook-slow", "hook-slow-allow"])(
    "a hook that %s leaves the request to humans",
    async (command) => {
      const before = hookCalls;
      const outcome = await warden
        .session("agent", "s-hook")
        .requestPermission(bash(`h-${command}`, command));
      expect(hookCalls).toBe(before + 1);
      expect(outcome.status).toBe("pending");
    },
  );

  test("the hook is not consulted for what the rules decide", async () => {
    const before = hookCalls;
    await warden.session("agent", "s-hook").requestPermission(bash("h-3", "git status"));
    expect(hookCalls).toBe(before);
  });
});
