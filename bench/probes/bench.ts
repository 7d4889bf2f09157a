// Round-trip latency of the probe actor. Run from the repository root: node --import tsx bench/probes/bench.ts
import { createClient } from "rivetkit/client";
import { allocateEngine, stopEngine } from "../../packages/server/tests/engine-harness.ts";
import { registry } from "./probe-actor.ts";

const N = Number(process.env.N ?? 300);
const slot = await allocateEngine();
registry.config.noWelcome = true;
await registry.startAndWait();
const client = createClient<typeof registry>(slot.endpoint);
const conn = client.counter.getOrCreate(["bench"], { params: { token: "letmein" } }).connect();
await conn.ping();
function pct(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1);
}
async function measure(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  console.log(`${name}: p50 ${pct(xs, 50)} ms, p99 ${pct(xs, 99)} ms (n=${N})`);
}
await measure("conn.ping()", () => conn.ping());
await measure("conn.increment (saveState immediate + broadcast)", () => conn.increment(1));
const handle = client.counter.getOrCreate(["bench"], { params: { token: "letmein" } });
await measure("handle.ping() stateless HTTP", () => handle.ping());
await conn.dispose();
await client.dispose();
await registry.shutdown();
await stopEngine(slot);
process.exit(0);
