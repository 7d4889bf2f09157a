import { defineConfig } from "vitest/config";

// The approver tests run a Warden server in this process: its native core blocks a libuv worker
// thread per awake actor, and the default 4 stall new actors (see docs/client.md).
process.env.UV_THREADPOOL_SIZE ??= "64";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 30_000,
    // A hook that spawns the CLI (tsx compiling it cold in a fresh clone) on a loaded 2-core box
    // took over the default 10 s in CI: a bound on a hang, not a speed check.
    hookTimeout: 120_000,
    // The approver tests boot a Warden server on its own engine: one file at a time.
    fileParallelism: false,
    env: { RIVET_LOG_LEVEL: "silent", RUST_LOG: "off" },
  },
});
