/**
 * The `inbox` section of `pnpm bench`: an approver's first `list()` and its catch-up (subscribe
 * until every pending request was delivered), and a read of the project's last 100 decisions, at
 * two sizes, each on a server of its own (apps/server in its own process):
 *
 * - **real sessions**: `WARDEN_BENCH_INBOX_SESSIONS` (default 10) session actors, each opening
 *   `PER_SESSION` asks through `requestPermission` and making `PER_SESSION` rule-decided calls, so
 *   100 pending and 100 decisions by default, plus one session making 100 decisions alone. Their
 *   reports reach the project as in production.
 * - **fed**: 10,000 pending across 1,000 sessions and 2,000 decisions, fed to the project through
 *   its own internal report action (`noteInbox`, the internal token the sessions use), since
 *   creating 1,000 sessions takes this box 10–20 minutes (docs/scale.md). The sessions do not
 *   exist: the project asks a session for its pending requests once it has been silent for 15
 *   minutes (or at a deadline, an hour away here), which would empty the index, so this part must
 *   end before then; the counts checked below fail the run rather than mislead.
 */
import { randomBytes } from "node:crypto";
import { suggestRules } from "@warden/rules";
import type {
  InboxChange,
  PermissionRequest,
  ProjectHistoryEntry,
  WardenRegistry,
} from "@warden/server";
import { createClient } from "rivetkit/client";
import { createWardenClient } from "../../packages/client/src/index.ts";
import { startEmbeddedServer } from "../../scripts/load/embedded-server.ts";

export const PER_SESSION = 10;
/** How long the fed fill may take (everything must be read before the project asks the sessions). */
const FILL_S = 35;
/** Reports in flight while filling, and sessions created at once. */
const FILL_CONCURRENCY = 20;
const CREATE_CONCURRENCY = 10;
/** Session actors of the real part (each: `PER_SESSION` asks and decisions). */
const REAL_SESSIONS = Number(process.env.WARDEN_BENCH_INBOX_SESSIONS ?? 10);
/** Decisions of the one session the project history is compared with, and reads per median. */
const SOLO_DECISIONS = 100;
const READS = 7;
/** Waiting for reports to land: they follow each decision by ~100 ms, more under load. */
const LAND_TIMEOUT_MS = 120_000;

/** A pending request as a session reports it (an ask of `Bash(deploy …)`). */
function pendingRequest(project: string, sessionId: string, n: number): PermissionRequest {
  const command = `deploy service-${n} --env staging`;
  const now = Date.now();
  return {
    permissionId: `perm-${n}`,
    requestId: `req-${n}`,
    projectId: project,
    sessionId,
    toolName: "Bash",
    input: { command },
    action: `Run command: ${command}`,
    description: `Run command: ${command}`,
    params: { command },
    createdAt: now,
    expiresAt: now + 3_600_000,
    requestedBy: "bench-agent",
    suggestions: suggestRules({ toolName: "Bash", input: { command } }),
    evaluation: {
      decision: "ask",
      reason: "default",
      message: "No rule matched; the project asks a human.",
      rule: null,
      tier: null,
    },
  };
}

/** A rule-decided call as a session reports it to the project's history. */
function decided(project: string, sessionId: string, n: number): ProjectHistoryEntry {
  const command = `ls dir-${n}`;
  const now = Date.now();
  return {
    permissionId: `perm-ls-${n}`,
    requestId: `ls-${n}`,
    projectId: project,
    sessionId,
    toolName: "Bash",
    input: { command },
    action: `Run command: ${command}`,
    createdAt: now,
    expiresAt: now,
    requestedBy: "bench-agent",
    evaluation: { decision: "allow", reason: "rule", message: "", rule: null, tier: null },
    status: "resolved",
    resolution: {
      outcome: "allow",
      reason: "rule",
      message: "",
      input: { command },
      decidedBy: { kind: "policy" },
      resolvedAt: now,
    },
    seq: n + 1,
  } as ProjectHistoryEntry;
}

/** Runs `work` on each item, `concurrency` at a time. */
async function inBatches<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<unknown>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Fills a project's inbox with `sessions × PER_SESSION` pending requests through `noteInbox`, as
 * sessions named `<prefix>-s<n>` would report them (they need not exist), with
 * `decisionsPerSession` decisions each for the project's history.
 */
export async function fillInbox(
  endpoint: string,
  internalToken: string,
  project: string,
  prefix: string,
  sessions: number,
  /** Stop starting reports at this `performance.now()`; resolves with the sessions reported. */
  deadline = Number.POSITIVE_INFINITY,
  decisionsPerSession = 0,
): Promise<number> {
  const rivet = createClient<WardenRegistry>(endpoint);
  const conn = rivet.wardenProject
    .getOrCreate([project], { params: { token: internalToken } })
    .connect();
  try {
    let done = 0;
    const ids = Array.from({ length: sessions }, (_, n) => `${prefix}-s${n}`);
    await inBatches(ids, FILL_CONCURRENCY, async (sessionId) => {
      if (performance.now() >= deadline) return;
      const changes = Array.from({ length: PER_SESSION }, (_, n): InboxChange => {
        const request = pendingRequest(project, sessionId, n);
        return { kind: "pending", sessionId, permissionId: request.permissionId, request };
      });
      const history = Array.from({ length: decisionsPerSession }, (_, n) =>
        decided(project, sessionId, n),
      );
      await conn.noteInbox({ sessionId, changes, history });
      done += 1;
    });
    return done;
  } finally {
    await conn.dispose();
  }
}

/** Polls `check` until it holds (reports land a moment after the calls that cause them). */
async function until(what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + LAND_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`inbox bench: ${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** An approver's first `list()` and catch-up, each from a fresh client (ms). */
async function approverTimes(endpoint: string, token: string, project: string, expected: number) {
  const listing = createWardenClient({ endpoint, token, project, fastPath: "off" });
  const listStart = performance.now();
  const listed = await listing.inbox().list();
  const listMs = performance.now() - listStart;
  await listing.dispose();
  if (listed.length !== expected) throw new Error(`listed ${listed.length}, not ${expected}`);

  const watching = createWardenClient({ endpoint, token, project, fastPath: "off" });
  let delivered = 0;
  const catchUpStart = performance.now();
  const off = await watching.inbox().subscribe({
    onRequest: () => {
      delivered += 1;
    },
    onResolved: () => undefined,
  });
  const catchUpMs = performance.now() - catchUpStart;
  off();
  await watching.dispose();
  if (delivered !== expected) throw new Error(`caught up ${delivered}, not ${expected}`);
  return { listMs, catchUpMs };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * The median time of one session's report on a connection, with the project holding what it
 * holds (ms): what a report writes should not grow with the inbox. Each opens a request and settles
 * it, so the pending count stays.
 */
async function reportTime(endpoint: string, internalToken: string, project: string) {
  const rivet = createClient<WardenRegistry>(endpoint);
  const conn = rivet.wardenProject
    .getOrCreate([project], { params: { token: internalToken } })
    .connect();
  try {
    const times: number[] = [];
    for (let n = 0; n < READS * 2; n += 1) {
      const request = pendingRequest(project, "probe", 100_000 + times.length);
      const { sessionId, permissionId } = request;
      const start = performance.now();
      await conn.noteInbox({
        sessionId,
        changes: [
          { kind: "pending", sessionId, permissionId, request },
          { kind: "resolved", sessionId, permissionId },
        ],
        history: [],
      });
      times.push(performance.now() - start);
    }
    return median(times);
  } finally {
    await conn.dispose();
    await rivet.dispose();
  }
}

/**
 * The median time of one page of 100 pending requests, the oldest, on one approver connection
 * (ms): the same answer at any size, so its growth is the project's own cost of a page (sorting
 * the whole inbox in memory grew with it; a page read by the rows' index does not).
 */
async function pageTime(endpoint: string, token: string, project: string) {
  const rivet = createClient<WardenRegistry>(endpoint);
  const conn = rivet.wardenProject.getOrCreate([project], { params: { token } }).connect();
  try {
    const times: number[] = [];
    for (let n = 0; n < READS; n += 1) {
      const start = performance.now();
      const page = await conn.listInbox({ limit: 100 });
      times.push(performance.now() - start);
      if (page.requests.length !== 100) throw new Error(`paged ${page.requests.length}, not 100`);
    }
    return median(times);
  } finally {
    await conn.dispose();
    await rivet.dispose();
  }
}

/**
 * The median time of reading the project's last 100 decisions (what the inbox's history view
 * reads), and of one session's last 100, on one approver connection (ms).
 */
async function historyTimes(endpoint: string, token: string, project: string, solo: string) {
  const approver = createWardenClient({ endpoint, token, project, fastPath: "off" });
  try {
    const inbox = approver.inbox();
    const time = async (query: { sessionId?: string }) => {
      const times: number[] = [];
      for (let n = 0; n < READS; n += 1) {
        const start = performance.now();
        const page = await inbox.history({ limit: 100, ...query });
        times.push(performance.now() - start);
        if (page.entries.length !== 100) throw new Error(`read ${page.entries.length}, not 100`);
      }
      return median(times);
    };
    await time({});
    const across = await time({});
    const one = await time({ sessionId: solo });
    const { entries } = await inbox.history({ limit: 100 });
    return { across, one, sessions: new Set(entries.map((e) => e.sessionId)).size };
  } finally {
    await approver.dispose();
  }
}

/** The count of pending requests and of history entries (up to 500) the approver sees. */
async function counts(endpoint: string, token: string, project: string) {
  const approver = createWardenClient({ endpoint, token, project, fastPath: "off" });
  try {
    const inbox = approver.inbox();
    const [pending, history] = await Promise.all([inbox.list(), inbox.history({ limit: 500 })]);
    return { pending: pending.length, history: history.entries.length };
  } finally {
    await approver.dispose();
  }
}

/**
 * Real session actors: `REAL_SESSIONS` sessions each open `PER_SESSION` asks (`requestPermission`),
 * the inbox is listed and caught up on, then an approver answers every ask (`respondPermission`),
 * which puts the decisions in the project's history. One more session makes `SOLO_DECISIONS`
 * decisions first (its asks, then their answers), so that the project's newest 100 are the others'.
 */
export async function realPart(log: (line: string) => void) {
  const project = "inbox-real";
  const server = await startEmbeddedServer({ approvers: 1, project, log });
  const approver = server.approverTokens[0]!;
  const rivet = createClient<WardenRegistry>(server.endpoint);
  const session = (sessionId: string, token: string) =>
    rivet.permissionSession.getOrCreate([project, sessionId], { params: { token } });
  const ask = async (sessionId: string, n: number) => {
    const command = `deploy service-${n} --env staging`;
    const outcome = (await session(sessionId, server.agentToken).requestPermission({
      requestId: `ask-${n}`,
      toolName: "Bash",
      input: { command },
      waitMs: 0,
    })) as { status: string; permissionId: string };
    if (outcome.status !== "pending")
      throw new Error(`ask ${n} of ${sessionId}: ${outcome.status}`);
    return outcome.permissionId;
  };
  const answer = (sessionId: string, permissionId: string) =>
    session(sessionId, approver).respondPermission(sessionId, permissionId, "once");
  try {
    log(`inbox: real sessions: one session's ${SOLO_DECISIONS} asks, then their answers`);
    const soloStart = performance.now();
    const soloAsks: string[] = [];
    for (let n = 0; n < SOLO_DECISIONS; n += 1) soloAsks.push(await ask("solo", n));
    await inBatches(soloAsks, CREATE_CONCURRENCY, (permissionId) => answer("solo", permissionId));
    const soloS = (performance.now() - soloStart) / 1000;
    log(`inbox: real sessions: ${REAL_SESSIONS} sessions × ${PER_SESSION} asks`);
    const createStart = performance.now();
    const asks: [string, string][] = [];
    const ids = Array.from({ length: REAL_SESSIONS }, (_, n) => `real-s${n}`);
    await inBatches(ids, CREATE_CONCURRENCY, async (sessionId) => {
      for (let n = 0; n < PER_SESSION; n += 1) asks.push([sessionId, await ask(sessionId, n)]);
    });
    const createS = (performance.now() - createStart) / 1000;
    await until("every ask in the inbox", async () => {
      const seen = await counts(server.endpoint, approver, project);
      return seen.pending === asks.length && seen.history >= SOLO_DECISIONS;
    });
    const times = await approverTimes(server.endpoint, approver, project, asks.length);
    log(`inbox: real sessions: ${asks.length} asks answered`);
    await inBatches(asks, CREATE_CONCURRENCY, async ([sessionId, permissionId]) => {
      await answer(sessionId, permissionId);
    });
    await until("every answer in the history", async () => {
      const seen = await counts(server.endpoint, approver, project);
      return seen.pending === 0 && seen.history >= Math.min(500, SOLO_DECISIONS + asks.length);
    });
    const history = await historyTimes(server.endpoint, approver, project, "solo");
    return { ...times, history, pending: asks.length, createS, soloS };
  } finally {
    await rivet.dispose();
    await server.stop();
  }
}

/** The project fed through `noteInbox`: 100, then 10,000 pending; 2,000 decisions. */
async function fedPart(log: (line: string) => void) {
  const internalToken = randomBytes(32).toString("hex");
  const project = "inbox";
  const server = await startEmbeddedServer({ approvers: 1, project, internalToken, log });
  const approver = server.approverTokens[0]!;
  try {
    // Everything below must be read before the sessions go silent for 15 minutes (see the top).
    log(`inbox: fed: one session's ${SOLO_DECISIONS} decisions, then 100 pending (10 sessions)`);
    const rivet = createClient<WardenRegistry>(server.endpoint);
    const system = rivet.wardenProject.getOrCreate([project], {
      params: { token: internalToken },
    });
    await system.noteInbox({
      sessionId: "solo",
      changes: [],
      history: Array.from({ length: SOLO_DECISIONS }, (_, n) => decided(project, "solo", n)),
    });
    await rivet.dispose();
    await fillInbox(server.endpoint, internalToken, project, "small", 10);
    const small = await approverTimes(server.endpoint, approver, project, 100);
    const smallReport = await reportTime(server.endpoint, internalToken, project);
    const smallPage = await pageTime(server.endpoint, approver, project);
    log("inbox: fed: 10,000 pending and 2,000 decisions across 1,000 sessions");
    const fillStart = performance.now();
    const filled = await fillInbox(
      server.endpoint,
      internalToken,
      project,
      "large",
      990,
      fillStart + FILL_S * 1000,
      2,
    );
    const fillS = (performance.now() - fillStart) / 1000;
    const pending = (10 + filled) * PER_SESSION;
    log(`inbox: fed: ${pending} pending after ${fillS.toFixed(1)} s`);
    const large = await approverTimes(server.endpoint, approver, project, pending);
    const largeReport = await reportTime(server.endpoint, internalToken, project);
    const largePage = await pageTime(server.endpoint, approver, project);
    const history = await historyTimes(server.endpoint, approver, project, "solo");
    return {
      small,
      large,
      smallReport,
      largeReport,
      smallPage,
      largePage,
      history,
      pending,
      fillRate: filled / fillS,
    };
  } finally {
    await server.stop();
  }
}

/** Runs the section; times in ms. */
export async function runInboxBench(log: (line: string) => void): Promise<Record<string, number>> {
  const fed = await fedPart(log);
  const real = await realPart(log);
  return {
    first_list_100_ms: fed.small.listMs,
    first_list_10000_ms: fed.large.listMs,
    first_list_growth: fed.large.listMs / fed.small.listMs,
    catch_up_100_ms: fed.small.catchUpMs,
    catch_up_10000_ms: fed.large.catchUpMs,
    catch_up_growth: fed.large.catchUpMs / fed.small.catchUpMs,
    page_at_100_ms: fed.smallPage,
    page_at_10000_ms: fed.largePage,
    page_growth: fed.largePage / fed.smallPage,
    report_at_100_ms: fed.smallReport,
    report_at_10000_ms: fed.largeReport,
    report_growth: fed.largeReport / fed.smallReport,
    pending_large: fed.pending,
    fill_reports_per_s: fed.fillRate,
    history_last_100_across_1000_ms: fed.history.across,
    history_last_100_one_session_ms: fed.history.one,
    history_across_vs_one: fed.history.across / fed.history.one,
    history_sessions_in_last_100: fed.history.sessions,
    real_sessions: REAL_SESSIONS,
    real_pending: real.pending,
    real_sessions_created_s: real.createS,
    real_solo_decisions_s: real.soloS,
    real_first_list_ms: real.listMs,
    real_catch_up_ms: real.catchUpMs,
    real_history_last_100_across_ms: real.history.across,
    real_history_last_100_one_session_ms: real.history.one,
    real_history_across_vs_one: real.history.across / real.history.one,
    real_history_sessions_in_last_100: real.history.sessions,
  };
}
