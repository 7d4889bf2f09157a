// One setup of the session bench: its own engine, a runner process and a client, all in the
// network namespace this process runs in. Progress goes to stderr; the metrics, as JSON, to stdout.
// Run from the repository root: node --import tsx bench/session/session-run.ts
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ActorConnDisposed, createClient } from "rivetkit/client";
import { findEnginePort } from "../../packages/server/src/testing.ts";
import {
  allocateEngine,
  readEnginePid,
  stopEngine,
} from "../../packages/server/tests/engine-harness.ts";
import type { Metrics } from "./bench-client.ts";
import { measureFanOut, measureReply } from "./events.ts";
import { measureIdleMemory } from "./memory.ts";
import type { BenchRegistry } from "./registry.ts";
import { measureCreate, measureRoundTrip } from "./round-trip.ts";
import { within } from "./stats.ts";

/** How much each measurement does; `WARDEN_BENCH_QUICK=1` shrinks everything for a smoke run. */
const quick = process.env.WARDEN_BENCH_QUICK === "1";
const PLAN = {
  memory: { sessions: quick ? 20 : 50, warmup: quick ? 5 : 10, inFlight: 5 },
  roundTrip: { iterations: quick ? 30 : 200, warmup: quick ? 5 : 15 },
  fanOut: {
    1: { iterations: quick ? 10 : 40, warmup: 3 },
    10: { iterations: quick ? 10 : 40, warmup: 3 },
    100: { iterations: quick ? 5 : 30, warmup: 2 },
  },
  reply: { iterations: quick ? 10 : 40, warmup: 3 },
  create: { iterations: quick ? 5 : 10, warmup: 2 },
} as const;

const log = (line: string) => process.stderr.write(`${line}\n`);

async function vmRssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** The runner's output, shown only if the run fails (actors log expected errors when they sleep). */
const runnerOutput: string[] = [];

function startRunner(): Promise<ChildProcess> {
  const runner = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", fileURLToPath(new URL("./runner.ts", import.meta.url))],
    { stdio: ["ignore", "pipe", "pipe", "ipc"], env: process.env },
  );
  for (const stream of [runner.stdout, runner.stderr])
    stream?.on("data", (chunk: Buffer) => {
      if (process.env.WARDEN_BENCH_DEBUG === "1") process.stderr.write(chunk);
      runnerOutput.push(chunk.toString());
      if (runnerOutput.length > 200) runnerOutput.shift();
    });
  const ready = new Promise<ChildProcess>((resolve, reject) => {
    runner.once("message", (message) =>
      message === "ready" ? resolve(runner) : reject(new Error(`runner said ${String(message)}`)),
    );
    runner.once("exit", (code) => reject(new Error(`runner exited with ${code} before ready`)));
  });
  return within(ready, 60_000, "runner start");
}

/** Collects garbage in the runner; resolves with its JS heap in use, in kB. */
function collectGarbage(runner: ChildProcess): Promise<number> {
  const answered = new Promise<number>((resolve) => {
    const onMessage = (reply: unknown) => {
      if (typeof reply !== "object" || reply === null || !("heapKb" in reply)) return;
      runner.off("message", onMessage);
      resolve(Number(reply.heapKb));
    };
    runner.on("message", onMessage);
  });
  runner.send("gc");
  return within(answered, 10_000, "runner gc");
}

async function stopRunner(runner: ChildProcess): Promise<void> {
  if (runner.exitCode !== null || runner.signalCode !== null) return;
  const exited = new Promise((resolve) => runner.once("exit", resolve));
  if (runner.connected) runner.send("stop");
  await within(exited, 10_000, "runner stop").catch(() => runner.kill("SIGKILL"));
}

let cleanup: () => Promise<void> = async () => undefined;

async function main(): Promise<Metrics> {
  const slot = await allocateEngine();
  // WARDEN_BENCH_FRONT=1: the client goes through the server's front (one more loopback hop).
  const frontPort = process.env.WARDEN_BENCH_FRONT === "1" ? await findEnginePort() : 0;
  process.env.WARDEN_BENCH_FRONT_PORT = String(frontPort);
  let runner: ChildProcess | undefined;
  let client: ReturnType<typeof createClient<BenchRegistry>> | undefined;
  let cleaned: Promise<void> | undefined;
  cleanup = () =>
    (cleaned ??= (async () => {
      if (client) await within(client.dispose(), 10_000, "client dispose").catch(() => undefined);
      if (runner) await stopRunner(runner);
      await stopEngine(slot);
    })());
  try {
    const started = performance.now();
    runner = await startRunner();
    const enginePid = await readEnginePid(slot.storagePath);
    if (enginePid === undefined) throw new Error("the runner started no engine of its own");
    log(
      `  engine ${enginePid} on port ${slot.port}, runner ${runner.pid}, ready in ${Math.round(performance.now() - started)} ms`,
    );
    client = createClient<BenchRegistry>(
      frontPort > 0 ? `http://127.0.0.1:${frontPort}` : slot.endpoint,
    );
    if (frontPort > 0) log(`  clients through the front on port ${frontPort}`);
    const metrics: Metrics = { failed_trials: 0 };
    const runnerPid = runner.pid!;
    const step = async (name: string, run: () => Promise<void>) => {
      const t = performance.now();
      await run();
      log(`  ${name}: ${((performance.now() - t) / 1_000).toFixed(1)} s`);
    };

    const bench = { client, metrics };
    // Memory first, on a fresh runner: later phases leave garbage and connections settling.
    await step("idle memory", () =>
      measureIdleMemory(
        bench,
        {
          read: async () => ({
            runnerHeap: await collectGarbage(runner!),
            runner: await vmRssKb(runnerPid),
            engine: await vmRssKb(enginePid),
          }),
        },
        PLAN.memory,
      ),
    );
    await step("round trip", () => measureRoundTrip(bench, PLAN.roundTrip));
    for (const receivers of [1, 10, 100] as const)
      await step(`ask to ${receivers}`, () =>
        measureFanOut(bench, receivers, PLAN.fanOut[receivers]),
      );
    await step("reply", () => measureReply(bench, PLAN.reply));
    await step("create", () => measureCreate(bench, PLAN.create));
    metrics.duration_s = Math.round((performance.now() - started) / 1_000);
    return metrics;
  } finally {
    await cleanup();
  }
}

/** Whatever goes wrong, the runner and the engine are stopped before this process exits. */
async function fail(error: unknown): Promise<never> {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  if (runnerOutput.length > 0)
    log(`runner output (last lines):\n${runnerOutput.join("").slice(-4_000)}`);
  await cleanup().catch((reason) => log(`cleanup failed: ${String(reason)}`));
  process.exit(1);
}
// rivetkit 2.3.19 rejects an internal promise when a connection is disposed while still opening
// (ActorConnDisposed, "Attempting to interact with a disposed actor connection"): not a failure.
process.on("unhandledRejection", (reason) => {
  if (reason instanceof ActorConnDisposed) return;
  void fail(reason);
});
process.on("uncaughtException", fail);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => fail(new Error(`stopped by ${signal}`)));

main().then((metrics) => {
  process.stdout.write(`${JSON.stringify(metrics)}\n`);
  process.exit(0);
}, fail);
