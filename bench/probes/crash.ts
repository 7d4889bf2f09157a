// SIGKILLs the runner after 21 acknowledged increments, restarts it, reads the count back.
// Run from the repository root: node --import tsx bench/probes/crash.ts
import { createClient } from "rivetkit/client";
import { allocateEngine, stopEngine } from "../../packages/server/tests/engine-harness.ts";
import type { ProbeRegistry } from "./probe-actor.ts";
import { startRunner, stopRunner } from "./runner-process.ts";

const slot = await allocateEngine();
process.env.RIVET_LOG_LEVEL = "error";
const client = createClient<ProbeRegistry>(slot.endpoint);
async function round(action: "incrementUnsaved" | "increment", key: string) {
  let { child, ms } = await startRunner();
  console.log(`runner ready in ${ms} ms`);
  const conn = client.counter.getOrCreate([key], { params: { token: "letmein" } }).connect();
  let last = 0;
  for (let i = 0; i < 21; i++) last = await conn[action](1);
  child.kill("SIGKILL");
  console.log(`${action}: 21 acknowledged (last=${last}), runner SIGKILLed`);
  await conn.dispose();
  ({ child } = await startRunner());
  const t0 = performance.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const v = await client.counter
        .getOrCreate([key], { params: { token: "letmein" } })
        .getCount();
      console.log(
        `${action}: after restart count=${v}, readable after ${Math.round(performance.now() - t0)} ms (${attempts} attempts)`,
      );
      break;
    } catch (error) {
      const { group, code } = error as { group?: string; code?: string };
      if (attempts === 1) console.log("first error", group, code);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await stopRunner(child, "SIGTERM");
}
await round("incrementUnsaved", "crash-unsaved");
await round("increment", "crash-saved");
await client.dispose();
await stopEngine(slot);
process.exit(0);
