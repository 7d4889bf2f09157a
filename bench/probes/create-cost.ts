// What creating one session costs the engine against a bare RivetKit actor created the same way:
// one at a time, getOrCreate + connect + first action + close, in alternating blocks of BLOCK bare
// actors and BLOCK sessions (ROUNDS rounds), so that both kinds see the same number of awake
// actors around them. A session's first action is an actor-decided `requestPermission` (its
// migrations, its project-rules read, its first decision and audit row); a bare actor's is a
// `ping`. Each block is sampled SETTLE_MS after its last close, so that work a creation leaves
// for later is counted with it: the history report 3 s after the last call, and the actor's sleep
// 30 s after its last activity (RivetKit's default). With a shorter wait the sleeps of one block's
// actors land in a later block's sample, of either kind: measured at 5 s, every actor's sleep was
// counted in the session blocks (docs/scale.md, "Cutting Warden's share of a creation"). Per
// creation: the engine's storage transactions by name, its SQLite commits, engine CPU and wall
// time.
// Run from the repository root (docs/scale.md, "What a creation costs"), under the heavy-run lock:
//   flock /tmp/warden-heavy.lock node --import tsx bench/probes/create-cost.ts
// BLOCK (10), ROUNDS (3), SETTLE_MS (36000: ~5 minutes in all).
import { loadavg } from "node:os";
import { createClient } from "rivetkit/client";
import { readEnginePid } from "../../packages/server/src/testing.ts";
import { allocateEngine, stopEngine } from "../../packages/server/tests/engine-harness.ts";
import { cpuMs } from "../../scripts/load/proc-stats.ts";
import { AGENT } from "../session/bench-client.ts";
import { BENCH_PROJECT, type BenchRegistry, createBenchServer } from "../session/registry.ts";
import { engineCounters } from "./engine-counters.ts";

const BLOCK = Number(process.env.BLOCK ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 36_000);

const slot = await allocateEngine();
const { registry } = createBenchServer();
registry.config.noWelcome = true;
await registry.startAndWait();
const enginePid = await readEnginePid(slot.storagePath);
const metricsUrl = `http://127.0.0.1:${slot.port + 10}/metrics`;
const client = createClient<BenchRegistry>(slot.endpoint);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const counters = () => engineCounters(metricsUrl);

type Kind = "bare" | "session";
/** Totals per kind over all its blocks. */
const totals: Record<
  Kind,
  { created: number; ms: number; cpu: number; byName: Map<string, number> }
> = {
  bare: { created: 0, ms: 0, cpu: 0, byName: new Map() },
  session: { created: 0, ms: 0, cpu: 0, byName: new Map() },
};
let n = 0;

async function createOne(kind: Kind): Promise<void> {
  const id = `create-${n++}`;
  if (kind === "bare") {
    const conn = client.bare.getOrCreate([id]).connect();
    await conn.ping(0);
    await conn.dispose();
    return;
  }
  const conn = client.permissionSession
    .getOrCreate([BENCH_PROJECT, id], { params: AGENT })
    .connect();
  const outcome = await conn.requestPermission({
    requestId: `${id}-first`,
    toolName: "Read",
    input: { file_path: "src/index.ts" },
  });
  if (outcome.status !== "decided" || outcome.decision.behavior !== "allow")
    throw new Error(`expected Read to be allowed, got ${JSON.stringify(outcome)}`);
  await conn.dispose();
}

async function block(kind: Kind): Promise<void> {
  const before = [await counters(), cpuMs(enginePid) ?? Number.NaN] as const;
  let ms = 0;
  for (let i = 0; i < BLOCK; i++) {
    const started = performance.now();
    await createOne(kind);
    ms += performance.now() - started;
  }
  await sleep(SETTLE_MS);
  const after = [await counters(), cpuMs(enginePid) ?? Number.NaN] as const;
  const total = totals[kind];
  total.created += BLOCK;
  total.ms += ms;
  total.cpu += after[1] - before[1];
  for (const [name, count] of after[0])
    total.byName.set(name, (total.byName.get(name) ?? 0) + count - (before[0].get(name) ?? 0));
}

try {
  console.log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  // The project actor and both code paths exist before anything is counted.
  await createOne("bare");
  await createOne("session");
  await sleep(SETTLE_MS);
  for (let round = 0; round < ROUNDS; round++) {
    await block("bare");
    await block("session");
  }
  const perCreation = (kind: Kind, name: string) =>
    (totals[kind].byName.get(name) ?? 0) / totals[kind].created;
  const transactions = (kind: Kind) =>
    [...totals[kind].byName.keys()]
      .filter((name) => !name.startsWith("("))
      .reduce((sum, name) => sum + perCreation(kind, name), 0);
  for (const kind of ["bare", "session"] as const) {
    const t = totals[kind];
    console.log(
      `${kind}: ${t.created} created; per creation ${(t.ms / t.created).toFixed(0)} ms wall, ` +
        `${transactions(kind).toFixed(1)} storage tx, engine ${(t.cpu / t.created).toFixed(1)} ms CPU, ` +
        `sqlite commits ${perCreation(kind, "(sqlite commit)").toFixed(2)}`,
    );
  }
  console.log(
    `ratio session / bare: wall ${(totals.session.ms / totals.bare.ms).toFixed(2)}, ` +
      `storage tx ${(transactions("session") / transactions("bare")).toFixed(2)}, ` +
      `engine CPU ${(totals.session.cpu / totals.bare.cpu).toFixed(2)}`,
  );
  const names = new Set([...totals.bare.byName.keys(), ...totals.session.byName.keys()]);
  const rows = [...names]
    .map((name) => [name, perCreation("bare", name), perCreation("session", name)] as const)
    .filter(([, bare, session]) => Math.max(bare, session) >= 0.1)
    .sort((a, b) => b[2] - b[1] - (a[2] - a[1]));
  console.log("per creation, by name: session  bare  (difference)");
  for (const [name, bare, session] of rows)
    console.log(
      `  ${session.toFixed(2).padStart(7)} ${bare.toFixed(2).padStart(7)}  (${(session - bare).toFixed(2).padStart(6)})  ${name}`,
    );
  console.log(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
} catch (error) {
  // Printed here: the exit below would otherwise end the run without a word of why.
  console.error("create-cost failed:", error);
  process.exitCode = 1;
} finally {
  await client.dispose();
  await registry.shutdown();
  await stopEngine(slot);
  process.exit();
}
