/**
 * `pnpm bench --only cluster`: Warden on pnpm cluster's topology (two engine nodes on PostgreSQL
 * and NATS, a TCP load balancer, Warden runners). Throughput through the session actors (fast path
 * off) on one runner and then two in the same run, the runner↔engine round trip through the load
 * balancer with and without loopback quickack, and the stall after a runner or the leader engine
 * is SIGKILLed.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { createWardenClient, type WardenClient } from "@warden/client";
import { type Cluster, startCluster } from "../../scripts/cluster/index.ts";
import { type WardenSetup, writeWardenConfig } from "../../scripts/cluster/warden-config.ts";

const SESSIONS = 8;
const DECISIONS_PER_SESSION = 25;
const ASKS_PER_SESSION = 4;
const ROUND_TRIPS = 60;

const writeSetup = () =>
  writeWardenConfig({
    bench: {
      default_behavior: "ask",
      rules: [{ tool: "Bash(ls *)", behavior: "allow" }],
      ask: { timeout_seconds: 3600 },
    },
  });

function clients(cluster: Cluster, setup: WardenSetup) {
  const common = { endpoint: cluster.endpoint, project: "bench", fastPath: "off" as const };
  return {
    agents: createWardenClient({ ...common, token: setup.agentToken }),
    approvers: createWardenClient({ ...common, token: setup.approverToken }),
  };
}

const allowed = (i: number) => ({ toolName: "Bash", input: { command: `ls ${i}` } });

/** Opens the sessions (creation is not what is measured) and returns their ids. */
async function openSessions(agents: WardenClient, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: SESSIONS }, (_, i) => `${prefix}-${i}`);
  await Promise.all(ids.map((id) => agents.session(id).requestPermission(allowed(-1))));
  return ids;
}

/** Rule-decided calls through the actors, every session in parallel, each one call at a time. */
async function decisionsPerSecond(agents: WardenClient, ids: readonly string[]): Promise<number> {
  const started = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      for (let i = 0; i < DECISIONS_PER_SESSION; i++) {
        await agents.session(id).requestPermission(allowed(i));
      }
    }),
  );
  return (ids.length * DECISIONS_PER_SESSION) / ((performance.now() - started) / 1000);
}

/** Asks answered by an approver watching the inbox, end to end (ask → agent has the decision). */
async function asksPerSecond(
  agents: WardenClient,
  approvers: WardenClient,
  ids: readonly string[],
  tag: string,
): Promise<number> {
  const inbox = approvers.inbox("bench");
  const unsubscribe = await inbox.subscribe({
    onRequest: (request) => {
      if (!request.requestId.startsWith(tag)) return;
      inbox
        .respond(request.sessionId, request.permissionId, "once")
        .catch((error: unknown) => process.stderr.write(`bench: reply failed: ${String(error)}\n`));
    },
    onResolved: () => undefined,
  });
  const started = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      for (let i = 0; i < ASKS_PER_SESSION; i++) {
        const decision = await agents.session(id).requestPermission({
          toolName: "Bash",
          input: { command: `deploy ${id} ${i}` },
          requestId: `${tag}-${id}-${i}`,
        });
        if (decision.behavior !== "allow") throw new Error(`ask ${id}/${i}: ${decision.message}`);
      }
    }),
  );
  const rate = (ids.length * ASKS_PER_SESSION) / ((performance.now() - started) / 1000);
  unsubscribe();
  return rate;
}

/** Median ms of one rule-decided call on one session: client → LB → engine → runner and back. */
async function roundTripMs(agents: WardenClient, id: string): Promise<number> {
  const session = agents.session(id);
  await session.requestPermission(allowed(0));
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = performance.now();
    await session.requestPermission(allowed(i));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Kills, then resolves with the ms until every session answers again (the slowest one). */
async function stallMs(
  approvers: WardenClient,
  ids: readonly string[],
  kill: () => Promise<void>,
): Promise<number> {
  const killed = Date.now();
  await kill();
  const times = await Promise.all(
    ids.map(async (id) => {
      await approvers.session(id).listPending();
      return Date.now() - killed;
    }),
  );
  return Math.max(...times);
}

/** A cluster with one runner and two clients; `stop()` ends all of it and removes its files. */
async function startOneRunner() {
  const setup = writeSetup();
  const cluster = await startCluster({
    runnerConfig: setup.configFile,
    runners: 1,
    durable: false,
  });
  const { agents, approvers } = clients(cluster, setup);
  const stop = async () => {
    await agents.dispose({ flushMs: 0 }).catch(() => undefined);
    await approvers.dispose().catch(() => undefined);
    await cluster.stop();
    rmSync(cluster.dir, { recursive: true, force: true });
    rmSync(setup.dir, { recursive: true, force: true });
  };
  return { cluster, agents, approvers, stop };
}

/** A cluster with one runner: the round trip only (run inside a quickack namespace). */
async function roundTripOnly(log: (line: string) => void): Promise<number> {
  const { agents, stop } = await startOneRunner();
  try {
    const ms = await roundTripMs(agents, "rtt");
    log(`round trip p50 ${ms.toFixed(1)} ms`);
    return ms;
  } finally {
    await stop();
  }
}

const QUICKACK_ROUTES = `
ip link set lo up
ip route change local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
ip route change local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
`;

/**
 * The same round trip in a network namespace whose loopback routes have `quickack 1` (what
 * scripts/with-quickack.sh and the compose file's loopback holder do). Needs root: PostgreSQL
 * runs as its own user, which a user namespace cannot map. NaN where that is not possible.
 */
function roundTripWithQuickack(log: (line: string) => void): Promise<number> {
  if (process.getuid?.() !== 0) {
    log("quickack round trip skipped: needs root for a network namespace");
    return Promise.resolve(Number.NaN);
  }
  const self = resolve(import.meta.filename);
  const child = spawn(
    "unshare",
    [
      "--net",
      "sh",
      "-ec",
      `${QUICKACK_ROUTES}\nexec "$@"`,
      "sh",
      process.execPath,
      "--import",
      "tsx",
      self,
      "--round-trip",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((done) => {
    child.once("exit", (code) => {
      const ms = Number(/round-trip-ms (\S+)/.exec(out)?.[1]);
      if (code !== 0 || !Number.isFinite(ms)) log(`quickack round trip failed (exit ${code})`);
      done(code === 0 ? ms : Number.NaN);
    });
  });
}

/** The `cluster` section of `pnpm bench`. */
export async function runClusterBench(
  log: (line: string) => void,
): Promise<Record<string, number>> {
  log("starting a cluster: 2 engines, 1 runner");
  const { cluster, agents, approvers, stop } = await startOneRunner();
  try {
    const one = await openSessions(agents, "one");
    const decisions1 = await decisionsPerSecond(agents, one);
    const asks1 = await asksPerSecond(agents, approvers, one, "one");
    log(`1 runner: ${decisions1.toFixed(1)} decisions/s, ${asks1.toFixed(1)} asks/s`);
    const roundTrip = await roundTripMs(agents, one[0]!);
    log(`round trip through the load balancer: p50 ${roundTrip.toFixed(1)} ms`);

    await cluster.addRunner();
    // New sessions: actors are placed when created, so these spread over both runners.
    const two = await openSessions(agents, "two");
    const decisions2 = await decisionsPerSecond(agents, two);
    const asks2 = await asksPerSecond(agents, approvers, two, "two");
    log(`2 runners: ${decisions2.toFixed(1)} decisions/s, ${asks2.toFixed(1)} asks/s`);

    const all = [...one, ...two];
    const runnerStall = await stallMs(approvers, all, () => cluster.runners[0]!.kill());
    log(`runner SIGKILL: every session answered again after ${runnerStall} ms`);
    const leader = cluster.leader();
    if (!leader) throw new Error("no engine holds the leader lease");
    const leaderStall = await stallMs(approvers, all, () => leader.kill());
    log(`leader engine SIGKILL: every session answered again after ${leaderStall} ms`);

    await stop();
    log("round trip in a quickack network namespace (a second cluster)");
    const roundTripQuickack = await roundTripWithQuickack(log);
    return {
      decisions_per_s_1_runner: decisions1,
      decisions_per_s_2_runners: decisions2,
      decisions_ratio_2_vs_1: decisions2 / decisions1,
      asks_per_s_1_runner: asks1,
      asks_per_s_2_runners: asks2,
      asks_ratio_2_vs_1: asks2 / asks1,
      round_trip_p50_ms: roundTrip,
      round_trip_quickack_p50_ms: roundTripQuickack,
      round_trip_ratio_default_vs_quickack: roundTrip / roundTripQuickack,
      runner_failover_ms: runnerStall,
      leader_failover_ms: leaderStall,
      leader_vs_runner_failover_ratio: leaderStall / runnerStall,
    };
  } finally {
    await stop();
  }
}

if (process.argv.includes("--round-trip")) {
  roundTripOnly((line) => process.stderr.write(`[quickack] ${line}\n`)).then(
    (ms) => {
      process.stdout.write(`round-trip-ms ${ms}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
