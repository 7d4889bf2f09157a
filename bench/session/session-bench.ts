import { spawn, spawnSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { stopEngine } from "../../packages/server/tests/engine-harness.ts";
import type { Metrics } from "./bench-client.ts";

/** Where progress goes (stderr by default). */
export interface SessionBenchOptions {
  readonly log?: (line: string) => void;
}

const benchDir = fileURLToPath(new URL("..", import.meta.url));
const runScript = fileURLToPath(new URL("./session-run.ts", import.meta.url));
const launcher = fileURLToPath(new URL("../../scripts/with-quickack.sh", import.meta.url));
/** A setup that takes longer than this is stopped (and its engine with it). */
const SETUP_TIMEOUT_MS = 240_000;

/**
 * Measures Warden's `permissionSession` against bare RivetKit twice in one run: in the default
 * setup, and inside a private network namespace whose loopback has `quickack` (the fix for
 * rivetkit 2.3.19's ~40 ms stall, see docs/latency.md). Metrics of the fixed run carry the suffix
 * `_quickack`; if this machine cannot create the namespace, that half is skipped (`quickack: 0`).
 */
export async function runSessionBench(options: SessionBenchOptions = {}): Promise<Metrics> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const result: Metrics = { loadavg_1m_start: round(loadavg()[0]!) };

  log("session, default setup:");
  Object.assign(result, await runSetup("default", [], log));

  const check = spawnSync(launcher, ["--check"], { encoding: "utf8" });
  if (check.status === 0) {
    log("session, loopback quickack (scripts/with-quickack.sh):");
    const fixed = await runSetup("quickack", [launcher], log);
    for (const [name, value] of Object.entries(fixed)) result[`${name}_quickack`] = value;
    result.quickack = 1;
    for (const name of ["roundtrip", "broadcast_1", "broadcast_10", "broadcast_100", "reply"])
      result[`${name}_speedup`] = round(result[`${name}_ms`]! / result[`${name}_ms_quickack`]!);
  } else {
    const why = (check.stderr || check.error?.message || `exit ${check.status}`).trim();
    log(`session, loopback quickack: SKIPPED, the namespace is not available here: ${why}`);
    result.quickack = 0;
  }
  result.loadavg_1m_end = round(loadavg()[0]!);
  return result;
}

const round = (value: number) => Number(value.toFixed(2));

/** Runs `session-run.ts` (under `prefix`, e.g. the quickack launcher) and returns its metrics. */
async function runSetup(
  name: string,
  prefix: readonly string[],
  log: (line: string) => void,
): Promise<Metrics> {
  // The engine harness names storage dirs after this id, so strays can be found and stopped.
  const runId = `bench-${process.pid}-${name}`;
  const command = [...prefix, process.execPath, "--import", "tsx", runScript];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: benchDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      WARDEN_TEST_RUN_ID: runId,
      RIVET_LOG_LEVEL: process.env.RIVET_LOG_LEVEL ?? "error",
      // The engine stops admitting new workflows (new actors) as CPU use nears 90% of the host,
      // which a 2-core machine shared with other test runs reaches: creations then time out after
      // 15 s. Telling it there are 64 cores turns that off in both setups alike.
      RIVET__RUNTIME__WORKER_CPU_MAX: process.env.RIVET__RUNTIME__WORKER_CPU_MAX ?? "64000",
    },
  });
  createInterface({ input: child.stderr! }).on("line", log);
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const timer = setTimeout(() => {
    log(`  the ${name} setup took over ${SETUP_TIMEOUT_MS / 1_000} s; stopping it`);
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
  }, SETUP_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  await stopStrays(runId);
  if (code !== 0) throw new Error(`the session bench's ${name} setup failed (exit ${code})`);
  return JSON.parse(stdout) as Metrics;
}

/** Stops any engine a setup left behind (it stops its own unless it was killed) and removes its storage. */
async function stopStrays(runId: string): Promise<void> {
  const prefix = `warden-rivet-${runId}-`;
  const dirs = (await readdir(tmpdir())).filter((dir) => dir.startsWith(prefix));
  await Promise.all(
    dirs.map((dir) => stopEngine({ storagePath: join(tmpdir(), dir), port: 0, endpoint: "" })),
  );
}
