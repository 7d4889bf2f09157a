// The request lifecycle's holes, through a real server: hook answers (2), cost and reused request
// ids (6), decided requests that stay findable (13), ids that name Object.prototype members, and
// deeply nested input.
import { policySource } from "@warden/rules";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RequestOutcome } from "../src/index.ts";
import { type RunningWarden, startWarden } from "./warden-harness.ts";

let warden: RunningWarden;
/** Resolved when the slow hook starts: its call is then in flight in the session. */
let hookSlowStarted: () => void = () => undefined;
const hookAnswers: Record<
  string,
  (respond: (reply: unknown, options?: unknown) => Promise<void>) => Promise<void>
> = {
  "hook-deny": (respond) => respond("deny"),
  "hook-no": (respond) => respond("no"),
  "hook-undefined": (respond) => respond(undefined),
  "hook-object": (respond) => respond({ behavior: "allow" }),
  "hook-null": (respond) => respond(null),
  "hook-bad-options": (respond) => respond("once", { updatedInput: "rm -rf /" }),
  "hook-bad-scope": (respond) => respond("always", { scope: "everywhere" }),
  "hook-extra-option": (respond) => respond("once", { allowAll: true }),
  "hook-deep-input": (respond) => respond("once", { updatedInput: nested(100) }),
  "hook-once": (respond) => respond("once"),
  "hook-slow": () => {
    hookSlowStarted();
    return new Promise((resolve) => setTimeout(resolve, 2_000));
  },
};

beforeAll(async () => {
  warden = await startWarden({
    hookBudgetMs: 3_000,
    policy: {
      defaultProject: policySource({
        default_behavior: "ask",
        ask: { timeout_seconds: 30 },
        rules: [
          { tool: "Read", behavior: "allow" },
          { tool: "Bash(rm *)", behavior: "deny" },
          { tool: "Bash(sleep *)", behavior: "ask" },
        ],
      }),
      projects: {
        p1fast: policySource({ default_behavior: "ask", ask: { timeout_seconds: 1 } }),
      },
    },
    onPermissionRequest: async (c, sessionId, request) => {
      const answerWith = hookAnswers[String(request.input.command ?? "")];
      await answerWith?.((reply, options) =>
        c.respondPermission(
          sessionId,
          request.permissionId,
          reply as "once",
          options as Record<string, never>,
        ),
      );
    },
  });
});

afterAll(async () => {
  await warden?.stop();
});

const bash = (requestId: string, command: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  toolName: "Bash",
  input: { command },
  waitMs: 0,
  ...extra,
});

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe("hole 2: a hook's invalid answer goes to humans", () => {
  test.each(
    Object.keys(hookAnswers).filter(
      (c) => c.startsWith("hook-") && c !== "hook-once" && c !== "hook-slow",
    ),
  )("%s leaves the request pending for humans, never allowed", async (command) => {
    const agent = warden.session("agent", "s-hook");
    const outcome = await agent.requestPermission(bash(`h-${command}`, command));
    expect(outcome.status).toBe("pending");
    const pending = await warden.session("approver", "s-hook").listPending();
    expect(pending.map((r) => r.requestId)).toContain(`h-${command}`);
  });

  test("a valid hook answer still decides", async () => {
    const outcome = await warden
      .session("agent", "s-hook")
      .requestPermission(bash("h-ok", "hook-once"));
    expect(outcome).toMatchObject({
      status: "decided",
      decision: { behavior: "allow", reason: "hook" },
    });
  });
});

describe("hole 6: cost and reused request ids", () => {
  test("cost counts only for allowed calls: denied, rejected, timed out and cancelled cost nothing", async () => {
    const agent = warden.session("agent", "s-cost");
    await agent.requestPermission({
      requestId: "c-allow",
      toolName: "Read",
      input: { file_path: "a" },
      cost: 2,
    });
    await agent.requestPermission(bash("c-deny", "rm -rf /", { cost: 100 }));
    const rejected = await agent.requestPermission(bash("c-reject", "make a", { cost: 100 }));
    await warden
      .session("approver", "s-cost")
      .respondPermission("s-cost", rejected.permissionId, "reject", { replyId: "x1" });
    await agent.requestPermission(bash("c-cancel", "make b", { cost: 100 }));
    await agent.cancelRequest("c-cancel");
    expect((await agent.getUsage()).costUsd).toBe(2);
    const approved = await agent.requestPermission(bash("c-approve", "make c", { cost: 3 }));
    await warden
      .session("approver", "s-cost")
      .respondPermission("s-cost", approved.permissionId, "once", { replyId: "x2" });
    expect(await agent.getUsage()).toEqual({ turns: 5, costUsd: 5 });
  });

  test("a known request id with another tool or input is a conflict, wherever the first call is", async () => {
    const agent = warden.session("agent", "s-conflict");
    // Decided and still in state, pending, then only in the audit log.
    await agent.requestPermission({
      requestId: "call_0",
      toolName: "Read",
      input: { file_path: "a" },
    });
    await agent.requestPermission(bash("call_1", "make"));
    for (const [id, call] of [
      ["call_0", { toolName: "Read", input: { file_path: "b" } }],
      ["call_0", { toolName: "Bash", input: { file_path: "a" } }],
      ["call_1", { toolName: "Bash", input: { command: "make install" } }],
    ] as const) {
      await expect(agent.requestPermission({ requestId: id, ...call })).rejects.toMatchObject({
        code: "conflict",
      });
    }
    await warden.session("approver", "s-conflict").getHistory();
    await expect(
      agent.requestPermission({ requestId: "call_0", toolName: "Read", input: { file_path: "b" } }),
    ).rejects.toMatchObject({ code: "conflict" });
    await expect(
      agent.requestPermission({ requestId: "call_0", toolName: "Read", input: { file_path: "a" } }),
    ).resolves.toMatchObject({ status: "decided" });
    expect((await agent.getUsage()).turns).toBe(2);
  });

  test("joining a call in flight checks who asked, and what", async () => {
    const agent = warden.session("agent", "s-join");
    const started = new Promise<void>((resolve) => {
      hookSlowStarted = resolve;
    });
    const first = agent.requestPermission(bash("j-1", "hook-slow"));
    // The slow hook holds the call in flight for 2 s.
    await started;
    // Another agent's call under the same id is its own (request ids are per requester): it
    // neither joins this one nor learns of it.
    const theirs = warden.session("agent2", "s-join").requestPermission(bash("j-1", "hook-slow"));
    await expect(agent.requestPermission(bash("j-1", "make other"))).rejects.toMatchObject({
      code: "conflict",
    });
    const [a, b, c] = await Promise.all([
      first,
      agent.requestPermission(bash("j-1", "hook-slow")),
      theirs,
    ]);
    expect(b.permissionId).toBe(a.permissionId);
    expect(c.permissionId).not.toBe(a.permissionId);
  });
});

describe("hole 13: a decided request stays findable by its agent, whatever the order", () => {
  const agent = () => warden.session("agent", "s-find");
  const approver = () => warden.session("approver", "s-find");
  const decided = (o: RequestOutcome) => expect(o.status).toBe("decided");

  test("reply, then log, then the agent's retries", async () => {
    const pending = await agent().requestPermission(bash("f-1", "make"));
    await approver().respondPermission("s-find", pending.permissionId, "once", { replyId: "f1" });
    await approver().getHistory();
    decided(await agent().waitForDecision("f-1", 5_000));
    decided(await agent().requestPermission(bash("f-1", "make", { waitMs: 5_000 })));
  });

  test("timer, then log, then the agent's retries; a late reply is told it was too late", async () => {
    // Project p1fast times asks out after 1 s; the admin token reaches it as agent and approver.
    const admin = warden.session("admin", "s-find-fast", "p1fast");
    const pending = await admin.requestPermission(bash("f-2", "make"));
    expect(pending.status).toBe("pending");
    const waited = await admin.waitForDecision("f-2", 20_000);
    expect(waited).toMatchObject({ status: "decided", decision: { reason: "timed_out" } });
    await admin.getHistory();
    await expect(admin.waitForDecision("f-2", 5_000)).resolves.toEqual(waited);
    await expect(admin.requestPermission(bash("f-2", "make"))).resolves.toEqual(waited);
    await expect(
      admin.respondPermission("s-find-fast", pending.permissionId, "once", { replyId: "late" }),
    ).rejects.toMatchObject({ code: "already_resolved" });
  });

  test("replies sent the moment the request is announced, with the log forced at once, never lose the agent's answer", async () => {
    const tab = approver().connect();
    const replies: Promise<unknown>[] = [];
    tab.on("permissionRequest", (event) => {
      replies.push(
        approver()
          .respondPermission("s-find", event.request.permissionId, "once", {
            replyId: event.request.permissionId,
          })
          .then(() => approver().getHistory()),
      );
    });
    await tab.listPending();
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          agent().requestPermission(bash(`f-race-${i}`, `make ${i}`, { waitMs: 20_000 })),
        ),
      );
      for (const outcome of outcomes) decided(outcome);
      await Promise.all(replies);
    } finally {
      await tab.dispose();
    }
  });
});

describe("ids that name Object.prototype members, and deep input", () => {
  const ids = [
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "valueOf",
    "__defineGetter__",
  ];

  // Refused at the edge (IdSchema), and the lifecycle indexes requests in arrays and Maps anyway
  // (src/lifecycle.test.ts runs these ids through the pure transitions).
  test.each(ids)("requestId %s is invalid_input and opens nothing", async (id) => {
    const agent = warden.session("agent", "s-proto");
    await expect(agent.requestPermission(bash(id, "make"))).rejects.toMatchObject({
      code: "invalid_input",
    });
    await expect(agent.waitForDecision(id, 0)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(agent.cancelRequest(id)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(agent.listPending()).resolves.toEqual([]);
  });

  test("an input carrying __proto__ pollutes nothing", async () => {
    const input = JSON.parse('{"command":"make","__proto__":{"polluted":true}}');
    const agent = warden.session("agent", "s-proto");
    const outcome = await agent.requestPermission({
      requestId: "pp-1",
      toolName: "Bash",
      input,
      waitMs: 0,
    });
    expect(outcome.status).toBe("pending");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const request = await warden.session("approver", "s-proto").getRequest(outcome.permissionId);
    expect(Object.getPrototypeOf(request.input)).toBe(Object.prototype);
  });

  test.each([40, 126, 200, 1_000])(
    "input nested %i levels answers invalid_input",
    async (depth) => {
      const agent = warden.session("agent", "s-deep");
      await expect(
        agent.requestPermission({
          requestId: `deep-${depth}`,
          toolName: "Bash",
          input: nested(depth),
        }),
      ).rejects.toMatchObject({ group: "user", code: "invalid_input" });
    },
  );

  test("an edited input nested too deep answers invalid_input and leaves the request open", async () => {
    const agent = warden.session("agent", "s-deep");
    const pending = await agent.requestPermission(bash("deep-edit", "make"));
    await expect(
      warden
        .session("approver", "s-deep")
        .respondPermission("s-deep", pending.permissionId, "once", { updatedInput: nested(200) }),
    ).rejects.toMatchObject({ group: "user", code: "invalid_input" });
    await expect(agent.waitForDecision("deep-edit", 0)).resolves.toMatchObject({
      status: "pending",
    });
  });

  test("input within the depth limit is accepted", async () => {
    const agent = warden.session("agent", "s-deep");
    await expect(
      agent.requestPermission({ requestId: "deep-ok", toolName: "Read", input: nested(30) }),
    ).resolves.toMatchObject({ status: "decided" });
  });
});
