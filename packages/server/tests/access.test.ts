import { policySource } from "@warden/rules";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningWarden, startWarden } from "./warden-harness.ts";

let warden: RunningWarden;

beforeAll(async () => {
  warden = await startWarden({
    maxPendingPerSession: 3,
    policy: {
      global: policySource({ forbid_modes: ["bypassPermissions"] }),
      defaultProject: policySource({ rules: [{ tool: "Read", behavior: "allow" }] }),
    },
  });
});

afterAll(async () => {
  await warden?.stop();
});

// The role × action table, every event and every way in: tests/attacks.test.ts.
describe("roles", () => {
  test("an agent can never answer a request, even its own", async () => {
    const agent = warden.session("agent", "roles-own");
    const pending = await agent.requestPermission({
      requestId: "own-1",
      toolName: "Bash",
      input: { command: "make" },
      waitMs: 0,
    });
    await expect(
      agent.respondPermission("roles-own", pending.permissionId, "once"),
    ).rejects.toMatchObject({ code: "forbidden" });
    await expect(agent.listPending()).resolves.toHaveLength(1);
  });

  test("an agent sees only its own requests", async () => {
    const mine = await warden.session("agent", "roles-mine").requestPermission({
      requestId: "m-1",
      toolName: "Bash",
      input: { command: "make" },
      waitMs: 0,
    });
    await expect(warden.session("agent2", "roles-mine").listPending()).resolves.toEqual([]);
    // Another agent's request id is answered exactly as an id never used: same code, same
    // message shape, so a second agent cannot learn which ids exist.
    const stranger = warden.session("agent2", "roles-mine");
    const refusal = (requestId: string) =>
      stranger.waitForDecision(requestId, 0).then(
        () => "ok",
        ({ group, code, message, metadata }: Record<string, unknown>) =>
          JSON.stringify({
            group,
            code,
            metadata,
            message: String(message).replace(requestId, "<id>"),
          }),
      );
    const taken = await refusal("m-1");
    expect(JSON.parse(taken)).toMatchObject({ code: "not_found" });
    expect(taken).toBe(await refusal("m-never"));
    await expect(stranger.getRequest(mine.permissionId)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(stranger.cancelRequest("m-1")).rejects.toMatchObject({ code: "not_found" });
    await expect(warden.session("approver", "roles-mine").listPending()).resolves.toHaveLength(1);
  });

  test("request ids are per agent: another agent's id is a fresh one, told nothing", async () => {
    const first = warden.session("agent", "roles-ids");
    const second = warden.session("agent2", "roles-ids");
    const call = { toolName: "Bash", input: { command: "make" }, waitMs: 0 };
    const read = { toolName: "Read", input: { file_path: "a" } };
    // agent-1 holds a pending ask ("p-1") and a rule-settled call gone to the log ("s-1").
    const pending = await first.requestPermission({ requestId: "p-1", ...call });
    const settled = await first.requestPermission({ requestId: "s-1", ...read });
    // agent2's writes under those ids: what it gets under an id nobody used, and its own request.
    // Ids and deadlines differ between any two requests; everything else must be the same.
    const shape = ({ permissionId, requestId, expiresAt, ...rest }: Record<string, unknown>) => ({
      ...rest,
      kinds: [typeof permissionId, typeof requestId, typeof expiresAt],
    });
    const otherCall = { toolName: "Bash", input: { command: "make other" }, waitMs: 0 };
    const theirs = await second.requestPermission({ requestId: "p-1", ...otherCall });
    const fresh = await second.requestPermission({ requestId: "p-fresh", ...otherCall });
    expect(shape(theirs)).toEqual(shape(fresh));
    await second.cancelRequest("p-fresh"); // this session holds 3 pending asks at most
    const theirsSettled = await second.requestPermission({
      requestId: "s-1",
      ...read,
      input: { file_path: "b" },
    });
    expect(shape(theirsSettled)).toEqual(
      shape(
        await second.requestPermission({
          requestId: "s-fresh",
          ...read,
          input: { file_path: "b" },
        }),
      ),
    );
    const local = (requestId: string) => [
      {
        requestId,
        ...read,
        decision: "allow" as const,
        policyVersion: "v",
        decidedAt: 1,
      },
    ];
    await expect(first.recordLocalDecisions(local("l-1"))).resolves.toMatchObject({ recorded: 1 });
    const taken = await second.recordLocalDecisions(local("l-1"));
    expect(taken).toMatchObject({ recorded: 1, duplicates: [], conflicts: [] });
    expect(taken).toEqual(await second.recordLocalDecisions(local("l-fresh")));
    await expect(first.recordLocalDecisions(local("l-1"))).resolves.toMatchObject({
      recorded: 0,
      duplicates: ["l-1"],
    });
    // Each agent's retry is answered with its own request, exactly once.
    await expect(first.requestPermission({ requestId: "p-1", ...call })).resolves.toEqual(pending);
    await expect(first.requestPermission({ requestId: "s-1", ...read })).resolves.toEqual(settled);
    await expect(second.requestPermission({ requestId: "p-1", ...otherCall })).resolves.toEqual(
      theirs,
    );
    await expect(second.waitForDecision("p-1", 0)).resolves.toEqual(theirs);
    await expect(first.waitForDecision("p-1", 0)).resolves.toEqual(pending);
    // agent2 cancels its own "p-1"; agent-1's stays pending.
    await expect(second.cancelRequest("p-1")).resolves.toMatchObject({
      decision: { behavior: "deny" },
    });
    await expect(first.waitForDecision("p-1", 0)).resolves.toEqual(pending);
    const approver = warden.session("approver", "roles-ids");
    const open = await approver.listPending();
    expect(open.map((r) => [r.requestedBy, r.requestId])).toEqual([["agent-1", "p-1"]]);
  });

  test("a token for another project cannot reach this project's sessions", async () => {
    await expect(warden.session("otherProject", "roles-x").listPending()).rejects.toMatchObject({
      code: "forbidden",
    });
  });

  test("an unknown or missing token is refused", async () => {
    const unknown = warden.client.permissionSession.getOrCreate(["p1", "roles-x"], {
      params: { token: "nope" },
    });
    await expect(unknown.listPending()).rejects.toMatchObject({ code: "unauthorized" });
    const missing = warden.client.permissionSession.getOrCreate(["p1", "roles-x"]);
    await expect(missing.listPending()).rejects.toMatchObject({ code: "unauthorized" });
  });
});

describe("rule edits are safe to send again", () => {
  test("addRule with an id adds the rule once; the same id for another rule is refused", async () => {
    const admin = warden.session("admin", "rules-resend");
    const rule = { id: "no-clean", tool: "Bash(make clean)", behavior: "deny" as const };
    const first = await admin.addRule(rule);
    await expect(admin.addRule(rule)).resolves.toEqual(first);
    await expect(admin.addRule({ ...rule, behavior: "allow" as const })).rejects.toMatchObject({
      code: "invalid_rule",
    });
    const { rules } = await admin.listRules();
    expect(rules.filter((r) => r.id === "no-clean")).toHaveLength(1);
  });

  test("removing a rule twice succeeds; a rule id never seen is not_found", async () => {
    const admin = warden.session("admin", "rules-remove");
    const added = await admin.addRule({ tool: "Bash(make)", behavior: "allow" });
    await expect(admin.removeRule(added.id)).resolves.toBe(true);
    await expect(admin.removeRule(added.id)).resolves.toBe(true);
    await expect(admin.removeRule("rule_never")).rejects.toMatchObject({ code: "not_found" });
    // An id once removed cannot come back as another rule (a late resend would resurrect it).
    await expect(
      admin.addRule({ id: added.id, tool: "Bash(make)", behavior: "allow" }),
    ).rejects.toMatchObject({ code: "invalid_rule" });
    expect((await admin.listRules()).rules).toHaveLength(0);
  });
});

describe("bad input gets a typed error and changes nothing", () => {
  async function snapshot(sessionId: string) {
    const admin = warden.session("admin", sessionId);
    const [pending, rules, usage, history] = await Promise.all([
      admin.listPending(),
      admin.listRules(),
      admin.getUsage(),
      admin.getHistory(),
    ]);
    return { pending, rules, usage, history };
  }

  async function expectUnchanged(sessionId: string, action: () => Promise<unknown>, code: string) {
    const before = await snapshot(sessionId);
    await expect(action()).rejects.toMatchObject({ group: "user", code });
    expect(await snapshot(sessionId)).toEqual(before);
  }

  test("an unknown permission id", async () => {
    const approver = warden.session("approver", "bad-1");
    await expectUnchanged(
      "bad-1",
      () => approver.respondPermission("bad-1", "perm_nope", "once"),
      "not_found",
    );
  });

  test("a session id that is not this actor's", async () => {
    const agent = warden.session("agent", "bad-2");
    const pending = await agent.requestPermission({
      requestId: "b2",
      toolName: "Bash",
      input: { command: "make" },
      waitMs: 0,
    });
    const approver = warden.session("approver", "bad-2");
    await expectUnchanged(
      "bad-2",
      () => approver.respondPermission("other-session", pending.permissionId, "once"),
      "wrong_session",
    );
  });

  test("an invalid reply", async () => {
    const agent = warden.session("agent", "bad-3");
    const pending = await agent.requestPermission({
      requestId: "b3",
      toolName: "Bash",
      input: { command: "make" },
      waitMs: 0,
    });
    const approver = warden.session("approver", "bad-3");
    await expectUnchanged(
      "bad-3",
      () => approver.respondPermission("bad-3", pending.permissionId, "maybe" as never),
      "invalid_input",
    );
  });

  test("an oversized input", async () => {
    const agent = warden.session("agent", "bad-4");
    const input = { command: "x".repeat(100 * 1024) };
    await expectUnchanged(
      "bad-4",
      () => agent.requestPermission({ requestId: "b4", toolName: "Bash", input }),
      "invalid_input",
    );
  });

  test("a message over the transport limit", async () => {
    const agent = warden.session("agent", "bad-4b");
    const before = await snapshot("bad-4b");
    const input = { command: "x".repeat(400 * 1024) };
    await expect(
      agent.requestPermission({ requestId: "b4b", toolName: "Bash", input }),
    ).rejects.toMatchObject({
      group: "message",
      code: "incoming_too_long",
    });
    expect(await snapshot("bad-4b")).toEqual(before);
  });

  test("a malformed request", async () => {
    const agent = warden.session("agent", "bad-5");
    await expectUnchanged(
      "bad-5",
      () => agent.requestPermission({ requestId: "", toolName: "Bash", input: {} }),
      "invalid_input",
    );
    await expectUnchanged(
      "bad-5",
      () => agent.requestPermission({ toolName: "Bash" } as never),
      "invalid_input",
    );
  });

  test("a malformed rule", async () => {
    const admin = warden.session("admin", "bad-6");
    await expectUnchanged(
      "bad-6",
      () => admin.addRule({ tool: "Bash(npm *", behavior: "allow" }),
      "invalid_rule",
    );
    await expectUnchanged(
      "bad-6",
      () => admin.addRule({ tool: "Bash(npm *)", behavior: "sometimes" as never }),
      "invalid_input",
    );
  });

  test("a malformed always rule in a reply", async () => {
    const agent = warden.session("agent", "bad-7");
    const pending = await agent.requestPermission({
      requestId: "b7",
      toolName: "Bash",
      input: { command: "make" },
      waitMs: 0,
    });
    const approver = warden.session("approver", "bad-7");
    await expectUnchanged(
      "bad-7",
      () =>
        approver.respondPermission("bad-7", pending.permissionId, "always", {
          rule: 'Bash(command =~ "(")',
        }),
      "invalid_rule",
    );
  });

  test("a forbidden mode", async () => {
    const admin = warden.session("admin", "bad-8");
    await expectUnchanged("bad-8", () => admin.setMode("bypassPermissions"), "mode_forbidden");
    await expectUnchanged("bad-8", () => admin.setMode("yolo" as never), "invalid_input");
  });

  test("too many pending requests", async () => {
    const agent = warden.session("agent", "bad-9");
    for (let i = 0; i < 3; i++) {
      await agent.requestPermission({
        requestId: `b9-${i}`,
        toolName: "Bash",
        input: { command: `make ${i}` },
        waitMs: 0,
      });
    }
    await expectUnchanged(
      "bad-9",
      () =>
        agent.requestPermission({
          requestId: "b9-x",
          toolName: "Bash",
          input: { command: "make x" },
        }),
      "too_many_pending",
    );
  });

  test("a token of the wrong role", async () => {
    const approver = warden.session("approver", "bad-10");
    await expectUnchanged(
      "bad-10",
      () => approver.addRule({ tool: "Bash(make)", behavior: "allow" }),
      "forbidden",
    );
  });
});
