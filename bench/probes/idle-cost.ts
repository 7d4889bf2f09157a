// What idle sessions cost the engine, by storage transaction name: SESSIONS sessions each make one
// actor-decided call (fast path off), then nobody calls for WAIT_MS, then the engine's CPU and its
// `rivet_udb_transaction_total` counters are sampled over WINDOW_S; then every session calls once more. With IDLE_CLOSE_MS the SDK
// closes each connection after that long unused (docs/client.md); without it they stay open.
// Run from the repository root (docs/scale.md, "What an idle session costs"):
//   SESSIONS=40 node --import tsx bench/probes/idle-cost.ts                          # connected
//   SESSIONS=40 IDLE_CLOSE_MS=500 WAIT_MS=3000 node --import tsx bench/probes/idle-cost.ts   # closed, awake
//   SESSIONS=40 IDLE_CLOSE_MS=1000 WAIT_MS=45000 node --import tsx bench/probes/idle-cost.ts # asleep
import { createWardenClient } from "@warden/client";
import { startEmbeddedServer } from "../../scripts/load/embedded-server.ts";
import { cpuMs, rssBytes } from "../../scripts/load/proc-stats.ts";

const SESSIONS = Number(process.env.SESSIONS ?? 40);
const WAIT_MS = Number(process.env.WAIT_MS ?? 5_000);
const WINDOW_S = Number(process.env.WINDOW_S ?? 15);
const IDLE_CLOSE_MS = process.env.IDLE_CLOSE_MS ? Number(process.env.IDLE_CLOSE_MS) : false;

const target = await startEmbeddedServer({ approvers: 1 });
const client = createWardenClient({
  endpoint: target.endpoint,
  token: target.agentToken,
  project: target.project,
  fastPath: "off",
  idleCloseMs: IDLE_CLOSE_MS,
});

/** Storage transactions so far, by name. */
async function transactions(): Promise<Map<string, number>> {
  const text = await (await fetch(target.metricsUrl!)).text();
  const byName = new Map<string, number>();
  for (const line of text.split("\n")) {
    const name = /^rivet_udb_transaction_total\{.*name="([^"]+)"/.exec(line)?.[1];
    if (name) byName.set(name, (byName.get(name) ?? 0) + Number(line.slice(line.lastIndexOf(" "))));
  }
  return byName;
}

/** Engine and runner resident memory, MB. */
const rss = () =>
  [target.enginePid, target.runnerPid].map((pid) => (rssBytes(pid) ?? Number.NaN) / 2 ** 20);

try {
  const rss0 = rss();
  for (let i = 0; i < SESSIONS; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, SESSIONS - i) }, (_, j) =>
        client
          .session(`idle-${i + j}`)
          .requestPermission({ toolName: "Bash", input: { command: "ls x" } }),
      ),
    );
  }
  const rss1 = rss();
  await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  const [t0, c0] = [await transactions(), cpuMs(target.enginePid)];
  await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
  const [t1, c1] = [await transactions(), cpuMs(target.enginePid)];
  const rates = [...t1]
    .map(([name, n]) => [name, (n - (t0.get(name) ?? 0)) / WINDOW_S] as const)
    .filter(([, rate]) => rate > 0)
    .sort((a, b) => b[1] - a[1]);
  const cpu = c0 === undefined || c1 === undefined ? Number.NaN : (c1 - c0) / WINDOW_S;
  const total = rates.reduce((sum, [, rate]) => sum + rate, 0);
  console.log(
    `${SESSIONS} sessions, idle close ${IDLE_CLOSE_MS}, sampled ${WAIT_MS} ms after the last call:`,
  );
  console.log(`engine ${cpu.toFixed(1)} ms CPU/s, ${total.toFixed(1)} storage transactions/s`);
  for (const [name, rate] of rates.slice(0, 12)) console.log(`  ${rate.toFixed(2)}/s ${name}`);
  const perSession = (now: number[]) =>
    now.map((mb, i) => ((mb - rss0[i]!) / SESSIONS).toFixed(2)).join(" / ");
  console.log(
    `RSS engine / runner, MB per session over the empty server's (${rss0.map((mb) => mb.toFixed(0)).join(" / ")} MB): ` +
      `after the calls ${perSession(rss1)}, at the sample ${perSession(rss())}`,
  );
  // Then one more call per session (a wake-up, for sessions asleep): what it costs the engine.
  const [w0, wc0, begun] = [await transactions(), cpuMs(target.enginePid), performance.now()];
  await Promise.all(
    Array.from({ length: SESSIONS }, (_, i) =>
      client
        .session(`idle-${i}`)
        .requestPermission({ toolName: "Bash", input: { command: "ls y" } }),
    ),
  );
  const [w1, wc1] = [await transactions(), cpuMs(target.enginePid)];
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(
    `next call, all ${SESSIONS} at once: ${((performance.now() - begun) / 1000).toFixed(1)} s, ` +
      `${((sum(w1) - sum(w0)) / SESSIONS).toFixed(1)} storage transactions and ` +
      `${(((wc1 ?? 0) - (wc0 ?? 0)) / SESSIONS).toFixed(1)} ms engine CPU per session`,
  );
  const perCall = [...w1]
    .map(([name, n]) => [name, (n - (w0.get(name) ?? 0)) / SESSIONS] as const)
    .filter(([, n]) => n >= 1)
    .sort((a, b) => b[1] - a[1]);
  for (const [name, n] of perCall) console.log(`  ${n.toFixed(1)} ${name}`);
} finally {
  await client.dispose({ flushMs: 0 });
  await target.stop();
}
