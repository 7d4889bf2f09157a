// A Warden server (apps/server) in external-engine mode: one runner of the cluster.
import { join, resolve } from "node:path";
import { type Child, startChild, stopChild, waitUntil } from "./process.ts";

const MAIN = resolve(import.meta.dirname, "../../apps/server/src/main.ts");

export interface RunnerOptions {
  readonly name: string;
  readonly dir: string;
  /** The Warden config file (policies, tokens, hook); its engine section is overridden. */
  readonly configFile: string;
  readonly endpoint: string;
  readonly namespace: string;
  readonly engineToken: string;
  readonly internalToken: string;
  /** More environment, e.g. WARDEN_DEV or the token variables the config file references. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface Runner {
  readonly name: string;
  readonly options: RunnerOptions;
  child: Child;
  restart(): Promise<void>;
  /** SIGTERM: the runner drains its actors to the others, then exits. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export async function startRunner(options: RunnerOptions): Promise<Runner> {
  const launch = async () => {
    const child = startChild(
      options.name,
      process.execPath,
      ["--import", "tsx", MAIN, "--config", options.configFile],
      {
        cwd: resolve(import.meta.dirname, "../.."),
        logFile: join(options.dir, `${options.name}.log`),
        env: {
          ...process.env,
          ...options.env,
          WARDEN_ENGINE_ENDPOINT: options.endpoint,
          WARDEN_ENGINE_NAMESPACE: options.namespace,
          WARDEN_ENGINE_TOKEN: options.engineToken,
          WARDEN_INTERNAL_TOKEN: options.internalToken,
          RIVET_RUN_SERVICES: "0",
          RIVET_ENVOY_VERSION: options.env?.RIVET_ENVOY_VERSION ?? "1",
        },
      },
    );
    await waitUntil(
      `${options.name} to join the engine`,
      () => (/warden: runner joined/.test(child.output()) ? true : undefined),
      { timeoutMs: 90_000, child },
    );
    return child;
  };
  const runner: Runner = {
    name: options.name,
    options,
    child: await launch(),
    async restart() {
      if (runner.child.alive()) throw new Error(`${options.name} is still running`);
      runner.child = await launch();
    },
    stop: () => stopChild(runner.child, "SIGTERM", 30_000),
    kill: () => stopChild(runner.child, "SIGKILL"),
  };
  return runner;
}
