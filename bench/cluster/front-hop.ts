/**
 * What the front (src/front-proxy.ts) adds to a call: one engine, one registry, one front, and the
 * same calls made directly to the engine and through the front, in alternating batches so that
 * both sides see the same machine load. Prints p50/p90 per side and their ratio.
 *   node --import tsx bench/cluster/front-hop.ts   (FRONT_HOP_ROUNDS, FRONT_HOP_BATCH)
 * Run under scripts/with-quickack.sh to see the hop with the runner's ACK stall removed.
 */
import { createWarden } from "@warden/server";
import { allocateEngine, findEnginePort, stopSlotEngine } from "@warden/server/testing";
import { createClient } from "rivetkit/client";
import { startFront } from "../../apps/server/src/front-proxy.ts";

const ROUNDS = Number(process.env.FRONT_HOP_ROUNDS ?? 10);
const BATCH = Number(process.env.FRONT_HOP_BATCH ?? 20);
const TOKEN = "front-hop-agent-token-0123456789";

const slot = await allocateEngine("warden-front-hop-");
const { registry, admit } = createWarden({
  tokens: { [TOKEN]: { id: "agent", role: "agent", projects: ["hop"] } },
});
registry.config.noWelcome = true;
await registry.startAndWait();
const frontPort = await findEnginePort();
const front = await startFront({
  host: "127.0.0.1",
  port: frontPort,
  engine: { host: "127.0.0.1", port: slot.port },
  allowedOrigins: [],
  adminToken: slot.adminToken,
  admit,
});

type Client = ReturnType<typeof createClient<typeof registry>>;
const sides = {
  direct: createClient<typeof registry>(slot.endpoint),
  front: createClient<typeof registry>(`http://127.0.0.1:${frontPort}`),
} satisfies Record<string, Client>;

/** Per side: a connection (WebSocket actions) and a stateless handle (HTTP actions). */
const setups = await Promise.all(
  Object.entries(sides).map(async ([name, client]) => {
    const handle = client.permissionSession.getOrCreate(["hop", name], {
      params: { token: TOKEN },
    });
    const conn = handle.connect();
    await conn.listPending();
    await handle.listPending();
    return { name, conn, handle };
  }),
);

const samples: Record<string, number[]> = {};
const record = (key: string, ms: number) => {
  samples[key] ??= [];
  samples[key].push(ms);
};
for (let round = 0; round < ROUNDS; round++) {
  for (const { name, conn, handle } of round % 2 === 0 ? setups : [...setups].reverse()) {
    for (let i = 0; i < BATCH; i++) {
      let t = performance.now();
      await conn.listPending();
      record(`${name} ws`, performance.now() - t);
      t = performance.now();
      await handle.listPending();
      record(`${name} http`, performance.now() - t);
    }
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
for (const kind of ["ws", "http"]) {
  const direct = samples[`direct ${kind}`]!;
  const fronted = samples[`front ${kind}`]!;
  const p50 = [quantile(direct, 0.5), quantile(fronted, 0.5)];
  const p90 = [quantile(direct, 0.9), quantile(fronted, 0.9)];
  console.log(
    `${kind.padEnd(4)} p50 direct ${p50[0]!.toFixed(2)} ms, front ${p50[1]!.toFixed(2)} ms (×${(p50[1]! / p50[0]!).toFixed(2)}) | ` +
      `p90 direct ${p90[0]!.toFixed(2)} ms, front ${p90[1]!.toFixed(2)} ms (×${(p90[1]! / p90[0]!).toFixed(2)}) | n=${direct.length}`,
  );
}

for (const { conn } of setups) await conn.dispose();
for (const client of Object.values(sides)) await client.dispose();
await front.close();
await registry.shutdown();
await stopSlotEngine(slot);
process.exit(0);
