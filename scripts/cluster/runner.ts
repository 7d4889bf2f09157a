// A Warden server (apps/server) in external-engine mode: one runner of the cluster.
import { join, resolve } from "node:path";
import { ENGINE_LOST_EXIT_CODE } from "../../apps/server/src/engine-link.ts";
import { watchSaveTicks } from "../../apps/server/src/save-tick-watch.ts";
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
  function watchOutput(child: Child) {
    watchSaveTicks([child.process.stdout, child.process.stderr], (description) => {
      if (!child.alive()) return;
      leftovers.add(child);
      console.error(`${options.name}: ${description}; killing it`);
      child.process.kill("SIGKILL");
    });
  }
  const spawnedAt = new WeakMap<Child, number>();
  const spawn = () => {
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
    watchOutput(child);
    spawnedAt.set(child, Date.now());
    return child;
  };
  const joined = (child: Child) =>
    waitUntil(
      `${options.name} to join the engine`,
      () => (/warden: runner joined/.test(child.output()) ? true : undefined),
      { timeoutMs: 90_000, child },
    );
  // Like a container's restart policy (compose's `unless-stopped`): a runner that exits without
  // being asked to is started again, also when it exits before it joined (a runner started while
  // the engines elect a new storage leader can lose its engine connection at once). A runner that
  // lost its engine connection exits with ENGINE_LOST_EXIT_CODE on purpose, to come back with fresh
  // actors (apps/server/src/engine-link.ts); any other exit is a crash, restarted as well but
  // recorded in `crashes`.
  let stopped = false;
  let relaunching: Promise<void> | undefined;
  const supervise = (child: Child) => {
    void child.exited.then(async (code) => {
      if (stopped || runner.child !== child) return;
      if (code === ENGINE_LOST_EXIT_CODE || leftovers.has(child)) runner.restarts += 1;
      else runner.crashes.push(code);
      console.error(
        `${options.name}: ${code === ENGINE_LOST_EXIT_CODE ? "lost its engine connection or an actor's storage" : leftovers.has(child) ? "killed for an actor on closed storage" : `crashed (${code})`}, starting it again`,
      );
      // A second a restart, as compose's restart policy at least waits: a runner that cannot start
      // must not spin.
      if (Date.now() - (spawnedAt.get(child) ?? 0) < 1_000) {
        await new Promise((r) => setTimeout(r, 1_000));
      }
      if (stopped || runner.child !== child) return;
      const next = spawn();
      runner.child = next;
      supervise(next);
      relaunching = joined(next).then(
        () => undefined,
        // Its exit is handled (and restarted) by `supervise`; a start that hangs is reported.
        (error: unknown) => {
          if (next.alive()) console.error(`${options.name}: restart failed:`, error);
        },
      );
    });
    return child;
  };
  /** Until the runner, restarted by its supervisor as often as it exits first, has joined. */
  const untilJoined = async () => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const child = runner.child;
      try {
        return await joined(child);
      } catch (error) {
        if (stopped || Date.now() > deadline) throw error;
        await waitUntil(
          `${options.name} to start again`,
          () => (runner.child !== child ? true : undefined),
          { timeoutMs: 5_000 },
        );
      }
    }
  };
  const first = spawn();
  await joined(first);
  const runner: Runner = {
    name: options.name,
    options,
    child: supervise(first),
    restarts: 0,
    crashes: [],
    async restart() {
      await relaunching;
      if (runner.child.alive()) throw new Error(`${options.name} is still running`);
      stopped = false;
      runner.child = supervise(spawn());
      await untilJoined();
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
