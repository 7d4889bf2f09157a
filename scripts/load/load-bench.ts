/**
 * `pnpm bench --only load`: a fleet on this box, through `pnpm load`'s runner against an embedded
 * server: a short profile that fits a bench run (about two minutes on a quiet box),
 * WARDEN_BENCH_LOAD_SESSIONS sessions (default 50) × WARDEN_BENCH_LOAD_REQUESTS requests (default
 * 10), 10 % asks, two approvers racing, fast path off (every call reaches an actor); creation stops
 * after WARDEN_BENCH_LOAD_CREATE_S seconds (default 120) and the run goes on with the sessions
 * created. `pnpm load` runs larger fleets (docs/scale.md). Lost and doubled requests, p99s, the engine's CPU and storage transactions
 * per actor-decided call and per idle session, memory per session and the sessions this box holds
 * in memory.
 */
import { totalmem } from "node:os";
import { startEmbeddedServer } from "./embedded-server.ts";
import { runLoad } from "./run-load.ts";

const MB = 1024 * 1024;
/** The share of the box's memory the engine and runner may use for sessions. */
const MEMORY_BUDGET = 0.8;

export async function runLoadBench(log: (line: string) => void): Promise<Record<string, number>> {
  const sessions = Number(process.env.WARDEN_BENCH_LOAD_SESSIONS ?? 50);
  const requests = Number(process.env.WARDEN_BENCH_LOAD_REQUESTS ?? 10);
  const createS = Number(process.env.WARDEN_BENCH_LOAD_CREATE_S ?? 120);
  const server = await startEmbeddedServer({ approvers: 2, log });
  try {
    const r = await runLoad(server, {
      sessions,
      requestsPerSession: requests,
      askFraction: 0.1,
      approvers: 2,
      fastPath: "off",
      createConcurrency: 10,
      createTimeoutS: createS,
      onProgress: log,
    });
    if (r.errors_total > 0) log(`errors: ${JSON.stringify(r.errors)}`);
    const perSessionMb = r.engine_rss_mb_per_session + r.runner_rss_mb_per_session;
    return {
      sessions,
      requests_per_session: requests,
      sessions_created: r.sessions_created,
      errors: r.errors_total,
      lost: r.audit.lost,
      doubled: r.audit.doubled + r.audit.approvals_doubled,
      mismatched: r.audit.mismatched,
      pending_left: r.audit.pending_left,
      sessions_per_s: r.sessions_per_s,
      create_p50_ms: r.create_p50_ms,
      create_p99_ms: r.create_p99_ms,
      decisions_per_s: r.decisions_actor_per_s,
      decision_p50_ms: r.decision_p50_ms,
      decision_p99_ms: r.decision_p99_ms,
      asks_per_s: r.asks_per_s,
      ask_to_first_approver_p50_ms: r.ask_to_first_approver_p50_ms,
      ask_to_first_approver_p99_ms: r.ask_to_first_approver_p99_ms,
      reply_to_agent_p50_ms: r.reply_to_agent_p50_ms,
      reply_to_agent_p99_ms: r.reply_to_agent_p99_ms,
      engine_cpu_ms_per_actor_call: r.engine_cpu_ms_per_actor_call,
      engine_transactions_per_actor_call: r.engine_transactions_per_actor_call,
      engine_transactions_per_session_created: r.engine_transactions_per_session_created,
      runner_cpu_ms_per_actor_call: r.runner_cpu_ms_per_actor_call,
      engine_cpu_ms_per_session_created: r.engine_cpu_ms_per_session_created,
      engine_idle_cpu_ms_per_s_per_session: r.engine_idle_cpu_ms_per_s_per_session,
      engine_idle_transactions_per_s_per_session: r.engine_idle_transactions_per_s_per_session,
      engine_rss_mb_per_session: r.engine_rss_mb_per_session,
      runner_rss_mb_per_session: r.runner_rss_mb_per_session,
      sessions_per_box_by_memory: Math.floor(((totalmem() / MB) * MEMORY_BUDGET) / perSessionMb),
    };
  } finally {
    await server.stop();
  }
}
