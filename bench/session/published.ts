// Checks `scripts/with-quickack.sh --publish`: the engine and the runner inside the namespace, the
// client outside on the host's loopback, as in a local run whose hooks and inbox run outside.
// Compares auto-allowed round trips with the default setup. Not part of `pnpm bench` (~1 min):
//   node --import tsx bench/session/published.ts
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient } from "rivetkit/client";
import { allocateEngine, stopEngine } from "../../packages/server/tests/engine-harness.ts";
import { type Metrics, untilServing } from "./bench-client.ts";
import type { BenchRegistry } from "./registry.ts";
import { measureRoundTrip } from "./round-trip.ts";

const runner = fileURLToPath(new URL("./runner.ts", import.meta.url));
const launcher = fileURLToPath(new URL("../../scripts/with-quickack.sh", import.meta.url));
const ITERATIONS = Number(process.env.ITERATIONS ?? 200);

async function measure(name: string, prefix: (port: number) => string[]): Promise<Metrics> {
  const slot = await allocateEngine();
  process.env.RIVET__RUNTIME__WORKER_CPU_MAX ??= "64000";
  const command = [...prefix(slot.port), process.execPath, "--import", "tsx", runner];
  const server: ChildProcess = spawn(command[0]!, command.slice(1), { stdio: "ignore" });
  const client = createClient<BenchRegistry>(slot.endpoint);
  try {
    await untilServing(client);
    const metrics: Metrics = {};
    await measureRoundTrip({ client, metrics }, { iterations: ITERATIONS, warmup: 20 });
    console.log(
      `${name}: requestPermission ${metrics.roundtrip_ms} / ${metrics.roundtrip_p99_ms} ms, ` +
        `bare echo ${metrics.bare_roundtrip_ms} / ${metrics.bare_roundtrip_p99_ms} ms, ` +
        `bare ping ${metrics.bare_ping_ms} / ${metrics.bare_ping_p99_ms} ms (p50 / p99, n=${ITERATIONS})`,
    );
    return metrics;
  } finally {
    await Promise.race([client.dispose(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    server.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stopEngine(slot);
  }
}

await measure("default, client on the same loopback", () => []);
await measure("runner + engine in the quickack namespace, client outside via --publish", (port) => [
  launcher,
  "--publish",
  String(port),
]);
process.exit(0);
