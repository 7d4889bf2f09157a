// The server `pnpm load` runs against by default: apps/server with its embedded engine, in a temp
// dir with fresh tokens and free ports, stopped (engine included) when the run ends, however it
// ends (engine-guard.ts).
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkPorts, findEngine, stopEngine } from "../../apps/server/src/engine.ts";
import { freePorts, startChild, stopChild, waitUntil } from "../cluster/process.ts";
import { guardEngine } from "./engine-guard.ts";

const MAIN = resolve(import.meta.dirname, "../../apps/server/src/main.ts");

/** The policy of the load's project: `ls` is allowed by a rule, everything else asks a human. */
export const LOAD_POLICY = {
  default_behavior: "ask",
  rules: [{ tool: "Bash(ls *)", behavior: "allow" }],
  ask: { timeout_seconds: 3600 },
};

/** A running server and what the load needs to reach and measure it. */
export interface LoadTarget {
  readonly endpoint: string;
  readonly project: string;
  readonly agentToken: string;
  /** One token per approver, so that the audit log says which one won each race. */
  readonly approverTokens: readonly string[];
  readonly runnerPid: number | undefined;
  readonly enginePid: number | undefined;
  /** The engine's Prometheus endpoint, for its storage counters. */
  readonly metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/** Starts apps/server with its embedded engine, in its own process; `approvers` approver tokens are made. */
export async function startEmbeddedServer(options: {
  approvers: number;
  project?: string;
  /** The project's policy document (default `LOAD_POLICY`). */
  policy?: object;
  /** The token of actor-to-actor calls (default: the server makes one), for benches that fill a project's inbox. */
  internalToken?: string;
  /** Where to copy the server's log (the engine's and the runner's lines) when it stops; else it is removed. */
  keepLog?: string;
  log?: (line: string) => void;
}): Promise<LoadTarget> {
  const project = options.project ?? "load";
  const dir = mkdtempSync(join(tmpdir(), "warden-load-"));
  const storage = join(dir, "storage");
  // The engine on its own ports (it binds +1 and +10 too), the server's front on another.
  const enginePort = await freeGuardPort(storage);
  let port = enginePort;
  while ([enginePort, enginePort + 1, enginePort + 10].includes(port))
    port = (await freePorts(1))[0]!;
  const token = () => randomBytes(24).toString("base64url");
  const agentToken = token();
  const approverTokens = Array.from({ length: Math.max(1, options.approvers) }, token);
  writeFileSync(join(dir, "load.yaml"), JSON.stringify(options.policy ?? LOAD_POLICY));
  const configFile = join(dir, "warden.yaml");
  writeFileSync(
    configFile,
    JSON.stringify({
      host: "127.0.0.1",
      port,
      enginePort,
      storage,
      policy: { projects: { [project]: "load.yaml" } },
      tokens: {
        [agentToken]: { id: "load-agent", role: "agent", projects: [project] },
        ...Object.fromEntries(
          approverTokens.map((t, i) => [
            t,
            { id: `load-approver-${i + 1}`, role: "approver", projects: [project] },
          ]),
        ),
      },
      maxPendingPerSession: 1000,
      ...(options.internalToken ? { internalToken: options.internalToken } : {}),
      shutdownGraceMs: 5000,
    }),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, RIVET_LOG_LEVEL: "warn" };
  for (const key of Object.keys(env)) if (key.startsWith("WARDEN_")) delete env[key];
  const child = startChild(
    "warden-server",
    process.execPath,
    ["--import", "tsx", MAIN, "--config", configFile],
    {
      cwd: resolve(import.meta.dirname, "../.."),
      logFile: join(dir, "server.log"),
      env,
    },
  );
  const guard = guardEngine({ dir, storage, serverPid: child.pid });
  // Once: a signal handler and the run's own `finally` may both stop it; the second waits for
  // the first instead of finding the engine's stamp half-removed.
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await stopChild(child, "SIGTERM", 15_000);
      const engine = await findEngine(storage);
      if (engine !== undefined) await stopEngine(engine);
      // A run that failed is explained by this log, and the directory goes with the run.
      if (options.keepLog !== undefined) {
        try {
          copyFileSync(join(dir, "server.log"), options.keepLog);
        } catch (error) {
          options.log?.(`the server log was not kept: ${(error as Error).message}`);
        }
      }
      rmSync(dir, { recursive: true, force: true });
      guard.dismiss();
    })();
    return stopping;
  };
  try {
    await waitUntil(
      "the server to listen",
      () => (/warden: listening on/.test(child.output()) ? true : undefined),
      { timeoutMs: 120_000, child },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  options.log?.(`embedded server on port ${port} (log ${join(dir, "server.log")})`);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    project,
    agentToken,
    approverTokens,
    runnerPid: child.pid,
    enginePid: await findEngine(storage),
    metricsUrl: `http://127.0.0.1:${enginePort + 10}/metrics`,
    stop,
  };
}

/** A guard port whose neighbours the engine also binds (+1, +10) are free. */
async function freeGuardPort(storage: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [port] = await freePorts(1);
    try {
      await checkPorts("127.0.0.1", port!, storage);
      return port!;
    } catch {}
  }
  throw new Error("no free port for the engine (it needs port, port + 1 and port + 10)");
}
