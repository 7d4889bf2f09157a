/**
 * `pnpm load [--sessions N] [--requests N] [--ask-fraction F] [--approvers N] [--duration S]
 * [--fast-path on|off] [--endpoint URL …] [--json]`: a fleet of agents against a Warden server,
 * with approvers racing on the inbox, then an audit check. Without `--endpoint` it starts an
 * embedded server (apps/server) on free ports and stops it afterwards, engine included, however
 * the run ends. Progress goes to stderr; `--json` prints only the result on stdout. Exits 1 when
 * the audit check or any call failed; stopped by SIGINT or SIGTERM it prints what it did so far
 * (the partial result) and exits 130 or 143.
 */
import { writeSync } from "node:fs";
import { parseArgs } from "node:util";
import { type LoadTarget, startEmbeddedServer } from "./load/embedded-server.ts";
import { type LoadResult, type LoadSnapshot, runLoad } from "./load/run-load.ts";
import { STALL_MS } from "./load/stall-watch.ts";

const USAGE = `usage: pnpm load [options]

  --sessions N            concurrent agent sessions (default 100)
  --requests N            requests per session, the creating one included (default 20)
  --ask-fraction F        share of requests that ask a human, 0–1 (default 0.1)
  --approvers N           approvers racing on the inbox (default 2; 0 makes no asks)
  --duration S            stop starting requests after S seconds of work (default: no limit)
  --fast-path on|off      let the SDK decide rule-settled calls locally (default off)
  --create-concurrency N  sessions created at once (default 10)
  --clients N             agent SDK clients in this process, each with its own creation and
                          wake bound; sessions are spread over them (default 1)
  --create-timeout S      stop creating sessions after S seconds; go on with those created
  --idle-close MS|off     close an agent session's unused connection after MS (default: the SDK's)
  --pause MS              in the work, each session waits a random 0–MS before each call (default
                          0): with a short --idle-close, sessions sleep and wake between calls
  --keep-log PATH         copy the embedded server's log there when it stops (else removed)
  --json                  print the result as JSON on stdout

  Against a running server instead of an embedded one (its project's policy must allow
  \`Bash(ls *)\` and ask for \`Bash(deploy *)\`):
  --endpoint URL          e.g. http://127.0.0.1:6420
  --project ID            (default load)
  --agent-token T         or $WARDEN_AGENT_TOKEN
  --approver-token T      or $WARDEN_APPROVER_TOKEN (all approvers share it)
  --engine-pid PID        to read the engine's CPU and memory from /proc
  --runner-pid PID        the same for the Warden server
  --engine-metrics URL    the engine's Prometheus endpoint, e.g. http://127.0.0.1:6430/metrics`;

const number = (value: string | undefined, name: string, fallback: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0\n${USAGE}`);
  return n;
};

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: "string" },
      requests: { type: "string" },
      "ask-fraction": { type: "string" },
      approvers: { type: "string" },
      duration: { type: "string" },
      "fast-path": { type: "string" },
      "create-concurrency": { type: "string" },
      clients: { type: "string" },
      "keep-log": { type: "string" },
      "create-timeout": { type: "string" },
      "idle-close": { type: "string" },
      pause: { type: "string" },
      json: { type: "boolean", default: false },
      endpoint: { type: "string" },
      project: { type: "string" },
      "agent-token": { type: "string" },
      "approver-token": { type: "string" },
      "engine-pid": { type: "string" },
      "runner-pid": { type: "string" },
      "engine-metrics": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const fastPath = values["fast-path"] ?? "off";
  if (fastPath !== "on" && fastPath !== "off")
    throw new Error(`--fast-path is on or off\n${USAGE}`);
  const askFraction = number(values["ask-fraction"], "ask-fraction", 0.1);
  if (askFraction > 1) throw new Error(`--ask-fraction is between 0 and 1\n${USAGE}`);
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    endpoint: values.endpoint,
    project: values.project ?? "load",
    agentToken: values["agent-token"] ?? process.env.WARDEN_AGENT_TOKEN,
    approverToken: values["approver-token"] ?? process.env.WARDEN_APPROVER_TOKEN,
    enginePid: values["engine-pid"] ? number(values["engine-pid"], "engine-pid", 0) : undefined,
    runnerPid: values["runner-pid"] ? number(values["runner-pid"], "runner-pid", 0) : undefined,
    metricsUrl: values["engine-metrics"],
    keepLog: values["keep-log"],
    load: {
      sessions: Math.max(1, Math.floor(number(values.sessions, "sessions", 100))),
      requestsPerSession: Math.max(1, Math.floor(number(values.requests, "requests", 20))),
      askFraction,
      approvers: Math.floor(number(values.approvers, "approvers", 2)),
      ...(values.duration !== undefined
        ? { durationS: number(values.duration, "duration", 0) }
        : {}),
      ...(values["create-timeout"] !== undefined
        ? { createTimeoutS: number(values["create-timeout"], "create-timeout", 0) }
        : {}),
      fastPath: fastPath as "on" | "off",
      ...(values["idle-close"] !== undefined
        ? {
            idleCloseMs:
              values["idle-close"] === "off"
                ? (false as const)
                : number(values["idle-close"], "idle-close", 0),
          }
        : {}),
      clients: Math.max(1, Math.floor(number(values.clients, "clients", 1))),
      pauseMs: number(values.pause, "pause", 0),
      createConcurrency: Math.max(
        1,
        Math.floor(number(values["create-concurrency"], "create-concurrency", 10)),
      ),
    },
  };
}

async function target(
  args: ReturnType<typeof parse>,
  log: (line: string) => void,
): Promise<LoadTarget> {
  if (args.endpoint === undefined) {
    log("starting an embedded server");
    return startEmbeddedServer({
      approvers: args.load.approvers,
      project: args.project,
      log,
      ...(args.keepLog !== undefined ? { keepLog: args.keepLog } : {}),
    });
  }
  if (!args.agentToken || !args.approverToken) {
    throw new Error(`--endpoint needs --agent-token and --approver-token\n${USAGE}`);
  }
  return {
    endpoint: args.endpoint,
    project: args.project,
    agentToken: args.agentToken,
    approverTokens: [args.approverToken],
    enginePid: args.enginePid,
    runnerPid: args.runnerPid,
    metricsUrl: args.metricsUrl,
    stop: async () => undefined,
  };
}

const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

/** Sessions found with a call unanswered for a minute (their details are in `--json`). */
function describeStalls(stalls: LoadResult["stalls"]): string {
  if (stalls.length === 0) return "none";
  const sessions = new Set(stalls.map((s) => s.sessionId));
  return `${sessions.size} sessions had a call unanswered for ${STALL_MS / 1000} s (${stalls.length} looks; --json has what each was doing)`;
}

/** The result as a few lines for people. */
export function describeLoad(r: LoadResult): string {
  const a = r.audit;
  return [
    `sessions      ${r.sessions_created}/${r.sessions} created in ${fixed(r.create_s)} s (${fixed(r.sessions_per_s)}/s; p50 ${fixed(r.create_p50_ms, 0)} ms, p99 ${fixed(r.create_p99_ms, 0)} ms; engine ${fixed(r.engine_cpu_ms_per_session_created)} ms CPU each)`,
    `decisions     ${fixed(r.decisions_actor_per_s)}/s by the actors, ${fixed(r.decisions_local_per_s)}/s local (p50 ${fixed(r.decision_p50_ms)} ms, p99 ${fixed(r.decision_p99_ms)} ms) over ${fixed(r.work_s)} s`,
    `asks          ${r.asks} (${fixed(r.asks_per_s)}/s); ask → first approver p50 ${fixed(r.ask_to_first_approver_p50_ms, 0)} ms, p99 ${fixed(r.ask_to_first_approver_p99_ms, 0)} ms; reply → agent p50 ${fixed(r.reply_to_agent_p50_ms, 0)} ms, p99 ${fixed(r.reply_to_agent_p99_ms, 0)} ms; ${r.approver_races_lost} races lost`,
    `engine CPU    ${fixed(r.engine_cpu_ms_per_actor_call, 2)} ms per actor-decided call (runner ${fixed(r.runner_cpu_ms_per_actor_call, 2)} ms); storage ${fixed(r.engine_transactions_per_actor_call, 2)} transactions, ${fixed(r.engine_operations_per_actor_call, 1)} operations per call, ${fixed(r.engine_transactions_per_session_created, 1)} transactions per session created`,
    `storage work  ${r.engine_work_transactions_top.map(([n, c]) => `${n} ${c}`).join(", ") || "n/a"}`,
    `idle          engine ${fixed(r.engine_idle_cpu_ms_per_s_per_session, 2)} ms CPU and ${fixed(r.engine_idle_transactions_per_s_per_session, 2)} storage transactions per second per connected idle session`,
    `memory        engine ${fixed(r.engine_rss_mb_per_session, 2)} MB, runner ${fixed(r.runner_rss_mb_per_session, 2)} MB RSS per session (now ${fixed(r.engine_rss_mb, 0)} / ${fixed(r.runner_rss_mb, 0)} MB)`,
    `errors        ${r.errors_total === 0 ? "none" : JSON.stringify(r.errors)}`,
    `stalls        ${describeStalls(r.stalls)}`,
    `audit         ${a.ok ? "ok" : "FAILED"}: ${a.answered} answered, ${a.audited} audited, ${a.lost} lost, ${a.doubled} doubled, ${a.mismatched} mismatched, ${a.approvals_doubled} approved twice, ${a.pending_left} left pending, ${a.audited_without_answer} audited after a failed call, ${a.unreadable_sessions} sessions unreadable`,
  ].join("\n");
}

/** What a run stopped before its end did, as a few lines for people. */
export function describeSnapshot(s: LoadSnapshot): string {
  return [
    `stopped       in the ${s.phase} phase after ${fixed(s.elapsed_s, 0)} s: a partial result, no audit verdict`,
    `sessions      ${s.sessions_created}/${s.sessions} created (p50 ${fixed(s.create_p50_ms, 0)} ms, p99 ${fixed(s.create_p99_ms, 0)} ms)`,
    `decisions     ${s.decisions_actor} by the actors, ${s.decisions_local} local over ${fixed(s.work_s)} s of work (${fixed(s.decisions_per_s)}/s; p50 ${fixed(s.decision_p50_ms)} ms, p99 ${fixed(s.decision_p99_ms)} ms)`,
    `asks          ${s.asks_answered}/${s.asks} answered; ask → first approver p50 ${fixed(s.ask_to_first_approver_p50_ms, 0)} ms, p99 ${fixed(s.ask_to_first_approver_p99_ms, 0)} ms; reply → agent p50 ${fixed(s.reply_to_agent_p50_ms, 0)} ms, p99 ${fixed(s.reply_to_agent_p99_ms, 0)} ms`,
    `errors        ${s.errors_total === 0 ? "none" : JSON.stringify(s.errors)}`,
    `stalls        ${describeStalls(s.stalls)}`,
    `audit         ${s.audit_sessions_read} sessions read (${s.audit_sessions_unreadable} unreadable) before the stop`,
  ].join("\n");
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Stopped from outside (`timeout`, a process manager, Ctrl-C): print what was done so far, and
  // stop the embedded server and its engine, which must not outlive the run (the engine would keep
  // a core busy with nobody to stop it). `on`, not `once`: one Ctrl-C reaches this process
  // from the terminal's process group and again from the package runner, and a signal without a
  // listener would end the process at once, before the server is stopped. A signal during start
  // is handled too: the server is stopped as soon as it is up.
  let snapshot: (() => LoadSnapshot) | undefined;
  let stopped: NodeJS.Signals | undefined;
  let server: LoadTarget | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopped) return;
    stopped = signal;
    log(`load: ${signal} received, stopping${server ? " the server" : ""}`);
    if (snapshot) {
      const partial = snapshot();
      // Synchronously: the process exits as soon as the server has stopped, and a pipe's
      // asynchronous write would be lost with it.
      writeSync(
        1,
        `${args.json ? JSON.stringify({ stopped: signal, ...partial }, null, 2) : describeSnapshot(partial)}\n`,
      );
    }
    const code = signal === "SIGINT" ? 130 : 143;
    if (server) void server.stop().finally(() => process.exit(code));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stop(signal));
  server = await target(args, log);
  if (stopped) {
    await server.stop();
    return stopped === "SIGINT" ? 130 : 143;
  }
  let result: LoadResult;
  try {
    result = await runLoad(server, {
      ...args.load,
      onProgress: log,
      onSnapshot: (take) => {
        snapshot = take;
      },
    });
  } catch (error) {
    // A run stopped by a signal fails its calls as the server goes: the partial result was printed.
    if (stopped) return new Promise<number>(() => undefined);
    throw error;
  } finally {
    await server.stop();
  }
  // The signal's handler exits once the server has stopped; this result came after it.
  if (stopped) return new Promise<number>(() => undefined);
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else console.log(describeLoad(result));
  return result.audit.ok && result.errors_total === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
