// The bench's server: the registry in its own process, so its memory can be read alone.
// Spawned by session-run.ts with an IPC channel: "gc" collects garbage and answers the JS heap in
// use (kB, V8 heap plus memory outside it such as buffers); "stop" shuts down.
import { createBenchRegistry } from "./registry.ts";

const registry = createBenchRegistry();
registry.config.noWelcome = true;
await registry.startAndWait();

process.on("message", async (message) => {
  if (message === "gc") {
    // Several passes, a moment apart, so that V8 has also shrunk the heap it no longer needs.
    for (let pass = 0; pass < 3; pass++) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { heapUsed, external } = process.memoryUsage();
    process.send?.({ heapKb: Math.round((heapUsed + external) / 1024) });
  } else if (message === "stop") {
    await registry.shutdown();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
process.send?.("ready");
