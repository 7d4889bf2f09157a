// The bench's server: the registry in its own process, so its memory can be read alone.
// Spawned by session-run.ts with an IPC channel: "gc" collects garbage and answers the JS heap in
// use (kB, V8 heap plus memory outside it such as buffers); "stop" shuts down.
import { startFront } from "../../apps/server/src/front-proxy.ts";
import { createBenchServer } from "./registry.ts";

const { registry, admit } = createBenchServer();
registry.config.noWelcome = true;
await registry.startAndWait();
// WARDEN_BENCH_FRONT_PORT: clients come through the server's front, as with apps/server.
const frontPort = Number(process.env.WARDEN_BENCH_FRONT_PORT ?? 0);
const front =
  frontPort > 0
    ? await startFront({
        host: "127.0.0.1",
        port: frontPort,
        engine: { host: "127.0.0.1", port: Number(process.env.RIVET_RUN_ENGINE_PORT) },
        allowedOrigins: [],
        adminToken: process.env.RIVET__AUTH__ADMIN_TOKEN ?? "",
        admit,
      })
    : undefined;

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
    await front?.close();
    await registry.shutdown();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
process.send?.("ready");
