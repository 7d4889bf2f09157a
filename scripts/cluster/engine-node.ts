// One Rivet Engine node of the cluster: the `rivet-engine` binary that RivetKit ships, started with
// its own config file (the NATS address list cannot be given through RIVET__* variables).
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { type Child, startChild, stopChild, waitUntil, writePrivate } from "./process.ts";

/** The rivet-engine binary of the installed rivetkit (`RIVET_ENGINE_BINARY` overrides it). */
export function findEngineBinary(): string {
  const app = resolve(import.meta.dirname, "../../apps/server/package.json");
  const rivetkit = createRequire(app).resolve("rivetkit");
  const cli = createRequire(rivetkit)("@rivetkit/engine-cli") as { getEnginePath(): string };
  return cli.getEnginePath();
}

export interface EngineNodeOptions {
  readonly name: string;
  readonly dir: string;
  readonly adminToken: string;
  readonly guardPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly postgresUrl: string;
  readonly natsPort: number;
  /** NATS's credentials (the NATS server refuses clients without them). */
  readonly natsUser: string;
  readonly natsPassword: string;
  /** What clients and runners use: the load balancer's guard and peer addresses. */
  readonly publicUrl: string;
  readonly peerUrl: string;
  /** How long the engine waits before it declares a silent runner lost (default 5 s here). */
  readonly runnerLostMs?: number;
}

/** The node's config file; every node has the same but for its own ports. */
export function engineConfig(options: EngineNodeOptions) {
  return {
    auth: { admin_token: options.adminToken },
    guard: { host: "127.0.0.1", port: options.guardPort },
    api_peer: { host: "127.0.0.1", port: options.peerPort },
    metrics: { host: "127.0.0.1", port: options.metricsPort },
    postgres: { url: options.postgresUrl },
    nats: {
      addresses: [`127.0.0.1:${options.natsPort}`],
      username: options.natsUser,
      password: options.natsPassword,
    },
    topology: {
      datacenter_label: 1,
      datacenters: {
        default: {
          datacenter_label: 1,
          is_leader: true,
          public_url: options.publicUrl,
          peer_url: options.peerUrl,
        },
      },
    },
    // A runner that stops answering is declared lost after this; its actors then move to a
    // survivor. Upstream's default took 21–25 s per runner crash here, this 8.6–9.5 s.
    // An actor the engine could not place (every runner restarting at once, as after an engine
    // node's death) is retried after base × 2^attempts, attempts counted until 10 min pass
    // without one: upstream's exponent 8 left a session unplaced for ~12 min in a CI run. 2 caps
    // the wait at 8 s; a reset after 60 s keeps one failover's attempts from the next's.
    pegboard: {
      envoy_lost_threshold: options.runnerLostMs ?? 5_000,
      reschedule_backoff_max_exponent: 2,
      retry_reset_duration: 60_000,
    },
    telemetry: { enabled: false },
    // The engine stops admitting workflows when the host's CPU nears 90 %; on a box it shares
    // with runners that stalls new sessions (see docs/deploy.md).
    runtime: { worker_cpu_max: 64_000 },
  };
}

export interface EngineNode {
  readonly name: string;
  readonly options: EngineNodeOptions;
  readonly configFile: string;
  child: Child;
  /** Starts the node again after a stop or kill, with the same config. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export async function startEngineNode(options: EngineNodeOptions): Promise<EngineNode> {
  const binary = findEngineBinary();
  const configFile = join(options.dir, `${options.name}.json`);
  // It holds the admin token and the database and NATS passwords.
  writePrivate(configFile, JSON.stringify(engineConfig(options), null, 2));
  checkParsedConfig(configFile, options.natsPort);
  const launch = async () => {
    const child = startChild(options.name, binary, ["--config", configFile, "start"], {
      logFile: join(options.dir, `${options.name}.log`),
      env: {
        ...process.env,
        // Warnings, plus the lease messages that say which node leads (see `leader()`) and the
        // workflow runtime's failover of a dead node's workflows (`workflowsFailedOver()`); test
        // runners silence RUST_LOG, so the cluster has its own variable.
        RUST_LOG: process.env.WARDEN_CLUSTER_RUST_LOG ?? "warn,universaldb=info,gasoline=info",
        RIVET__TELEMETRY__ENABLED: "false",
      },
    });
    await waitUntil(
      `${options.name} to be healthy`,
      async () => ((await isHealthy(options.guardPort)) ? true : undefined),
      { timeoutMs: 60_000, child },
    );
    return child;
  };
  const node: EngineNode = {
    name: options.name,
    options,
    configFile,
    child: await launch(),
    async restart() {
      if (node.child.alive()) throw new Error(`${options.name} is still running`);
      node.child = await launch();
    },
    stop: () => stopChild(node.child, "SIGTERM", 15_000),
    kill: () => stopChild(node.child, "SIGKILL"),
  };
  return node;
}

/** True when the node's guard answers its health check. */
export async function isHealthy(guardPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${guardPort}/health`, {
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Refuses a config the engine would read as something else (`rivet-engine config show`): a
 * mistyped key can leave a node on file storage, single-node, healthy-looking.
 */
export function checkParsedConfig(configFile: string, natsPort: number): void {
  const shown = execFileSync(findEngineBinary(), ["--config", configFile, "config", "show"], {
    encoding: "utf8",
    env: { ...process.env, RUST_LOG: "off" },
  });
  if (!shown.includes("Postgres(") || !shown.includes(`"127.0.0.1:${natsPort}"`)) {
    throw new Error(
      `${configFile}: the engine did not parse PostgreSQL and NATS from it:\n${shown}`,
    );
  }
}

/**
 * The engine's own view of its workflows in one state (`rivet-engine workflow list`), read through
 * a node's config (PostgreSQL and NATS): for a post-mortem of a stalled failover, e.g. an actor's
 * workflow left `dead` after its activities failed while no node held the storage leader lease.
 */
export function listWorkflows(
  node: EngineNode,
  state: "running" | "sleeping" | "dead",
  timeoutMs = 30_000,
): string {
  return execFileSync(
    findEngineBinary(),
    ["--config", node.configFile, "workflow", "list", "--state", state, "--pretty"],
    { encoding: "utf8", env: { ...process.env, RUST_LOG: "off" }, timeout: timeoutMs },
  );
}
