// Does c.schedule.after fire after the runner is stopped (SIGTERM) or killed (SIGKILL)?
// Run from the repository root: node --import tsx bench/probes/schedule-restart.ts
import { createClient } from "rivetkit/client";
import { allocateEngine, stopEngine } from "../../packages/server/tests/engine-harness.ts";
import type { ProbeRegistry } from "./probe-actor.ts";
import { startRunner, stopRunner } from "./runner-process.ts";

const slot = await allocateEngine();
process.env.RIVET_LOG_LEVEL = "error";
const client = createClient<ProbeRegistry>(slot.endpoint);
async function round(signal: "SIGTERM" | "SIGKILL", key: string) {
  let { child } = await startRunner();
  const handle = client.counter.getOrCreate([key], { params: { token: "letmein" } });
  const t0 = performance.now();
  const id = await handle.incrementLater(3000, 7);
  await stopRunner(child, signal);
  console.log(
    `${signal}: scheduled ${id} for +3000 ms, runner stopped at ${Math.round(performance.now() - t0)} ms`,
  );
  ({ child } = await startRunner());
  for (;;) {
    try {
      const v = await handle.getCount();
      if (v === 7) {
        console.log(
          `${signal}: scheduled increment observed at +${Math.round(performance.now() - t0)} ms`,
        );
        break;
      }
    } catch {
      // the actor is still being rescheduled onto the new runner
    }
    await new Promise((r) => setTimeout(r, 250));
    if (performance.now() - t0 > 90_000) {
      console.log(`${signal}: NOT fired within 90 s`);
      break;
    }
  }
  await stopRunner(child, "SIGTERM");
}
await round("SIGTERM", "sched-term");
await round("SIGKILL", "sched-kill");
await client.dispose();
await stopEngine(slot);
process.exit(0);
