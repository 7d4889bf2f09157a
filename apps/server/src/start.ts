import { createWarden, type PermissionHook } from "@warden/server";
import { endpointOf, type ServerConfig } from "./config.ts";
import { checkFrontPort, checkPorts, findEngine, stopEngine } from "./engine.ts";
import { engineRefusal, probeEngineRefusal } from "./engine-config.ts";
import { type EngineLink, openEngineLink } from "./engine-link.ts";
import { engineAdminToken } from "./engine-token.ts";
import { type RunningFront, startFront } from "./front-proxy.ts";
import { loadHook } from "./load-hook.ts";
import { loadPolicies } from "./policies.ts";

/** The embedded engine listens here only; the front on the configured host and port is public. */
const ENGINE_HOST = "127.0.0.1";

/** A started server: the engine's client endpoint and the way to stop it (and its embedded engine). */
export interface RunningServer {
  readonly endpoint: string;
  /** The embedded engine's process, which `stop()` ends too; undefined with an external engine. */
  readonly enginePid: number | undefined;
  /** With an external engine: resolves when the engine ends this runner's connection (engine-link.ts). */
  readonly engineLost?: Promise<void>;
  /** From now on the front's `/health` answers 503 with `reason` (embedded engine only). */
  markUnhealthy(reason: string): void;
  stop(): Promise<void>;
}

/** Everything a start needs that can fail without touching the engine: policy files and the hook. */
export async function prepare(config: ServerConfig) {
  const policy = await loadPolicies(config.policy);
  const hook: PermissionHook | undefined = config.hooks ? await loadHook(config.hooks) : undefined;
  return { policy, hook };
}

/**
 * Loads the policy files and the hook, starts the registry (and, when embedded, its engine), and
 * resolves once the runner has registered with the engine.
 * @example const server = await startServer(await loadConfig({ env: process.env, cwd })); await server.stop();
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const { policy, hook } = await prepare(config);
  const { engine } = config;
  if (engine.mode === "embedded") {
    await checkPorts(ENGINE_HOST, config.enginePort, config.storage);
    await checkFrontPort(config.host, config.port);
  }

  // RivetKit reads these from the environment (and the embedded engine inherits them).
  process.env.RIVET_RUN_SERVICES = "0";
  if (engine.mode === "embedded") {
    process.env.RIVETKIT_STORAGE_PATH = config.storage;
    // The engine serves loopback only: clients reach it through the front (front-proxy.ts).
    process.env.RIVET_RUN_ENGINE_HOST = ENGINE_HOST;
    process.env.RIVET_RUN_ENGINE_PORT = String(config.enginePort);
    // The engine stops admitting new workflows (new actors) when the host's CPU nears 90 %. On a
    // small host shared with the runner that stalls every new session for 15–30 s under load
    // (docs/rivetkit-findings.md); the embedded engine serves this one server, so it is turned off
    // unless the operator sets it.
    process.env.RIVET__RUNTIME__WORKER_CPU_MAX ??= "64000";
  }
  // The engine's API answers only its admin token: the embedded engine's is kept with its storage
  // (engine-token.ts); an external engine's comes from the config.
  const adminToken =
    engine.mode === "embedded"
      ? await engineAdminToken(config.storage, process.env)
      : engine.token.value;
  if (engine.mode === "embedded") process.env.RIVET__AUTH__ADMIN_TOKEN = adminToken;

  let link: EngineLink | undefined;
  const { registry, admit } = createWarden({
    policy,
    tokens: Object.fromEntries(config.tokens.map((t) => [t.value, t.principal])),
    ...(hook ? { onPermissionRequest: hook } : {}),
    ...(config.hookBudgetMs !== undefined ? { hookBudgetMs: config.hookBudgetMs } : {}),
    ...(config.maxPendingPerSession !== undefined
      ? { maxPendingPerSession: config.maxPendingPerSession }
      : {}),
    ...(config.defaultWaitMs !== undefined ? { defaultWaitMs: config.defaultWaitMs } : {}),
    ...(config.internalToken ? { internalToken: config.internalToken.value } : {}),
  });
  registry.config.noWelcome = true;
  registry.config.token = adminToken;
  if (engine.mode === "embedded") {
    // Spawn the engine even under NODE_ENV=production, where RivetKit would not by default.
    registry.config.startEngine = true;
  } else {
    // RivetKit refuses an endpoint together with startEngine, and would otherwise take one from
    // RIVET_ENDPOINT / RIVET_ENGINE: the config is the only source.
    registry.config.startEngine = false;
    link = await openEngineLink(engine.endpoint);
    registry.config.endpoint = link.endpoint;
    registry.config.namespace = engine.namespace;
    if (engine.version !== undefined) {
      registry.config.envoy = { ...registry.config.envoy, version: engine.version };
    }
  }
  // This process owns SIGINT/SIGTERM: RivetKit's handlers would re-raise before the engine stops.
  registry.config.shutdown = {
    disableSignalHandlers: true,
    gracePeriodMs: config.shutdownGraceMs,
  };

  let front: RunningFront | undefined;
  let unhealthy: string | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      link?.expectClose();
      await front?.close();
      await registry.shutdown();
      await link?.close();
      if (engine.mode === "external") return;
      const pid = await findEngine(config.storage);
      if (pid !== undefined) await stopEngine(pid);
    })();
    return stopping;
  };
  try {
    await registry.startAndWait();
    if (engine.mode === "embedded") {
      front = await startFront({
        host: config.host,
        port: config.port,
        engine: { host: ENGINE_HOST, port: config.enginePort },
        allowedOrigins: config.allowedOrigins,
        adminToken,
        admit,
        unhealthy: () => unhealthy,
      });
    }
  } catch (error) {
    await stop();
    if (engine.mode === "external") {
      throw engineRefusal(error, engine) ?? (await probeEngineRefusal(engine)) ?? error;
    }
    throw error;
  }
  return {
    endpoint: endpointOf(config),
    enginePid: engine.mode === "embedded" ? await findEngine(config.storage) : undefined,
    ...(link ? { engineLost: link.lost } : {}),
    markUnhealthy(reason) {
      unhealthy ??= reason;
    },
    stop,
  };
}
