// Creates bare actors one after another and times each first call (see docs/rivetkit-findings.md).
import { createClient } from "rivetkit/client";
import { allocateEngine, stopEngine } from "../../packages/server/tests/engine-harness.ts";
import { type ProbeRegistry, registry } from "./probe-actor.ts";

const slot = await allocateEngine();
registry.config.noWelcome = true;
await registry.startAndWait();
const client = createClient<ProbeRegistry>(slot.endpoint);
const n = Number(process.argv[2] ?? 20);
for (let i = 0; i < n; i++) {
  const t = Date.now();
  try {
    if (process.env.BYID) {
      const id = await client.counter.getOrCreate([`bare-${i}`]).resolve();
      await client.counter.getForId(id).ping();
    } else if (process.env.FRESH) {
      const fresh = createClient<ProbeRegistry>(slot.endpoint);
      await fresh.counter.getOrCreate([`bare-${i}`]).ping();
      await fresh.dispose();
    } else await client.counter.getOrCreate([`bare-${i}`]).ping();
    console.log(i, "ok", Date.now() - t);
  } catch (e) {
    console.log(i, "ERR", Date.now() - t, (e as Error).message);
  }
}
await client.dispose();
await registry.shutdown();
await stopEngine(slot);
process.exit(0);
