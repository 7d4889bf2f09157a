import { policySource } from "@warden/rules";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ProjectHistoryEntry, ProjectHistoryPage } from "../src/index.ts";
import type { InboxReport } from "../src/project.ts";
import { type RunningWarden, startWarden, type TokenName } from "./warden-harness.ts";

// The project's history index, through a real server and engine: sessions report their resolved
// requests to the project, and reading the project's history reads the index alone.

const INTERNAL = "history-test-internal-token-0123456789abcdef";
const POLL = { timeout: 30_000, interval: 100 };
/** Sessions whose entries are written straight into the index: no actor exists for them. */
const SESSIONS = 1_000;

let warden: RunningWarden;

beforeAll(async () => {
  warden = await startWarden({
    internalToken: INTERNAL,
    policy: {
      defaultProject: policySource({
        default_behavior: "ask",
        ask: { timeout_seconds: 30 },
        rules: [{ tool: "Read", behavior: "allow" }],
      }),
    },
  });
});

afterAll(async () => {
  await warden?.stop();
});

const project = (token: TokenName | typeof INTERNAL, projectId = "p1") =>
  warden.client.wardenProject.getOrCreate([projectId], { params: { token } });

let clock = 1_700_000_000_000;
/** A resolved request as a session reports it; `at` is its resolution time. */
function entry(projectId: string, sessionId: string, n: number, at = ++clock): ProjectHistoryEntry {
  return {
    permissionId: `perm_${sessionId}_${n}`,
    requestId: `req-${n}`,
    projectId,
    sessionId,
    toolName: "Bash",
    input: { command: `make ${n}` },
    action: `Run command: make ${n}`,
    createdAt: at - 5,
    expiresAt: at + 30_000,
    requestedBy: "agent-1",
    evaluation: { decision: "ask", reason: "default", message: "", rule: null, tier: null },
    status: "resolved",
    resolution: {
      outcome: "allow",
      reason: "approved",
      message: "",
      input: { command: `make ${n}` },
      decidedBy: { kind: "approver", id: "alice" },
      resolvedAt: at,
    },
    seq: n,
  } as ProjectHistoryEntry;
}

const report = (sessionId: string, history: ProjectHistoryEntry[]): InboxReport => ({
  sessionId,
  changes: [],
  history,
});

/** Every page of the history from the newest, with `between` run after each page. */
async function readAll(
  read: (before?: string) => Promise<ProjectHistoryPage>,
  between: () => Promise<void> = async () => undefined,
): Promise<ProjectHistoryEntry[]> {
  const seen: ProjectHistoryEntry[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await read(before);
    seen.push(...page.entries);
    if (page.nextBefore === null) return seen;
    before = page.nextBefore;
    await between();
  }
}

/** Whether a session actor exists at all (`get` never creates one). */
async function sessionExists(projectId: string, sessionId: string): Promise<boolean> {
  try {
    await warden.client.permissionSession.get([projectId, sessionId]).resolve();
    return true;
  } catch {
    return false;
  }
}

describe("the project's history index", () => {
  const projectId = "p1";
  const ids = Array.from({ length: SESSIONS }, (_, i) => `h-${i}`);

  beforeAll(async () => {
    const system = project(INTERNAL, projectId);
    // Two entries for each of 1,000 sessions, sent as sessions send them, 50 reports at a time.
    for (let start = 0; start < ids.length; start += 50) {
      await Promise.all(
        ids
          .slice(start, start + 50)
          .map((id) =>
            system.noteInbox(report(id, [entry(projectId, id, 1), entry(projectId, id, 2)])),
          ),
      );
    }
  }, 300_000);

  test("history across 1,000 sessions is read from the index: no session is created or woken", async () => {
    const approver = project("approver");
    const page = await approver.getHistory({ limit: 100 });
    expect(page.entries).toHaveLength(100);
    const times = page.entries.map((e) => e.resolution!.resolvedAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(page.entries.map((e) => e.sessionId)).size).toBeGreaterThan(40);
    for (const id of [
      ids[0]!,
      ids[500]!,
      ids[999]!,
      ...page.entries.slice(0, 5).map((e) => e.sessionId),
    ])
      expect(await sessionExists(projectId, id)).toBe(false);
  });

  test("reading the last 100 across 1,000 sessions vs one session (measured)", async () => {
    const system = project(INTERNAL, "p-one");
    await system.noteInbox(
      report(
        "only",
        Array.from({ length: 200 }, (_, n) => entry("p-one", "only", n + 1)),
      ),
    );
    const median = async (read: () => Promise<ProjectHistoryPage>) => {
      const times: number[] = [];
      for (let i = 0; i < 15; i++) {
        const started = performance.now();
        expect((await read()).entries).toHaveLength(100);
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[7]!;
    };
    const wide = project("approver");
    const one = warden.client.wardenProject.getOrCreate(["p-one"], { params: { token: "admin" } });
    const many = await median(() => wide.getHistory({ limit: 100 }));
    const single = await median(() => one.getHistory({ limit: 100 }));
    console.log(
      `history of the last 100: ${SESSIONS} sessions ${many.toFixed(1)} ms, one session ${single.toFixed(1)} ms (p50 of 15), ratio ${(many / single).toFixed(2)}`,
    );
  });

  test("paging is complete and repeats nothing while new entries arrive", async () => {
    const approver = project("approver");
    const system = project(INTERNAL);
    const before = new Set(
      (
        await readAll((cursor) =>
          approver.getHistory({ limit: 500, ...(cursor ? { before: cursor } : {}) }),
        )
      ).map((e) => e.permissionId),
    );
    expect(before.size).toBeGreaterThanOrEqual(SESSIONS * 2);
    let arrivals = 0;
    const seen = await readAll(
      (cursor) => approver.getHistory({ limit: 37, ...(cursor ? { before: cursor } : {}) }),
      async () => {
        // Newer entries, an entry resolved at the same millisecond as an existing one, and an
        // entry older than everything arrive between pages.
        arrivals += 1;
        const id = `late-${arrivals}`;
        await system.noteInbox(
          report(id, [
            entry(projectId, id, 1),
            entry(projectId, id, 2, clock),
            entry(projectId, id, 3, 1_000 + arrivals),
          ]),
        );
      },
    );
    const permissionIds = seen.map((e) => e.permissionId);
    expect(new Set(permissionIds).size).toBe(permissionIds.length);
    for (const id of before) expect(permissionIds).toContain(id);
    expect(arrivals).toBeGreaterThan(50);
    // Newest first across the pages: (resolution time, arrival) never goes up.
    const times = seen.map((e) => e.resolution!.resolvedAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  }, 120_000);

  test("a replayed report is not doubled", async () => {
    const system = project(INTERNAL);
    const approver = project("approver");
    const batch = report("replayed", [
      entry(projectId, "replayed", 1),
      entry(projectId, "replayed", 2),
    ]);
    await system.noteInbox(batch);
    await system.noteInbox(batch);
    await Promise.all([system.noteInbox(batch), system.noteInbox(batch)]);
    const page = await approver.getHistory({ sessionId: "replayed" });
    expect(page.entries.map((e) => e.permissionId)).toEqual(["perm_replayed_2", "perm_replayed_1"]);
  });

  test("an approver limited to some sessions reads only those; agents cannot read it", async () => {
    const system = project(INTERNAL);
    await system.noteInbox(report("narrow", [entry(projectId, "narrow", 1)]));
    const narrow = project("narrowApprover");
    const all = await readAll((cursor) =>
      narrow.getHistory({ limit: 500, ...(cursor ? { before: cursor } : {}) }),
    );
    expect(all.map((e) => e.sessionId)).toEqual(["narrow"]);
    expect((await narrow.getHistory({ sessionId: "h-1" })).entries).toEqual([]);
    await expect(project("agent").getHistory()).rejects.toMatchObject({ code: "forbidden" });
    await expect(project("otherProject").getHistory()).rejects.toMatchObject({ code: "forbidden" });
  });

  test("an approver limited to some sessions is told only of their new history", async () => {
    const system = project(INTERNAL);
    const wide = warden.client.wardenProject
      .getOrCreate([projectId], { params: { token: "admin" } })
      .connect();
    const narrow = warden.client.wardenProject
      .getOrCreate([projectId], { params: { token: "narrowApprover" } })
      .connect();
    const wideSaw: string[] = [];
    const narrowSaw: string[] = [];
    wide.on("historyAppended", (e) => wideSaw.push(e.sessionId));
    narrow.on("historyAppended", (e) => narrowSaw.push(e.sessionId));
    try {
      // Subscribed once each connection has answered a call.
      await Promise.all([wide.getHistory({ limit: 1 }), narrow.getHistory({ limit: 1 })]);
      await system.noteInbox(report("ev-wide", [entry(projectId, "ev-wide", 1)]));
      await system.noteInbox(report("narrow", [entry(projectId, "narrow", 7)]));
      await system.noteInbox(report("ev-wide-2", [entry(projectId, "ev-wide-2", 1)]));
      // Events of one actor arrive in order: once the unfiltered reader has the last one, every
      // event the narrow reader could be sent has been sent.
      await expect.poll(() => wideSaw, POLL).toContain("ev-wide-2");
      await expect.poll(() => narrowSaw, POLL).toContain("narrow");
      expect(wideSaw).toEqual(["ev-wide", "narrow", "ev-wide-2"]);
      expect(narrowSaw).toEqual(["narrow"]);
    } finally {
      await Promise.all([wide.dispose(), narrow.dispose()]);
    }
  });

  const nested = (depth: number) => {
    let value: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < depth; i++) value = { a: value };
    return value;
  };
  test.each([
    ["an oversized cursor", { before: `1.${"9".repeat(100 * 1024)}` }],
    ["an oversized session id", { sessionId: "s".repeat(100 * 1024) }],
    ["an oversized unknown field", { limit: 5, padding: "x".repeat(100 * 1024) }],
    ["a huge limit", { limit: 1e12 }],
    ["a too deep query", nested(200)],
    ["a too deep field", { sessionId: nested(200) }],
    ["a long array", Array.from({ length: 100_000 }, () => 0)],
  ])("getHistory with %s is invalid_input and changes nothing", async (_name, query) => {
    const approver = project("approver");
    const before = await approver.getHistory({ limit: 500 });
    await expect(
      approver.getHistory(query as Parameters<typeof approver.getHistory>[0]),
    ).rejects.toMatchObject({ code: "invalid_input" });
    expect(await approver.getHistory({ limit: 500 })).toEqual(before);
  });

  test("a report naming another session, or a malformed cursor, is refused", async () => {
    await expect(
      project(INTERNAL).noteInbox(report("a", [entry(projectId, "b", 1)])),
    ).rejects.toMatchObject({ code: "invalid_input" });
    await expect(project("approver").getHistory({ before: "1 OR 1=1" })).rejects.toMatchObject({
      code: "invalid_input",
    });
  });
});

describe("sessions report what they decide", () => {
  test("a rule's decision and a human's answer reach the project's history, once each", async () => {
    const agent = warden.session("agent", "reporting");
    await agent.requestPermission({
      requestId: "read-1",
      toolName: "Read",
      input: { file_path: "a" },
    });
    const asked = await agent.requestPermission({
      requestId: "ask-1",
      toolName: "Bash",
      input: { command: "make" },
      waitMs: 0,
    });
    const approver = warden.session("approver", "reporting");
    await approver.respondPermission("reporting", asked.permissionId, "once");
    const history = project("approver");
    const read = () => history.getHistory({ sessionId: "reporting" });
    await expect
      .poll(async () => (await read()).entries.map((e) => e.requestId), POLL)
      .toEqual(["ask-1", "read-1"]);
    const [answered] = (await read()).entries;
    expect(answered?.resolution).toMatchObject({ outcome: "allow", decidedBy: { id: "alice" } });
    expect(answered).not.toHaveProperty("params");
  });
});

describe("rule-settled decisions alone", () => {
  test("reach the project's history without an ask or a wake to carry them", async () => {
    const agent = warden.session("agent", "rules-only");
    for (const requestId of ["only-1", "only-2"])
      await agent.requestPermission({ requestId, toolName: "Read", input: { file_path: "a" } });
    const read = () => project("approver").getHistory({ sessionId: "rules-only" });
    // Once the session has been quiet for its history delay (3 s), with nothing more to carry them.
    await expect
      .poll(async () => (await read()).entries.map((e) => e.requestId), POLL)
      .toEqual(["only-2", "only-1"]);
  });
});
