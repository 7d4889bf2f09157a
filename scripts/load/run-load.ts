// One load run: agents (via @warden/client) create their sessions, then make rule-decided calls
// and asks while approvers race each other on the inbox; then the audit log is checked against
// what every agent was told. Measures throughput, latencies, errors, and the engine's and runner's
// CPU and memory from /proc.
import { createWardenClient, type WardenClient } from "@warden/client";
import {
  type AuditCheck,
  type AuditProgress,
  createAuditCheck,
  newAuditProgress,
} from "./audit-check.ts";
import type { LoadTarget } from "./embedded-server.ts";
import { type EngineCounters, readEngineCounters, topTransactions } from "./engine-metrics.ts";
import { cpuMs, rssBytes } from "./proc-stats.ts";
import { createStallWatch, type StallReport } from "./stall-watch.ts";
import { percentiles, Tally } from "./stats.ts";

/** What a load run does. */
export interface LoadOptions {
  readonly sessions: number;
  readonly requestsPerSession: number;
  /** Share of each session's requests that ask a human (0–1), spread evenly over its calls. */
  readonly askFraction: number;
  /** Approvers racing to answer every ask (0: nobody answers, and asks are not made). */
  readonly approvers: number;
  /** Stops starting new requests after this many seconds of work (the run then drains). */
  readonly durationS?: number;
  readonly fastPath: "on" | "off";
  /** The agents' `idleCloseMs` (default: the SDK's). */
  readonly idleCloseMs?: number | false;
  /** Sessions created at once (across all agent clients). */
  readonly createConcurrency: number;
  /**
   * Agent SDK clients, each with its own creation and wake bound (default 1); session `s` is
   * client `s mod clients`'s. They share this process: what differs is the herd the engine sees.
   */
  readonly clients?: number;
  /** In the work, each session waits a random 0–`pauseMs` before each call (default 0). */
  readonly pauseMs?: number;
  /** Stops starting new sessions after this many seconds (the rest count as not created). */
  readonly createTimeoutS?: number;
  /** Seconds every created session sits connected and idle before the work, to measure its cost (default 5). */
  readonly idleSampleS?: number;
  readonly onProgress?: (line: string) => void;
  /**
   * Called once at the start with a function that tells what the run has done so far: what a run
   * stopped before its end (a signal) prints instead of its result.
   */
  readonly onSnapshot?: (snapshot: () => LoadSnapshot) => void;
}

/** What a run has done so far; latencies in ms, rates over the work phase so far. */
export interface LoadSnapshot {
  readonly phase: string;
  readonly elapsed_s: number;
  readonly sessions: number;
  readonly sessions_created: number;
  readonly create_p50_ms: number;
  readonly create_p99_ms: number;
  readonly work_s: number;
  readonly decisions_local: number;
  readonly decisions_actor: number;
  readonly decisions_per_s: number;
  readonly decision_p50_ms: number;
  readonly decision_p99_ms: number;
  readonly asks: number;
  readonly asks_answered: number;
  readonly ask_to_first_approver_p50_ms: number;
  readonly ask_to_first_approver_p99_ms: number;
  readonly reply_to_agent_p50_ms: number;
  readonly reply_to_agent_p99_ms: number;
  readonly errors: Record<string, number>;
  readonly errors_total: number;
  readonly audit_sessions_read: number;
  readonly audit_sessions_unreadable: number;
  /** Sessions found with a call unanswered for a minute, and what they were doing (stall-watch.ts). */
  readonly stalls: readonly StallReport[];
}

/** Everything a run measured; times in ms, rates per second, memory in MB. */
export interface LoadResult {
  readonly sessions: number;
  readonly sessions_created: number;
  readonly create_s: number;
  readonly sessions_per_s: number;
  readonly create_p50_ms: number;
  readonly create_p99_ms: number;
  readonly engine_cpu_ms_per_session_created: number;
  readonly work_s: number;
  readonly requests: number;
  readonly decisions_local: number;
  readonly decisions_actor: number;
  readonly decisions_local_per_s: number;
  readonly decisions_actor_per_s: number;
  readonly decision_p50_ms: number;
  readonly decision_p99_ms: number;
  readonly asks: number;
  readonly asks_per_s: number;
  readonly ask_to_first_approver_p50_ms: number;
  readonly ask_to_first_approver_p99_ms: number;
  readonly reply_to_agent_p50_ms: number;
  readonly reply_to_agent_p99_ms: number;
  readonly approver_races_lost: number;
  /** Engine (and runner) CPU over the work phase, per call the actors decided (asks included). */
  readonly engine_cpu_ms_per_actor_call: number;
  readonly runner_cpu_ms_per_actor_call: number;
  /** The engine's storage transactions and operations, per actor-decided call and per creation. */
  readonly engine_transactions_per_actor_call: number;
  readonly engine_operations_per_actor_call: number;
  readonly engine_transactions_per_session_created: number;
  /** The engine's storage transactions over the work phase by name, most first (top 12). */
  readonly engine_work_transactions_top: [string, number][];
  /** The engine's CPU and storage transactions per second per connected idle session. */
  readonly engine_idle_cpu_ms_per_s_per_session: number;
  readonly engine_idle_transactions_per_s_per_session: number;
  readonly engine_rss_mb_per_session: number;
  readonly runner_rss_mb_per_session: number;
  readonly engine_rss_mb: number;
  readonly runner_rss_mb: number;
  readonly errors: Record<string, number>;
  readonly errors_total: number;
  readonly stalls: readonly StallReport[];
  readonly audit: AuditCheck;
}

/** What one agent call ended with, for the audit check. */
export interface AgentRecord {
  readonly sessionId: string;
  readonly requestId: string;
  readonly outcome: "allow" | "deny" | "error";
  readonly ask: boolean;
}

const MB = 1024 * 1024;
/** How long a finished session's local decisions may take to be recorded before its log is read. */
const FLUSH_WHEN_DONE_MS = 60_000;
/** The engine's storage transaction that finds an actor by its key. */
const KEY_LOOKUP = "pegboard_actor_list_for_ns";
const errorCode = (error: unknown) =>
  (error as { code?: string }).code ?? (error as { name?: string }).name ?? "unknown";

/** Whether call `i` of a session asks: exactly ⌊n·f⌋ of n calls do, evenly spread. */
export const isAsk = (i: number, fraction: number) =>
  Math.floor((i + 1) * fraction) > Math.floor(i * fraction);

/** What the engine and the runner have used so far. */
async function measure(target: LoadTarget) {
  return {
    engineCpu: cpuMs(target.enginePid),
    runnerCpu: cpuMs(target.runnerPid),
    counters: await readEngineCounters(target.metricsUrl),
    engineRss: rssBytes(target.enginePid),
    runnerRss: rssBytes(target.runnerPid),
  };
}

/** Runs the load against a started target. */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const tag = `load${Date.now().toString(36)}`;
  const log = options.onProgress ?? (() => undefined);
  const errors = new Tally();
  const records: AgentRecord[] = [];
  const asked = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  const replySent = new Map<string, number>();
  const wins = new Map<string, number>();
  let racesLost = 0;
  const askLatency: number[] = [];
  const replyLatency: number[] = [];
  const decisionLatency: number[] = [];
  let local = 0;
  let actor = 0;
  let asksDone = 0;
  /** Each session's actor id, learned by its agent's connection: the audit check reads by id. */
  const actorIds = new Map<string, string>();
  /** When each session's last call ended: the audit check reads the most recent (awake) first. */
  const lastCall = new Map<string, number>();
  const audit: AuditProgress = newAuditProgress();
  const auditCheck = createAuditCheck(target, { tag, actorIds }, audit);
  /** Each session's records, for reading its log as soon as its agent is done. */
  const recordsOf = new Map<string, AgentRecord[]>();
  const record = (r: AgentRecord) => {
    records.push(r);
    const list = recordsOf.get(r.sessionId) ?? [];
    list.push(r);
    recordsOf.set(r.sessionId, list);
  };

  const common = { endpoint: target.endpoint, project: target.project };
  const agents = Array.from({ length: Math.max(1, options.clients ?? 1) }, () =>
    createWardenClient({
      ...common,
      token: target.agentToken,
      fastPath: options.fastPath,
      ...(options.idleCloseMs !== undefined ? { idleCloseMs: options.idleCloseMs } : {}),
    }),
  );
  /** Which client a session is on: its index in `ids`, modulo the clients. */
  const clientOf = new Map<string, WardenClient>();
  const agentOf = (sessionId: string) => clientOf.get(sessionId) ?? agents[0]!;
  const approvers: WardenClient[] = [];
  const unsubscribes: (() => void)[] = [];
  const withAsks = options.approvers > 0 ? options.askFraction : 0;
  for (let a = 0; a < options.approvers; a++) {
    const token = target.approverTokens[a % target.approverTokens.length]!;
    const client = createWardenClient({ ...common, token, fastPath: "off" });
    approvers.push(client);
    const inbox = client.inbox();
    unsubscribes.push(
      await inbox.subscribe({
        onRequest: (request) => {
          if (!request.requestId.startsWith(tag)) return;
          const now = performance.now();
          if (!firstSeen.has(request.requestId)) firstSeen.set(request.requestId, now);
          if (!replySent.has(request.requestId)) replySent.set(request.requestId, now);
          inbox.respond(request.sessionId, request.permissionId, "once").then(
            () => wins.set(request.requestId, (wins.get(request.requestId) ?? 0) + 1),
            (error: unknown) => {
              if (errorCode(error) === "already_resolved") racesLost++;
              else errors.add(`respond:${errorCode(error)}`);
            },
          );
        },
        onResolved: () => undefined,
      }),
    );
  }

  const at0 = await measure(target);
  const ids = Array.from({ length: options.sessions }, (_, s) => `${tag}-s${s}`);
  for (const [s, id] of ids.entries()) clientOf.set(id, agents[s % agents.length]!);
  const created: string[] = [];
  const createLatency: number[] = [];
  let phase = "create";
  const started = performance.now();
  let workCounters: EngineCounters | undefined;
  let workStart: number | undefined;
  let workEnd: number | undefined;
  let ticks = 0;
  const stalls = createStallWatch({
    target,
    sessionOf: (sessionId) => agentOf(sessionId).session(sessionId),
    started,
    log,
  });
  const snapshot = (): LoadSnapshot => {
    const now = performance.now();
    const workS = workStart === undefined ? 0 : ((workEnd ?? now) - workStart) / 1000;
    const create = percentiles(createLatency);
    const decision = percentiles(decisionLatency);
    const seen = percentiles(askLatency);
    const heard = percentiles(replyLatency);
    return {
      phase,
      elapsed_s: (now - started) / 1000,
      sessions: options.sessions,
      sessions_created: created.length,
      create_p50_ms: create.p50,
      create_p99_ms: create.p99,
      work_s: workS,
      decisions_local: local,
      decisions_actor: actor,
      decisions_per_s: workS > 0 ? (local + actor) / workS : Number.NaN,
      decision_p50_ms: decision.p50,
      decision_p99_ms: decision.p99,
      asks: asked.size,
      asks_answered: asksDone,
      ask_to_first_approver_p50_ms: seen.p50,
      ask_to_first_approver_p99_ms: seen.p99,
      reply_to_agent_p50_ms: heard.p50,
      reply_to_agent_p99_ms: heard.p99,
      errors: errors.toJSON(),
      errors_total: errors.total,
      audit_sessions_read: audit.sessionsRead,
      audit_sessions_unreadable: audit.unreadable,
      stalls: stalls.reports,
    };
  };
  options.onSnapshot?.(snapshot);
  const progress = setInterval(() => {
    const s = ((performance.now() - started) / 1000).toFixed(0);
    const seen = percentiles(askLatency);
    const heard = percentiles(replyLatency);
    const latencies =
      askLatency.length === 0
        ? ""
        : ` · ask→approver p50/p99 ${seen.p50.toFixed(0)}/${seen.p99.toFixed(0)} ms · reply→agent ${heard.p50.toFixed(0)}/${heard.p99.toFixed(0)} ms`;
    const checking =
      audit.sessionsTotal === 0
        ? audit.readEarly === 0
          ? ""
          : ` · audit read ${audit.readEarly} sessions when done`
        : ` · audit read ${audit.sessionsRead}/${audit.sessionsTotal} sessions (${audit.readEarly} when done, ${audit.bound} at once, ${audit.unreadable} unreadable)`;
    // Every 20 s of work, what the engine's storage did since the work began, by name: the
    // counters a run stopped from outside would otherwise never show.
    if (workCounters && ++ticks % 10 === 0) {
      const since = workCounters;
      void readEngineCounters(target.metricsUrl).then((now) => {
        const top = topTransactions(since, now, 8);
        // Actor lookups by key, whatever their rank (a call by id makes none).
        const byKey = topTransactions(since, now, 100).find(([n]) => n === KEY_LOOKUP)?.[1] ?? 0;
        if (top.length > 0)
          log(
            `[${s}s] storage since work began: ${top.map(([n, c]) => `${n} ${c}`).join(", ")}; key lookups (${KEY_LOOKUP}) ${byKey}`,
          );
      });
    }
    void stalls.check();
    log(
      `[${s}s] ${phase}: sessions ${created.length}/${options.sessions} · decisions ${local + actor} · asks ${asksDone}/${asked.size}${latencies} · errors ${errors.total === 0 ? 0 : JSON.stringify(errors.toJSON())}${checking}`,
    );
  }, 2_000);

  const call = async (sessionId: string, i: number, ask: boolean, first = false) => {
    const requestId = `${sessionId}-r${i}`;
    const session = agentOf(sessionId).session(sessionId);
    const wasLocal = session.localPolicy.fresh;
    const begun = performance.now();
    if (ask) asked.set(requestId, begun);
    stalls.begin(sessionId, requestId);
    try {
      const decision = await session.requestPermission({
        toolName: "Bash",
        input: { command: ask ? `deploy ${requestId}` : `ls ${i}` },
        requestId,
      });
      const done = performance.now();
      lastCall.set(sessionId, done);
      record({ sessionId, requestId, outcome: decision.behavior, ask });
      // The connection that created the session is open now and knows its actor's id (RivetKit
      // 2.3.19's connection carries it; its type does not say so, as in resolve-actor.ts).
      if (first)
        void session.connection().then(
          (conn) => {
            const id = (conn as { actorId?: unknown }).actorId;
            if (typeof id === "string") actorIds.set(sessionId, id);
          },
          () => undefined,
        );
      if (ask) {
        asksDone++;
        const seen = firstSeen.get(requestId);
        if (seen !== undefined) askLatency.push(seen - begun);
        const sent = replySent.get(requestId);
        if (sent !== undefined) replyLatency.push(done - sent);
        if (decision.behavior !== "allow" || decision.reason !== "approved")
          errors.add(`unexpected_decision:${decision.reason}`);
      } else {
        if (decision.behavior !== "allow" || decision.reason !== "rule")
          errors.add(`unexpected_decision:${decision.reason}`);
        if (!first) decisionLatency.push(done - begun);
        if (wasLocal && options.fastPath === "on") local++;
        else actor++;
      }
      return true;
    } catch (error) {
      record({ sessionId, requestId, outcome: "error", ask });
      const code = errorCode(error);
      if (!errors.counts.has(code)) log(`first ${code}: ${(error as Error).message}`);
      errors.add(code);
      return false;
    } finally {
      stalls.end(sessionId);
    }
  };

  /**
   * Reads a session's audit log once its agent is done: after its local decisions are recorded
   * (bounded: a session whose reports are still queued is left to the check at the end).
   */
  const readWhenDone = async (sessionId: string) => {
    const session = agentOf(sessionId).session(sessionId);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flushed = await Promise.race([
      session.flush().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), FLUSH_WHEN_DONE_MS);
      }),
    ]);
    clearTimeout(timer);
    if (flushed) await auditCheck.done(sessionId, recordsOf.get(sessionId) ?? []);
  };

  try {
    // Create: each session's first call (rule-decided) creates its actor.
    let next = 0;
    const createDeadline = started + (options.createTimeoutS ?? Infinity) * 1000;
    await Promise.all(
      Array.from({ length: Math.min(options.createConcurrency, ids.length) }, async () => {
        while (next < ids.length && performance.now() < createDeadline) {
          const id = ids[next++]!;
          const begun = performance.now();
          if (await call(id, 0, false, true)) {
            createLatency.push(performance.now() - begun);
            created.push(id);
          }
        }
      }),
    );
    const createS = (performance.now() - started) / 1000;
    const at1 = await measure(target);

    // Idle: what connected sessions cost the engine while nobody calls.
    phase = "idle";
    const idleS = options.idleSampleS ?? 5;
    const idle0 = await measure(target);
    await new Promise((resolve) => setTimeout(resolve, idleS * 1000));
    const idle1 = await measure(target);
    const idlePerSession = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined || created.length === 0 || idleS === 0
        ? Number.NaN
        : (b - a) / idleS / created.length;

    // Work: every created session at once, each making its calls one after another.
    phase = "work";
    workCounters = idle1.counters;
    workStart = performance.now();
    const deadline =
      options.durationS !== undefined ? workStart + options.durationS * 1000 : Infinity;
    /** Each session's log is read as soon as its agent is done, while its actor is awake. */
    const reads: Promise<void>[] = [];
    await Promise.all(
      created.map(async (id) => {
        for (let i = 1; i < options.requestsPerSession && performance.now() < deadline; i++) {
          const pauseMs = Math.random() * (options.pauseMs ?? 0);
          if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
          await call(id, i, isAsk(i, withAsks));
        }
        reads.push(readWhenDone(id));
      }),
    );
    workEnd = performance.now();
    const workS = (workEnd - workStart) / 1000;
    const at2 = await measure(target);

    // Check: local decisions reach the audit log when the agents' client flushes its reports.
    phase = "audit check";
    await Promise.all(reads);
    await Promise.all(agents.map((a) => a.dispose({ flushMs: 120_000 })));
    const order = [...lastCall].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    log(
      `audit check: reading ${new Set(records.map((r) => r.sessionId)).size} sessions' logs, ${actorIds.size} by actor id`,
    );
    const checked = await auditCheck.finish(records, wins, order);

    const actorCalls = actor + asksDone;
    const perCall = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined || actorCalls === 0 ? Number.NaN : (b - a) / actorCalls;
    const counted = (
      a: EngineCounters | undefined,
      b: EngineCounters | undefined,
      key: "udbTransactions" | "udbOperations",
      per: number,
    ) => (a === undefined || b === undefined || per === 0 ? Number.NaN : (b[key] - a[key]) / per);
    const perSession = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined || created.length === 0
        ? Number.NaN
        : (b - a) / MB / created.length;
    const create = percentiles(createLatency);
    const decision = percentiles(decisionLatency);
    const toApprover = percentiles(askLatency);
    const toAgent = percentiles(replyLatency);
    return {
      sessions: options.sessions,
      sessions_created: created.length,
      create_s: createS,
      sessions_per_s: created.length / createS,
      create_p50_ms: create.p50,
      create_p99_ms: create.p99,
      engine_cpu_ms_per_session_created:
        at0.engineCpu === undefined || at1.engineCpu === undefined
          ? Number.NaN
          : (at1.engineCpu - at0.engineCpu) / Math.max(1, created.length),
      work_s: workS,
      requests: records.length,
      decisions_local: local,
      decisions_actor: actor,
      decisions_local_per_s: local / workS,
      decisions_actor_per_s: actor / workS,
      decision_p50_ms: decision.p50,
      decision_p99_ms: decision.p99,
      asks: asked.size,
      asks_per_s: asksDone / workS,
      ask_to_first_approver_p50_ms: toApprover.p50,
      ask_to_first_approver_p99_ms: toApprover.p99,
      reply_to_agent_p50_ms: toAgent.p50,
      reply_to_agent_p99_ms: toAgent.p99,
      approver_races_lost: racesLost,
      engine_cpu_ms_per_actor_call: perCall(at1.engineCpu, at2.engineCpu),
      runner_cpu_ms_per_actor_call: perCall(at1.runnerCpu, at2.runnerCpu),
      engine_transactions_per_actor_call: counted(
        at1.counters,
        at2.counters,
        "udbTransactions",
        actorCalls,
      ),
      engine_operations_per_actor_call: counted(
        at1.counters,
        at2.counters,
        "udbOperations",
        actorCalls,
      ),
      engine_work_transactions_top: topTransactions(at1.counters, at2.counters, 12),
      engine_transactions_per_session_created: counted(
        at0.counters,
        at1.counters,
        "udbTransactions",
        created.length,
      ),
      engine_idle_cpu_ms_per_s_per_session: idlePerSession(idle0.engineCpu, idle1.engineCpu),
      engine_idle_transactions_per_s_per_session: idlePerSession(
        idle0.counters?.udbTransactions,
        idle1.counters?.udbTransactions,
      ),
      engine_rss_mb_per_session: perSession(at0.engineRss, at1.engineRss),
      runner_rss_mb_per_session: perSession(at0.runnerRss, at1.runnerRss),
      engine_rss_mb: (at2.engineRss ?? Number.NaN) / MB,
      runner_rss_mb: (at2.runnerRss ?? Number.NaN) / MB,
      errors: errors.toJSON(),
      errors_total: errors.total,
      stalls: stalls.reports,
      audit: checked,
    };
  } finally {
    clearInterval(progress);
    for (const unsubscribe of unsubscribes) unsubscribe();
    await Promise.all(agents.map((a) => a.dispose({ flushMs: 0 }).catch(() => undefined)));
    await Promise.all(approvers.map((a) => a.dispose().catch(() => undefined)));
    await auditCheck.dispose();
  }
}
