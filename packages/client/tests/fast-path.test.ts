import type { WardenRegistry } from "@warden/server";
import { createClient } from "rivetkit/client";
import { beforeAll, describe, expect, test } from "vitest";
import type { WardenClient } from "../src/index.ts";
import { POLL, useFastPathServer } from "./fixtures/fast-path-server.ts";

const warden = useFastPathServer();
const { freshPolicy } = warden;
let agent: WardenClient;
let admin: WardenClient;
let approver: WardenClient;

beforeAll(() => {
  agent = warden.client("agent-token");
  admin = warden.admin();
  approver = warden.client("approver-token");
});

describe("the fast path", () => {
  test("rule-settled calls are decided locally and still reach the audit log", async () => {
    const session = agent.session("fp-log");
    await session.requestPermission({ toolName: "Read", input: { file_path: "warm-up" } });
    await freshPolicy(agent, "fp-log");
    const decisions = await Promise.all(
      ["a", "b", "c"].map((name) =>
        session.requestPermission({
          toolName: "Read",
          input: { file_path: name },
          requestId: `fp-read-${name}`,
        }),
      ),
    );
    expect(decisions).toMatchObject([
      { behavior: "allow", reason: "rule" },
      { behavior: "allow" },
      { behavior: "allow" },
    ]);
    await session.flush();
    const history = await approver.session("fp-log").getHistory();
    expect(history.entries.map((e) => e.requestId)).toEqual(
      expect.arrayContaining(["fp-read-a", "fp-read-b", "fp-read-c"]),
    );
    expect(history.entries.find((e) => e.requestId === "fp-read-a")).toMatchObject({
      resolution: { outcome: "allow", reason: "rule", decidedBy: { kind: "policy" } },
    });
  });

  test("a deny rule added on the server is honoured locally once rulesChanged arrives", async () => {
    const session = agent.session("fp-deny");
    await session.requestPermission({ toolName: "Read", input: { file_path: "warm-up" } });
    await freshPolicy(agent, "fp-deny");
    const before = session.localPolicy.version;
    await expect(
      session.requestPermission({ toolName: "Read", input: { file_path: "x" } }),
    ).resolves.toMatchObject({
      behavior: "allow",
    });

    await (await admin.session("fp-deny").connection()).addRule({
      tool: "Read",
      behavior: "deny",
      message: "No reading now.",
    });
    // Until `rulesChanged` reaches this client the SDK may still allow locally (the window
    // docs/client.md describes); once the server's policy is the one it holds, it denies.
    await freshPolicy(agent, "fp-deny");
    expect(session.localPolicy.version).not.toBe(before);
    await expect(
      session.requestPermission({ toolName: "Read", input: { file_path: "y" } }),
    ).resolves.toEqual({
      behavior: "deny",
      reason: "rule",
      message: "No reading now.",
    });
  });

  test("asks always go to the server", async () => {
    const session = agent.session("fp-ask");
    await session.requestPermission({ toolName: "Read", input: { file_path: "warm-up" } });
    await freshPolicy(agent, "fp-ask");
    const asking = session.requestPermission({ toolName: "Bash", input: { command: "make" } });
    await expect
      .poll(async () => (await approver.session("fp-ask").listPending()).length, POLL)
      .toBe(1);
    const [request] = await approver.session("fp-ask").listPending();
    await approver.session("fp-ask").respond(request!.permissionId, "reject");
    await expect(asking).resolves.toMatchObject({ behavior: "deny", reason: "rejected" });
  });

  test("with the fast path off every call goes to the server", async () => {
    const strict = warden.client("agent-token", { fastPath: "off" });
    try {
      const session = strict.session("fp-off");
      await session.requestPermission({
        toolName: "Read",
        input: { file_path: "a" },
        requestId: "off-1",
      });
      expect(session.localPolicy.version).toBeUndefined();
      const history = await approver.session("fp-off").getHistory();
      expect(history.entries.map((e) => e.requestId)).toContain("off-1");
    } finally {
      await strict.dispose();
    }
  });

  // The session actor's `getPolicy` reads the project's rules like the deciding actions do: an SDK
  // that fetches its policy before its session's first server-decided call must not hold a
  // "fresh" policy without an admin's project deny rule (it allowed locally what the actor denied).
  test("a policy fetched before the session's first decision holds the project's deny rules", async () => {
    const rivet = createClient<WardenRegistry>({
      endpoint: warden.server.endpoint,
      devtools: false,
    });
    try {
      await rivet.wardenProject
        .getOrCreate(["demo"], { params: { token: "admin-token" } })
        .addProjectRules([{ tool: "Read(/vault/**)", behavior: "deny", message: "No vault." }]);
      const session = agent.session("fp-project-rules-first");
      // Wires the fast path; the call is an ask, so nothing is decided and nothing reported.
      expect(session.decideLocally({ toolName: "Glob", input: { pattern: "*" } })).toBeUndefined();
      await expect.poll(() => session.localPolicy.fresh, POLL).toBe(true);
      const local = session.decideLocally({ toolName: "Read", input: { file_path: "/vault/key" } });
      const actor = await strictDecision("fp-project-rules-first", "/vault/key");
      expect(actor).toBe("deny");
      expect(local?.behavior ?? "to the actor").not.toBe("allow");
    } finally {
      await rivet.dispose();
    }
  });
});

/** The actor's decision for a Read with the fast path off. */
async function strictDecision(sessionId: string, path: string): Promise<string> {
  const strict = warden.client("agent-token", { fastPath: "off" });
  const decision = await strict
    .session(sessionId)
    .requestPermission({ toolName: "Read", input: { file_path: path } });
  return decision.behavior;
}
