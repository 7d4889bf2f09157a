// The client half of container-probe.sh: measures a server at $ENDPOINT from wherever it runs.
// Prints one JSON line of metrics on stdout.
import { createClient } from "rivetkit/client";
import { type Metrics, untilServing } from "./bench-client.ts";
import { measureFanOut } from "./events.ts";
import type { BenchRegistry } from "./registry.ts";
import { measureRoundTrip } from "./round-trip.ts";

const endpoint = process.env.ENDPOINT;
if (!endpoint) throw new Error("set ENDPOINT, e.g. http://10.77.0.2:6420");
const client = createClient<BenchRegistry>(endpoint);
await untilServing(client);
const metrics: Metrics = {};
const bench = { client, metrics };
await measureRoundTrip(bench, { iterations: Number(process.env.ITERATIONS ?? 200), warmup: 20 });
await measureFanOut(bench, 10, { iterations: 20, warmup: 3 });
process.stdout.write(`${JSON.stringify(metrics)}\n`);
await Promise.race([client.dispose(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
process.exit(0);
