/**
 * A Warden cluster on this machine, from Debian packages and npm binaries: a private PostgreSQL
 * and NATS, engine nodes sharing them, a TCP load balancer in front of the nodes, and Warden
 * servers joined as runners. Used by `pnpm cluster`, the cluster test and the cluster bench.
 * @example const cluster = await startCluster({ runnerConfig: "apps/server/warden.config.yaml" }); await cluster.stop();
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Balancer, startBalancer } from "./balancer.ts";
import { type EngineNode, startEngineNode } from "./engine-node.ts";
import { type Nats, startNats } from "./nats.ts";
import { type Postgres, startPostgres } from "./postgres.ts";
import { freePorts } from "./process.ts";
import { type Runner, startRunner } from "./runner.ts";

export interface ClusterOptions {
  /** Where logs, configs and the database live (default: a new temp dir). */
  readonly dir?: string;
  readonly engines?: number;
  readonly runners?: number;
  /** The Warden config file every runner loads. */
  readonly runnerConfig: string;
  readonly runnerEnv?: NodeJS.ProcessEnv;
  readonly namespace?: string;
  /** PostgreSQL with fsync (default true; tests turn it off). */
  readonly durable?: boolean;
  /** How long before the engine declares a silent runner lost. */
  readonly runnerLostMs?: number;
  readonly log?: (line: string) => void;
}

export interface Cluster {
  readonly dir: string;
  /** Where clients and runners connect: the load balancer in front of the engines' guard ports. */
  readonly endpoint: string;
  readonly namespace: string;
  readonly adminToken: string;
  readonly internalToken: string;
  readonly postgres: Postgres;
  readonly nats: Nats;
  readonly engines: readonly EngineNode[];
  readonly balancer: Balancer;
  readonly runners: Runner[];
  /** Starts one more runner. */
  addRunner(): Promise<Runner>;
  /** The engine node that holds the storage leader lease now. */
  leader(): EngineNode | undefined;
  /**
   * Resolves once a live engine node took over the workflows that nodes killed since `since` (a
   * `Date.now()`) held, with the milliseconds from `since`; undefined if none was logged within
   * `boundMs` (the killed nodes held none). See `workflowFailoverAfter`.
   */
  workflowsFailedOver(since: number, boundMs?: number): Promise<number | undefined>;
  /** Stops everything it started: runners, then engines, then NATS and PostgreSQL. */
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => {});
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "warden-cluster-"));
  const namespace = options.namespace ?? "default";
  const adminToken = randomBytes(24).toString("base64url");
  const internalToken = randomBytes(24).toString("base64url");
  const engineCount = options.engines ?? 2;
  // Undo in reverse order whatever started, also when a later step fails.
  const undo: (() => Promise<void>)[] = [];
  const runners: Runner[] = [];
  const engines: EngineNode[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Runners before engines: stopping both at once hung in the measurements.
      await Promise.allSettled(runners.map((r) => r.stop()));
      while (undo.length > 0) await undo.pop()!().catch(() => {});
    })();
    return stopping;
  };

  try {
    const [pgPort, natsPort, lbGuard, lbPeer, ...nodePorts] = (await freePorts(
      4 + 3 * engineCount,
    )) as [number, number, number, number, ...number[]];
    const postgres = await startPostgres({ dir, port: pgPort, durable: options.durable ?? true });
    undo.push(() => postgres.stop());
    log(`postgres on 127.0.0.1:${pgPort}`);
    const nats = await startNats({ dir, port: natsPort });
    undo.push(() => nats.stop());
    log(`nats on 127.0.0.1:${natsPort}`);

    const nodes = Array.from({ length: engineCount }, (_, i) => ({
      name: `engine-${i + 1}`,
      guardPort: nodePorts[3 * i]!,
      peerPort: nodePorts[3 * i + 1]!,
      metricsPort: nodePorts[3 * i + 2]!,
    }));
    // The first node creates the schema and takes the lease; the others then join as followers.
    for (const node of nodes) {
      const engine = await startEngineNode({
        ...node,
        dir,
        adminToken,
        postgresUrl: postgres.url,
        natsPort,
        natsUser: nats.user,
        natsPassword: nats.password,
        publicUrl: `http://127.0.0.1:${lbGuard}`,
        peerUrl: `http://127.0.0.1:${lbPeer}`,
        ...(options.runnerLostMs !== undefined ? { runnerLostMs: options.runnerLostMs } : {}),
      });
      engines.push(engine);
      log(`${node.name}: guard 127.0.0.1:${node.guardPort}`);
    }
    undo.push(async () => {
      await Promise.allSettled(engines.map((e) => e.stop()));
    });

    const balancer = await startBalancer({
      port: lbGuard,
      backends: nodes.map((n) => ({ port: n.guardPort, healthPort: n.guardPort })),
    });
    const peerBalancer = await startBalancer({
      port: lbPeer,
      backends: nodes.map((n) => ({ port: n.peerPort, healthPort: n.guardPort })),
    });
    // Closed after the engines: runners are gone by then, and engines may still talk to peers.
    undo.splice(undo.length - 1, 0, async () => {
      await balancer.close();
      await peerBalancer.close();
    });
    const endpoint = `http://127.0.0.1:${lbGuard}`;
    log(`load balancer on ${endpoint}`);

    let runnerIndex = 0;
    const addRunner = async () => {
      const runner = await startRunner({
        name: `runner-${++runnerIndex}`,
        dir,
        configFile: options.runnerConfig,
        endpoint,
        namespace,
        engineToken: adminToken,
        internalToken,
        ...(options.runnerEnv ? { env: options.runnerEnv } : {}),
      });
      runners.push(runner);
      log(`${runner.name}: pid ${runner.child.pid}`);
      return runner;
    };
    // One at a time: each runner's start creates the namespace's pool on first use.
    for (let i = 0; i < (options.runners ?? 2); i++) await addRunner();

    return {
      dir,
      endpoint,
      namespace,
      adminToken,
      internalToken,
      postgres,
      nats,
      engines,
      balancer,
      runners,
      addRunner,
      leader: () => leaderOf(engines, postgres),
      workflowsFailedOver: (since, boundMs) => workflowFailoverAfter(engines, since, boundMs),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The node whose log says it acquired the lease that PostgreSQL's lease row names now. */
function leaderOf(engines: readonly EngineNode[], postgres: Postgres): EngineNode | undefined {
  let holder: string;
  try {
    holder = postgres.query("select * from udb_lease where expires_at > now()");
  } catch {
    return undefined;
  }
  const id = /\b([0-9a-f]{32})\b/.exec(holder)?.[1];
  if (!id) return undefined;
  return engines.find(
    (e) =>
      e.child.alive() &&
      readFileSync(e.child.logFile, "utf8").includes(`acquired udb postgres leader lease`) &&
      readFileSync(e.child.logFile, "utf8").includes(`node_id=${id}`),
  );
}

/**
 * The engine's workflows (an actor's, a runner's) run leased to one node's worker (gasoline, the
 * engine's workflow runtime). A SIGKILLed node's leases pass to a live node's worker only once the
 * dead worker's last ping is 30 s old (gasoline's `WORKER_LOST_THRESHOLD_MS`, checked at each live
 * worker's 10 s ping, and only while some node holds the storage leader lease): until then those
 * workflows do not run, so an actor whose workflow the dead node held is not moved, whatever
 * happens to its runner. A live node logs `handled failover` when it took them over. This waits
 * for that line (logged after `since`), reading the nodes' logs, and returns the time from `since`;
 * undefined when no node logged one within `boundMs` (the killed node held no workflow).
 */
async function workflowFailoverAfter(
  engines: readonly EngineNode[],
  since: number,
  boundMs = 60_000,
): Promise<number | undefined> {
  const deadline = since + boundMs;
  for (;;) {
    for (const engine of engines) {
      if (!engine.child.alive()) continue;
      for (const match of readFileSync(engine.child.logFile, "utf8").matchAll(
        /^ts=(\S+) level=info message="handled failover"/gm,
      )) {
        const at = Date.parse(match[1]!);
        if (at >= since) return at - since;
      }
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 500));
  }
}
