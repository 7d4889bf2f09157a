import { policySource } from "@warden/rules";
import { describe, expect, test } from "vitest";
import type { Principal } from "./auth.ts";
import {
  alarmDueBy,
  answer,
  answerDraft,
  cancel,
  decide,
  type Effect,
  expireDue,
  lateReply,
  nextExpiry,
  open,
  projectRulesDelivered,
  type RecordTransition,
  removeLogged,
  settledInLog,
  sweep,
  TIMER_SLACK_MS,
} from "./lifecycle.ts";
import { compileSessionPolicy, type ServerPolicy } from "./policy.ts";
import { lateReplyAnswer } from "./protocol.ts";
import type { PolicyEnv, Reply } from "./reply-resolution.ts";
import {
  checkRetry,
  evaluationContext,
  findByPermissionId,
  findByRequestId,
  onlyLogRecoverable,
  pickRequest,
  recoverFromLog,
  type SessionState,
  upgradeState,
} from "./session-state.ts";

const server: ServerPolicy = {
  project: () =>
    policySource({
      default_behavior: "ask",
      ask: { timeout_seconds: 10, timeout_message: "Too late." },
      rules: [
        { tool: "Read", behavior: "allow" },
        { tool: "Bash(rm *)", behavior: "deny", message: "No deleting." },
      ],
    }),
};
const agent: Principal = { id: "agent-1", role: "agent", projects: ["p"], sessions: "*" };
const agent2: Principal = { id: "agent-2", role: "agent", projects: ["p"], sessions: "*" };
const T0 = 1_000_000;

const empty = (): SessionState => ({
  projectId: "p",
  sessionId: "s",
  createdAt: 0,
  cwd: "/repo",
  home: null,
  mode: null,
  rules: [],
  projectRules: [],
  projectRulesLoaded: true,
  revision: 0,
  evicted: 0,
  usage: { turns: 0, costUsd: 0 },
  seq: 0,
  requests: [],
  projectRuleOutbox: [],
});

const compiled = (state: SessionState) =>
  compileSessionPolicy(server, {
    projectId: state.projectId,
    projectRules: state.projectRules,
    sessionRules: state.rules,
    mode: state.mode,
  });
const env = (state: SessionState): PolicyEnv => ({
  server,
  compiled: compiled(state),
  context: evaluationContext(state),
});
let ids = 0;
const newRuleId = () => `rule_${++ids}`;

function ask(state: SessionState, requestId: string, command: string, cost?: number) {
  return decide(state, {
    principal: agent,
    call: {
      requestId,
      toolName: "Bash",
      input: { command },
      ...(cost !== undefined ? { cost } : {}),
    },
    policy: compiled(state),
    permissionId: `perm_${requestId}`,
    now: T0,
  });
}

/** A session with one open ask. */
function opened(command = "make deploy", cost?: number) {
  const asked = ask(empty(), "r1", command, cost);
  return open(asked.state, asked.record).state;
}

const types = (effects: readonly Effect[]) => effects.map((e) => e.type);
const approver = (id: string, replyId?: string, extra: Partial<Reply["options"]> = {}) => ({
  decider: { kind: "approver" as const, id },
  options: { ...(replyId ? { replyId } : {}), ...extra },
});

describe("decide", () => {
  test("a rule-settled allow is stored resolved, saved and logged, and counts its cost", () => {
    const t = decide(empty(), {
      principal: agent,
      call: { requestId: "r", toolName: "Read", input: { file_path: "a" }, cost: 2 },
      policy: compiled(empty()),
      permissionId: "perm_r",
      now: T0,
    });
    expect(t.kind).toBe("settled");
    expect(t.record).toMatchObject({
      status: "resolved",
      resolution: { outcome: "allow", reason: "rule" },
    });
    expect(t.state.requests).toEqual([t.record]);
    expect(t.state.usage).toEqual({ turns: 1, costUsd: 2 });
    expect(types(t.effects)).toEqual(["audit"]);
  });

  test("a denied call counts as a turn but never its cost", () => {
    const t = ask(empty(), "r", "rm -rf /", 5);
    expect(t.record.resolution).toMatchObject({ outcome: "deny", message: "No deleting." });
    expect(t.state.usage).toEqual({ turns: 1, costUsd: 0 });
  });

  test("an ask is a draft: not stored, no effects, a turn and a sequence number taken", () => {
    const t = ask(empty(), "r", "make");
    expect(t.kind).toBe("ask");
    expect(t.state.requests).toEqual([]);
    expect(t.effects).toEqual([]);
    expect(t.state).toMatchObject({ seq: 1, usage: { turns: 1, costUsd: 0 } });
    expect(t.record).toMatchObject({ status: "pending", seq: 1, expiresAt: T0 + 10_000 });
  });

  test("request ids that name Object.prototype members are ordinary ids", () => {
    let state = empty();
    for (const id of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
      const t = decide(state, {
        principal: agent,
        call: { requestId: id, toolName: "Read", input: {} },
        policy: compiled(state),
        permissionId: `perm_${id}`,
        now: T0,
      });
      state = t.state;
    }
    expect(state.requests.map((r) => r.requestId)).toEqual([
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "valueOf",
    ]);
    expect(Object.getPrototypeOf(state)).toBe(Object.prototype);
  });
});

describe("open", () => {
  test("stores the ask, saves before announcing, tells the inbox and asks for an alarm by its deadline", () => {
    const asked = ask(empty(), "r1", "make");
    const t = open(asked.state, asked.record);
    expect(t.state.requests).toHaveLength(1);
    expect(types(t.effects)).toEqual(["save", "broadcast", "notifyInbox", "schedule"]);
    expect(t.effects.at(-1)).toEqual({ type: "schedule", at: T0 + 10_000 });
  });
});

/** Every way an open request can end, applied at `at`. */
const settlers: Record<string, (state: SessionState, at?: number) => RecordTransition> = {
  once: (s, at = T0 + 1) =>
    answer(s, "perm_r1", { reply: "once", ...approver("alice", "a1") }, env(s), newRuleId, at),
  "always/session": (s, at = T0 + 1) =>
    answer(s, "perm_r1", { reply: "always", ...approver("alice", "a2") }, env(s), newRuleId, at),
  "always/project": (s, at = T0 + 1) =>
    answer(
      s,
      "perm_r1",
      { reply: "always", ...approver("alice", "a3", { scope: "project" }) },
      env(s),
      newRuleId,
      at,
    ),
  reject: (s, at = T0 + 1) =>
    answer(s, "perm_r1", { reply: "reject", ...approver("bob", "b1") }, env(s), newRuleId, at),
  edited: (s, at = T0 + 1) =>
    answer(
      s,
      "perm_r1",
      { reply: "once", ...approver("bob", "b2", { updatedInput: { command: "make test" } }) },
      env(s),
      newRuleId,
      at,
    ),
  timeout: (s, at = T0 + 10_000) => {
    const t = expireDue(s, "Too late.", at);
    return { ...t, record: findByPermissionId(t.state, "perm_r1")! };
  },
  cancel: (s, at = T0 + 1) => cancel(s, agent, "r1", at),
};

/** Applies a settler; a refusal (a thrown typed error or an unaccepted reply) leaves `state`. */
function attempt(state: SessionState, name: string) {
  try {
    const t = settlers[name]!(state);
    if ("accepted" in t && t.accepted === false) return { state: t.state, won: false };
    return { state: t.state, won: t.state !== state, effects: t.effects };
  } catch (error) {
    expect((error as { code?: string }).code).toBe("already_resolved");
    return { state, won: false };
  }
}

describe("settle: one compare-and-set, every pair of endings", () => {
  const names = Object.keys(settlers);
  for (const first of names) {
    for (const second of names) {
      test(`${first} then ${second}: only ${first} settles`, () => {
        const start = opened();
        const a = attempt(start, first);
        expect(a.won).toBe(true);
        const resolution = findByPermissionId(a.state, "perm_r1")!.resolution;
        const b = attempt(a.state, second);
        expect(b.won).toBe(false);
        expect(b.state).toBe(a.state);
        expect(findByPermissionId(b.state, "perm_r1")!.resolution).toBe(resolution);
      });
    }
  }

  test("a settlement writes the audit row (no state save, no timer to cancel), then wakes waiters, announces, tells the inbox and logs", () => {
    for (const name of ["once", "reject", "edited", "timeout", "cancel"]) {
      const t = settlers[name]!(opened());
      expect(types(t.effects)).toEqual(["audit", "wake", "broadcast", "notifyInbox", "log"]);
    }
  });

  test("always/project adds the rule to the session and the outbox together, delivered after the save", () => {
    const t = settlers["always/project"]!(opened());
    expect(t.state.rules.map((r) => r.tool)).toEqual(["Bash(make deploy)"]);
    expect(t.state.projectRuleOutbox).toEqual(t.state.rules);
    expect(t.state.revision).toBe(1);
    expect(types(t.effects).slice(-2)).toEqual(["announceRules", "addProjectRules"]);
    expect(types(t.effects)[0]).toBe("save");
    const delivered = projectRulesDelivered(t.state, new Set(t.state.rules.map((r) => r.id)));
    expect(delivered.projectRuleOutbox).toEqual([]);
    expect(delivered.rules).toEqual(t.state.rules);
  });

  test("always/session keeps the rule out of the project outbox", () => {
    const t = settlers["always/session"]!(opened());
    expect(t.state.rules).toHaveLength(1);
    expect(t.state.projectRuleOutbox).toEqual([]);
    expect(types(t.effects)).not.toContain("addProjectRules");
  });

  test("an edited input that a deny rule covers is denied", () => {
    const s = opened();
    const t = answer(
      s,
      "perm_r1",
      { reply: "once", ...approver("bob", "x", { updatedInput: { command: "rm -rf /" } }) },
      env(s),
      newRuleId,
      T0 + 1,
    );
    expect(t.record.resolution).toMatchObject({ outcome: "deny", reason: "rule" });
  });

  test("an invalid always rule changes nothing", () => {
    const s = opened();
    expect(() =>
      answer(
        s,
        "perm_r1",
        { reply: "always", ...approver("a", "x", { rule: "Bash(" }) },
        env(s),
        newRuleId,
        T0 + 1,
      ),
    ).toThrow(expect.objectContaining({ code: "invalid_rule" }));
  });
});

describe("timeouts, in one place", () => {
  test("a reply at or past the deadline loses to the timeout, and is told so", () => {
    const s = opened();
    const t = settlers.once!(s, T0 + 10_000) as ReturnType<typeof answer>;
    expect(t.accepted).toBe(false);
    expect(t.record.resolution).toMatchObject({ reason: "timed_out", message: "Too late." });
    expect(() => lateReply(t.record, approver("alice", "a1"))).toThrow(
      expect.objectContaining({ code: "already_resolved" }),
    );
  });

  test("a reply just before the deadline wins, and the alarm then finds nothing to do", () => {
    const t = settlers.once!(opened(), T0 + 9_999);
    expect(t.record.resolution?.outcome).toBe("allow");
    const fired = expireDue(t.state, "Too late.", T0 + 10_000);
    expect(fired.effects).toEqual([]);
    expect(fired.state).toBe(t.state);
  });

  test("an alarm firing early within the slack expires what it was armed for; earlier it only arms again", () => {
    const s = opened();
    const deadline = T0 + 10_000;
    const early = deadline - TIMER_SLACK_MS - 1;
    expect(expireDue(s, "m", early, alarmDueBy(deadline, early)).effects).toEqual([
      { type: "schedule", at: deadline },
    ]);
    const slack = deadline - TIMER_SLACK_MS;
    expect(types(expireDue(s, "m", slack, alarmDueBy(deadline, slack)).effects)).toContain("wake");
    // Without the alarm's time (an earlier version's timer, or the wake's sweep): only what is due.
    expect(alarmDueBy("perm_r1", slack)).toBe(slack);
    expect(expireDue(s, "m", slack).effects).toEqual([{ type: "schedule", at: deadline }]);
  });

  test("a request due just after the firing alarm's time is not expired early by it", () => {
    let s = opened();
    const next = ask(s, "r2", "make r2");
    s = open(next.state, { ...next.record, expiresAt: T0 + 10_500 }).state;
    const now = T0 + 10_000;
    const t = expireDue(s, "Too late.", now, alarmDueBy(T0 + 10_000, now));
    expect(findByPermissionId(t.state, "perm_r1")?.status).toBe("resolved");
    expect(findByPermissionId(t.state, "perm_r2")?.status).toBe("pending");
    expect(t.effects.filter((e) => e.type === "schedule")).toEqual([
      { type: "schedule", at: T0 + 10_500 },
    ]);
  });

  test("one alarm serves every pending request: it expires all that are due and arms for the earliest left", () => {
    let s = opened();
    for (const [id, expiresAt] of [
      ["r2", T0 + 5_000],
      ["r3", T0 + 40_000],
      ["r4", T0 + 30_000],
    ] as const) {
      const next = ask(s, id, `make ${id}`);
      s = open(next.state, { ...next.record, expiresAt }).state;
    }
    expect(nextExpiry(s)).toBe(T0 + 5_000);
    const t = expireDue(s, "Too late.", T0 + 10_000);
    expect(t.state.requests.filter((r) => r.status === "pending").map((r) => r.requestId)).toEqual([
      "r3",
      "r4",
    ]);
    expect(types(t.effects).filter((e) => e === "audit")).toHaveLength(1);
    expect(t.effects.filter((e) => e.type === "wake")).toHaveLength(2);
    expect(t.effects.filter((e) => e.type === "schedule")).toEqual([
      { type: "schedule", at: T0 + 30_000 },
    ]);
    expect(nextExpiry(settlers.reject!(opened()).state)).toBeUndefined();
  });

  test("sweep times out what fell due, arms the alarm for the rest and redelivers project rules", () => {
    let s = opened();
    const second = ask(s, "r2", "make other");
    s = open(second.state, { ...second.record, expiresAt: T0 + 60_000 }).state;
    s = {
      ...s,
      projectRuleOutbox: [
        { id: "x", tool: "Read", behavior: "allow", addedBy: "a", addedAt: 0, source: "always" },
      ],
    };
    const t = sweep(s, "Too late.", T0 + 20_000);
    expect(findByPermissionId(t.state, "perm_r1")?.resolution?.reason).toBe("timed_out");
    expect(findByPermissionId(t.state, "perm_r2")?.status).toBe("pending");
    expect(t.effects.filter((e) => e.type === "schedule")).toEqual([
      { type: "schedule", at: T0 + 60_000 },
    ]);
    expect(types(t.effects).filter((e) => e === "audit")).toHaveLength(1);
    expect(types(t.effects)).toContain("addProjectRules");
  });
});

describe("replies: a resend is told apart from a second click", () => {
  test("the same reply id from the same approver gets the original answer", () => {
    const t = settlers.once!(opened());
    expect(lateReply(t.record, approver("alice", "a1"))).toBe(t.record);
  });

  test("another reply id, even from the same approver, is already_resolved and says it was theirs", () => {
    const t = settlers.once!(opened());
    expect(() => lateReply(t.record, approver("alice", "a-other"))).toThrow(
      expect.objectContaining({
        code: "already_resolved",
        metadata: expect.objectContaining({ byYou: true }),
      }),
    );
    expect(() => lateReply(t.record, approver("alice"))).toThrow(
      expect.objectContaining({ code: "already_resolved" }),
    );
  });

  test("another approver with the winning reply id is refused", () => {
    const t = settlers.once!(opened());
    expect(() => lateReply(t.record, approver("bob", "a1"))).toThrow(
      expect.objectContaining({
        code: "already_resolved",
        metadata: expect.objectContaining({ byYou: false }),
      }),
    );
  });
});

describe("lateReplyAnswer: the late reply's answer, where the caller may be unknown (the SDK's inbox)", () => {
  test("a caller that cannot tell whether it decided gets no answer (the reply is sent)", () => {
    const t = settlers.once!(opened());
    const unknown = { replyId: "other", isCaller: () => undefined };
    expect(lateReplyAnswer(t.record.permissionId, t.record.resolution, unknown)).toBeNull();
  });

  test("a decider that is not an approver is never the caller", () => {
    const resolution = {
      ...settlers.once!(opened()).record.resolution!,
      decidedBy: { kind: "timeout" as const },
    };
    const answer = lateReplyAnswer("perm_1", resolution, { replyId: "r", isCaller: () => false });
    expect(answer).toEqual({
      kind: "already_resolved",
      message: "request perm_1 was already resolved",
      metadata: { resolution, byYou: false },
    });
  });

  test("the caller's own reply id gets the resend answer", () => {
    const t = settlers.once!(opened());
    const mine = { replyId: "a1", isCaller: (d: { id?: string }) => d.id === "alice" };
    expect(lateReplyAnswer(t.record.permissionId, t.record.resolution, mine)).toEqual({
      kind: "resend",
    });
  });
});

describe("cost and retries", () => {
  test("an ask's cost counts once it is allowed, never when rejected or timed out", () => {
    expect(settlers.once!(opened("make", 3)).state.usage.costUsd).toBe(3);
    expect(settlers.reject!(opened("make", 3)).state.usage.costUsd).toBe(0);
    expect(settlers.timeout!(opened("make", 3)).state.usage.costUsd).toBe(0);
    expect(settlers.cancel!(opened("make", 3)).state.usage.costUsd).toBe(0);
  });

  test("a pending ask's cost is held against the budget until it settles", () => {
    const budgeted = compileSessionPolicy(
      {
        project: () =>
          policySource({
            default_behavior: "ask",
            rules: [{ tool: "Read", behavior: "allow" }],
            budgets: { max_cost_usd: 5 },
          }),
      },
      { projectId: "p", projectRules: [], sessionRules: [], mode: null },
    );
    const read = (state: SessionState, requestId: string) =>
      decide(state, {
        principal: agent,
        call: { requestId, toolName: "Read", input: { file_path: "a" }, cost: 3 },
        policy: budgeted,
        permissionId: `perm_${requestId}`,
        now: T0,
      });
    const pending = opened("make", 3);
    // 3 held by the pending ask + 3 asked now > 5: over budget while it waits.
    expect(read(pending, "x").record.resolution).toMatchObject({
      outcome: "deny",
      reason: "budget_exceeded",
    });
    // Released when it is rejected, timed out or cancelled; spent when it is allowed.
    for (const released of ["reject", "timeout", "cancel"]) {
      const settled = settlers[released]!(pending).state;
      expect(read(settled, "x").record.resolution, released).toMatchObject({ outcome: "allow" });
    }
    expect(read(settlers.once!(pending).state, "x").record.resolution).toMatchObject({
      outcome: "deny",
      reason: "budget_exceeded",
    });
    // Without a pending ask the same call fits.
    expect(read(empty(), "x").record.resolution).toMatchObject({ outcome: "allow" });
  });

  test("a known request id with another tool or input is a conflict", () => {
    const known = { toolName: "Bash", input: { command: "ls", n: [1, 2] } };
    expect(() =>
      checkRetry(known, {
        requestId: "r",
        toolName: "Bash",
        input: { n: [1, 2], command: "ls" },
      }),
    ).not.toThrow();
    expect(() =>
      checkRetry(known, { requestId: "r", toolName: "Bash", input: { command: "rm" } }),
    ).toThrow(expect.objectContaining({ code: "conflict" }));
    expect(() =>
      checkRetry(known, { requestId: "r", toolName: "Read", input: known.input }),
    ).toThrow(expect.objectContaining({ code: "conflict" }));
  });

  test("request ids are per requester: another agent's id is a new request, never told", () => {
    const mine = ask(empty(), "r1", "make");
    const first = open(mine.state, mine.record).state;
    // agent2 decides a call under the same id: a second request, the first unchanged.
    const theirs = decide(first, {
      principal: agent2,
      call: { requestId: "r1", toolName: "Bash", input: { command: "make other" } },
      policy: compiled(first),
      permissionId: "perm-2",
      now: T0,
    });
    const both = theirs.kind === "ask" ? open(theirs.state, theirs.record).state : theirs.state;
    expect(both.requests.map((r) => [r.requestedBy, r.requestId])).toEqual([
      [agent.id, "r1"],
      [agent2.id, "r1"],
    ]);
    expect(findByRequestId(both, agent.id, "r1")).toEqual(mine.record);
    expect(pickRequest([both.requests], agent2, "r1")?.record.permissionId).toBe("perm-2");
    // An agent never reads another's; an approver reads either.
    const admin: Principal = { id: "admin-1", role: "admin", projects: ["p"], sessions: "*" };
    expect(pickRequest([first.requests], agent2, "r1")).toBeUndefined();
    expect(pickRequest([first.requests], admin, "r1")?.record).toEqual(mine.record);
    // An admin's own request under the id comes first, wherever it is (here the second source).
    const adminOwn = { ...mine.record, requestedBy: admin.id, permissionId: "perm-admin" };
    expect(pickRequest([first.requests, [adminOwn]], admin, "r1")).toEqual({
      record: adminOwn,
      source: 1,
    });
    // agent2 cancelling "r1" cancels its own; without one it is an unknown id.
    expect(() => cancel(first, agent2, "r1", T0)).toThrow(
      expect.objectContaining({ code: "not_found" }),
    );
    const cancelled = cancel(both, agent2, "r1", T0);
    expect(cancelled.record.permissionId).toBe("perm-2");
    expect(findByRequestId(cancelled.state, agent.id, "r1")?.status).toBe("pending");
  });

  test("the hook's answer stores and settles the draft in one step", () => {
    const asked = ask(empty(), "r1", "make");
    const t = answerDraft(
      asked.state,
      asked.record,
      { reply: "once", options: {}, decider: { kind: "hook", id: "h" } },
      env(asked.state),
      newRuleId,
      T0,
    );
    expect(t.state.requests).toHaveLength(1);
    expect(t.record.resolution).toMatchObject({ outcome: "allow", reason: "hook" });
    expect(types(t.effects)).toEqual(["audit", "wake", "broadcast", "log"]);
  });
});

describe("the audit log", () => {
  test("logged records leave the state and are counted", () => {
    const t = settlers.once!(opened());
    const after = removeLogged(t.state, new Set(["perm_r1"]));
    expect(after.requests).toEqual([]);
    expect(after.evicted).toBe(1);
  });

  test("after a crash, a pending request the log holds settled leaves the state; others stay", () => {
    let s = opened();
    const second = ask(s, "r2", "make other");
    s = open(second.state, second.record).state;
    const after = settledInLog(s, new Set(["perm_r1", "perm_unknown"]));
    expect(after.requests.map((r) => r.permissionId)).toEqual(["perm_r2"]);
    expect(after.evicted).toBe(1);
    expect(settledInLog(s, new Set(["perm_unknown"]))).toBe(s);
    // A resolved record the log holds is left to the append (which ignores duplicates).
    const settled = settlers.reject!(s).state;
    expect(settledInLog(settled, new Set(["perm_r1"]))).toBe(settled);
  });
});

describe("state saved by an earlier version", () => {
  test("requests and timers kept in objects by id become the array, without timer ids", () => {
    const current = opened();
    const record = { ...current.requests[0]!, logged: false };
    const saved = {
      ...current,
      requests: { [record.permissionId]: record },
      requestIds: { [record.requestId]: record.permissionId },
      timers: { [record.permissionId]: "timer-9" },
      projectRuleOutbox: undefined,
    } as unknown as SessionState;
    const upgraded = upgradeState(saved);
    expect(upgraded.requests).toEqual(current.requests);
    expect(upgraded).not.toHaveProperty("timers");
    expect(upgraded).not.toHaveProperty("requestIds");
    expect(upgraded.projectRuleOutbox).toEqual([]);
    expect(upgradeState(upgraded)).toBe(upgraded);
  });

  test("a record carrying its own timer id (one timer per ask) loses it; its timer still expires what is due", () => {
    const current = opened();
    const saved = {
      ...current,
      requests: [{ ...current.requests[0]!, timerId: "timer-1" }],
    } as unknown as SessionState;
    const upgraded = upgradeState(saved);
    expect(upgraded.requests).toEqual(current.requests);
    expect(upgraded.requests[0]).not.toHaveProperty("timerId");
    expect(upgradeState(upgraded)).toBe(upgraded);
  });
});

describe("recoverFromLog: the counters a rule decision left only in the audit log", () => {
  const saved = { ...empty(), seq: 4, evicted: 3, usage: { turns: 4, costUsd: 1 } };

  test("a state as far as the log is kept as it is", () => {
    expect(recoverFromLog(saved, { seq: 4, turns: 4, costUsd: 1, rows: 3 })).toBe(saved);
  });

  test("a state behind the log takes the log's sequence number and usage", () => {
    const recovered = recoverFromLog(saved, { seq: 9, turns: 9, costUsd: 2.5, rows: 8 });
    expect(recovered).toMatchObject({ seq: 9, usage: { turns: 9, costUsd: 2.5 }, evicted: 8 });
    // The next decision takes a sequence number the log does not hold yet.
    const next = decide(recovered, {
      principal: agent,
      call: { requestId: "r-next", toolName: "Read", input: { file_path: "a" } },
      policy: compiled(recovered),
      permissionId: "perm_next",
      now: T0,
    });
    expect(next.record.seq).toBe(10);
  });

  test("counters never go back, and a log with rows marks the state as having evicted some", () => {
    const fresh = empty();
    expect(recoverFromLog(fresh, { seq: 2, turns: 1, costUsd: 0, rows: 2 })).toMatchObject({
      seq: 2,
      usage: { turns: 1, costUsd: 0 },
      evicted: 2,
    });
    expect(recoverFromLog(saved, { seq: 1, turns: 1, costUsd: 0, rows: 1 })).toBe(saved);
  });
});

describe("onlyLogRecoverable: which changes need no state save", () => {
  const decideAllow = (state: SessionState, requestId: string) =>
    decide(state, {
      principal: agent,
      call: { requestId, toolName: "Read", input: { file_path: "a.txt" } },
      policy: compiled(state),
      permissionId: `perm_${requestId}`,
      now: T0,
    });

  test("a rule-settled call, its log row's eviction and recovered counters need none", () => {
    const saved = empty();
    const settled = decideAllow(saved, "a1");
    expect(settled.kind).toBe("settled");
    expect(onlyLogRecoverable(saved, settled.state)).toBe(true);
    const evicted = removeLogged(settled.state, new Set(["perm_a1"]));
    expect(onlyLogRecoverable(saved, evicted)).toBe(true);
    const recovered = recoverFromLog(saved, { seq: 9, turns: 9, costUsd: 2, rows: 9 });
    expect(onlyLogRecoverable(saved, recovered)).toBe(true);
  });

  test("an ask settled without rules, and its log row's eviction, need none", () => {
    const asked = ask(empty(), "r1", "make deploy");
    const withAsk = open(asked.state, asked.record).state;
    for (const name of ["once", "reject", "timeout", "cancel"]) {
      const settled = settlers[name]!(withAsk);
      expect(settled.effects, name).toContainEqual({ type: "audit" });
      expect(onlyLogRecoverable(withAsk, settled.state), name).toBe(true);
      const evicted = removeLogged(settled.state, new Set([settled.record.permissionId]));
      expect(onlyLogRecoverable(withAsk, evicted), name).toBe(true);
    }
  });

  test("an ask opening, settling with rules, and any change of rules, mode or place, need one", () => {
    const saved = empty();
    const asked = ask(saved, "r1", "make deploy");
    const withAsk = open(asked.state, asked.record).state;
    expect(onlyLogRecoverable(saved, withAsk)).toBe(false);
    expect(onlyLogRecoverable(withAsk, settlers["always/session"]!(withAsk).state)).toBe(false);
    // Another ask opening while the first settles: the new one is not in the saved state.
    const second = ask(settlers.reject!(withAsk).state, "r2", "make deploy again");
    expect(onlyLogRecoverable(withAsk, open(second.state, second.record).state)).toBe(false);
    // Pending requests in another order are not the saved ones.
    const third = ask(withAsk, "r3", "make deploy 3");
    const both = open(third.state, third.record).state;
    expect(onlyLogRecoverable(both, { ...both, requests: [...both.requests].reverse() })).toBe(
      false,
    );
    for (const change of [
      { mode: "plan" as const },
      { cwd: "/work" },
      { rules: [] },
      { projectRulesLoaded: false },
      { projectRuleOutbox: [] },
      { revision: 1 },
    ])
      expect(onlyLogRecoverable(saved, { ...saved, ...change }), JSON.stringify(change)).toBe(
        false,
      );
    const { cwd: _cwd, ...withoutKey } = saved;
    expect(onlyLogRecoverable(saved, withoutKey as SessionState)).toBe(false);
  });
});
