import { policySource } from "@warden/rules";
import { describe, expect, test } from "vitest";
import type { Principal } from "./auth.ts";
import { decide } from "./lifecycle.ts";
import { batchFromWire, type KnownCall, recordLocal } from "./local-decisions.ts";
import { compileSessionPolicy, type ServerPolicy } from "./policy.ts";
import { MAX_MESSAGE_BYTES } from "./protocol.ts";
import { type LocalDecision, LocalDecisionBatchSchema } from "./schema.ts";
import { initialState, type SessionState } from "./session-state.ts";

const server: ServerPolicy = {
  project: () =>
    policySource({
      default_behavior: "ask",
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
  ...initialState("p", "s", 0),
  cwd: "/repo",
  projectRulesLoaded: true,
});
const policy = compileSessionPolicy(server, {
  projectId: "p",
  projectRules: [],
  sessionRules: [],
  mode: null,
});

const entry = (requestId: string, over: Partial<LocalDecision> = {}): LocalDecision => ({
  requestId,
  toolName: "Read",
  input: { file_path: `/repo/${requestId}` },
  decision: "allow",
  policyVersion: policy.version,
  decidedAt: T0 - 5,
  ...over,
});

function record(
  state: SessionState,
  entries: LocalDecision[],
  options: { principal?: Principal; known?: (id: string) => KnownCall | undefined } = {},
) {
  return recordLocal(state, {
    principal: options.principal ?? agent,
    entries,
    policy,
    known: options.known ?? (() => undefined),
    newPermissionId: (seq) => `perm_${seq}`,
    now: T0,
  });
}

describe("recording local decisions", () => {
  test("agreeing entries are stored resolved by the policy, with their turns and cost", () => {
    const result = record(empty(), [
      entry("a", { cost: 0.5 }),
      entry("b", { toolName: "Bash", input: { command: "rm -rf x" }, decision: "deny", cost: 2 }),
    ]);
    expect(result.answer).toEqual({
      recorded: 2,
      duplicates: [],
      conflicts: [],
      mismatches: [],
      policyVersion: policy.version,
    });
    expect(result.state.usage).toEqual({ turns: 2, costUsd: 0.5 });
    expect(result.state.seq).toBe(2);
    expect(
      result.state.requests.map((r) => [r.requestId, r.status, r.resolution?.outcome]),
    ).toEqual([
      ["a", "resolved", "allow"],
      ["b", "resolved", "deny"],
    ]);
    expect(result.state.requests[0]!.resolution).toMatchObject({
      reason: "rule",
      decidedBy: { kind: "policy", rule: { pattern: "Read" } },
      local: {
        behavior: "allow",
        policyVersion: policy.version,
        decidedAt: T0 - 5,
        server: "allow",
      },
    });
  });

  test("only a save and the audit log follow: no broadcast, inbox, timer, hook or wake", () => {
    const result = record(empty(), [
      entry("a"),
      entry("b", { toolName: "Bash", input: { command: "make" } }),
    ]);
    expect(result.effects).toEqual([{ type: "audit" }]);
  });

  test.each([
    ["an allow the rules deny", { toolName: "Bash", input: { command: "rm -rf /" } }, "deny"],
    ["an allow the rules would ask about", { toolName: "Bash", input: { command: "make" } }, "ask"],
  ] as const)("%s is a mismatch, stored as a deny that counts no cost", (_name, call, server) => {
    const result = record(empty(), [entry("forged", { ...call, decision: "allow", cost: 9 })]);
    expect(result.answer.mismatches).toEqual([
      {
        requestId: "forged",
        local: "allow",
        server:
          server === "ask" ? "ask" : { behavior: "deny", reason: "rule", message: "No deleting." },
      },
    ]);
    const [stored] = result.state.requests;
    expect(stored!.resolution).toMatchObject({
      outcome: "deny",
      reason: "local_mismatch",
      decidedBy: { kind: "agent", id: "agent-1" },
      local: { behavior: "allow", server },
    });
    expect(result.state.usage).toEqual({ turns: 1, costUsd: 0 });
    // A retry of the same id through requestPermission is answered from this record: a deny.
    expect(() =>
      decide(result.state, {
        principal: agent,
        call: { requestId: "forged", ...call },
        policy,
        permissionId: "perm_x",
        now: T0,
      }),
    ).toThrow(/already in state/);
  });

  test("a deny the rules would allow is a mismatch too (the call did not run)", () => {
    const result = record(empty(), [entry("a", { decision: "deny" })]);
    expect(result.answer.mismatches).toMatchObject([
      { requestId: "a", local: "deny", server: { behavior: "allow" } },
    ]);
    expect(result.state.requests[0]!.resolution).toMatchObject({
      outcome: "deny",
      reason: "local_mismatch",
    });
  });

  test("a resent batch is not counted twice, in state or in the log", () => {
    const first = record(empty(), [entry("a", { cost: 1 }), entry("b")]);
    const again = record(first.state, [entry("a", { cost: 1 }), entry("b")]);
    expect(again.answer).toMatchObject({ recorded: 0, duplicates: ["a", "b"], conflicts: [] });
    expect(again.state).toBe(first.state);
    expect(again.effects).toEqual([]);
    const fromLog = record(empty(), [entry("a")], {
      known: (id) => first.state.requests.find((r) => r.requestId === id),
    });
    expect(fromLog.answer).toMatchObject({ recorded: 0, duplicates: ["a"] });
  });

  test("the same id twice in one batch is recorded once", () => {
    const result = record(empty(), [entry("a"), entry("a")]);
    expect(result.answer).toMatchObject({ recorded: 1, duplicates: ["a"] });
    expect(result.state.usage.turns).toBe(1);
  });

  test("an id the caller used for another call is a conflict and not recorded", () => {
    const first = record(empty(), [entry("a")]);
    const other = record(first.state, [entry("a", { input: { file_path: "/etc/shadow" } })]);
    expect(other.answer).toMatchObject({ recorded: 0, conflicts: ["a"] });
    expect(other.state).toBe(first.state);
  });

  test("another agent's id is answered as a fresh one: recorded as its own, never told", () => {
    const first = record(empty(), [entry("a")]);
    // What agent2 gets for agent-1's id "a" is what it gets for an id nobody used.
    const stranger = record(first.state, [entry("a")], { principal: agent2 });
    const fresh = record(first.state, [entry("z")], { principal: agent2 });
    expect(stranger.answer).toEqual(fresh.answer);
    expect(stranger.answer).toMatchObject({ recorded: 1, duplicates: [], conflicts: [] });
    expect(stranger.state.requests.map((r) => [r.requestedBy, r.requestId])).toEqual([
      [agent.id, "a"],
      [agent2.id, "a"],
    ]);
    // Either agent's resend is its own duplicate.
    const again = record(stranger.state, [entry("a")], { principal: agent2 });
    expect(again.answer).toMatchObject({ recorded: 0, duplicates: ["a"], conflicts: [] });
    expect(record(stranger.state, [entry("a")]).answer).toMatchObject({ duplicates: ["a"] });
  });

  test("budgets are decided again with the usage so far, entry by entry", () => {
    const budgeted = compileSessionPolicy(
      {
        project: () =>
          policySource({ rules: [{ tool: "Read", behavior: "allow" }], budgets: { max_turns: 2 } }),
      },
      { projectId: "p", projectRules: [], sessionRules: [], mode: null },
    );
    const result = recordLocal(empty(), {
      principal: agent,
      entries: [entry("a"), entry("b"), entry("c")],
      policy: budgeted,
      known: () => undefined,
      newPermissionId: (seq) => `perm_${seq}`,
      now: T0,
    });
    expect(result.answer.mismatches.map((m) => m.requestId)).toEqual(["c"]);
    expect(result.state.usage.turns).toBe(3);
  });
});

describe("the batch schema", () => {
  test("is bounded, and refuses unknown fields and bad decisions", () => {
    expect(LocalDecisionBatchSchema.safeParse([]).success).toBe(false);
    expect(
      LocalDecisionBatchSchema.safeParse(Array.from({ length: 501 }, (_, i) => entry(`e${i}`)))
        .success,
    ).toBe(false);
    expect(
      LocalDecisionBatchSchema.safeParse(Array.from({ length: 500 }, (_, i) => entry(`e${i}`)))
        .success,
    ).toBe(true);
    expect(LocalDecisionBatchSchema.safeParse([{ ...entry("a"), decision: "ask" }]).success).toBe(
      false,
    );
    expect(LocalDecisionBatchSchema.safeParse([{ ...entry("a"), waitMs: 0 }]).success).toBe(false);
    expect(
      LocalDecisionBatchSchema.safeParse([{ ...entry("a"), requestId: "__proto__" }]).success,
    ).toBe(false);
  });
});

describe("a batch over the wire", () => {
  test("its JSON text reads as the same batch as the array", () => {
    const batch = [entry("w-1"), entry("w-2", { decision: "deny" })];
    expect(batchFromWire(JSON.stringify(batch))).toEqual(batch);
    expect(batchFromWire(batch)).toBe(batch);
  });

  test("text that is not JSON, or longer than a message, is invalid_input", () => {
    for (const text of ["[{", "", "undefined", `[${" ".repeat(MAX_MESSAGE_BYTES)}]`])
      expect(() => batchFromWire(text)).toThrow(
        expect.objectContaining({ code: "invalid_input" }) as unknown as Error,
      );
  });

  test("what the text holds is then checked as any batch is (a number is no batch)", () => {
    expect(LocalDecisionBatchSchema.safeParse(batchFromWire("42")).success).toBe(false);
    expect(LocalDecisionBatchSchema.safeParse(batchFromWire("[]")).success).toBe(false);
  });
});
