// A Warden server (apps/server) in external-engine mode: one runner of the cluster.
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { ENGINE_LOST_EXIT_CODE } from "../../apps/server/src/engine-link.ts";
import { faultOfLogLine, SAVE_TICK_POLICY } from "../../apps/server/src/storage-log.ts";
import {
  describeLeftover,
  EMPTY_STORAGE_WATCH,
  noteFault,
} from "../../apps/server/src/storage-watch.ts";
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
  /** Times the runner exited because it lost its engine connection and was started again. */
  restarts: number;
  /** Exits that were not asked for and not that loss (a crash: restarted too, but a bug). */
  readonly crashes: (number | string)[];
  restart(): Promise<void>;
  /** SIGTERM: the runner drains its actors to the others, then exits. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export async function startRunner(options: RunnerOptions): Promise<Runner> {
  /** Children this supervisor killed for an actor left on closed storage: restarts, not crashes. */
  const leftovers = new WeakSet<Child>();
  // The runner sees an actor on closed storage itself when calls to it fail (apps/server main.ts);
  // an actor nobody calls shows only in the runner's output, as RivetKit's save ticks failing
  // without end (apps/server/src/storage-log.ts). Such a runner is killed and started again.
  function watchSaveTicks(child: Child) {
    let faults = EMPTY_STORAGE_WATCH;
    for (const stream of [child.process.stdout, child.process.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
        const fault = faultOfLogLine(line);
        if (!fault || leftovers.has(child) || !child.alive()) return;
        const noted = noteFault(faults, fault, SAVE_TICK_POLICY);
        faults = noted.state;
        if (noted.verdict.kind === "watch") return;
        leftovers.add(child);
        console.error(
          `${options.name}: ${describeLeftover(noted.verdict)} (save ticks); killing it`,
        );
        child.process.kill("SIGKILL");
      });
    }
  }
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
    watchSaveTicks(child);
    await waitUntil(
      `${options.name} to join the engine`,
      () => (/warden: runner joined/.test(child.output()) ? true : undefined),
      { timeoutMs: 90_000, child },
    );
    return child;
  };
  // Like a container's restart policy (compose's `unless-stopped`): a runner that exits without
  // being asked to is started again. A runner that lost its engine connection exits with
  // ENGINE_LOST_EXIT_CODE on purpose, to come back with fresh actors (apps/server/src/engine-link.ts);
  // any other exit is a crash, restarted as well but recorded in `crashes`.
  let stopped = false;
  let relaunching: Promise<void> | undefined;
  const supervise = (child: Child) => {
    void child.exited.then((code) => {
      if (stopped || runner.child !== child) return;
      if (code === ENGINE_LOST_EXIT_CODE || leftovers.has(child)) runner.restarts += 1;
      else runner.crashes.push(code);
      console.error(
        `${options.name}: ${code === ENGINE_LOST_EXIT_CODE ? "lost its engine connection or an actor's storage" : leftovers.has(child) ? "killed for an actor on closed storage" : `crashed (${code})`}, starting it again`,
      );
      relaunching = launch().then(
        (next) => {
          runner.child = next;
          supervise(next);
        },
        (error: unknown) => console.error(`${options.name}: restart failed:`, error),
      );
    });
    return child;
  };
  const runner: Runner = {
    name: options.name,
    options,
    child: supervise(await launch()),
    restarts: 0,
    crashes: [],
    async restart() {
      await relaunching;
      if (runner.child.alive()) throw new Error(`${options.name} is still running`);
      stopped = false;
      runner.child = supervise(await launch());
    },
    async stop() {
      stopped = true;
      await relaunching;
      await stopChild(runner.child, "SIGTERM", 30_000);
    },
    async kill() {
      stopped = true;
      await relaunching;
      await stopChild(runner.child, "SIGKILL");
    },
  };
  return runner;
}
