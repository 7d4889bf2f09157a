import { defineConfig } from "vitest/config";

// The runner's native core holds a libuv worker thread per awake actor: with the default 4, new
// actors stop being created after a few are awake. Set in the main process, before threads start.
process.env.UV_THREADPOOL_SIZE ??= "64";

export default defineConfig({
  test: {
    // Each file boots its own engine and Chromium; one at a time keeps a 2-core machine responsive.
    fileParallelism: false,
    include: ["src/**/*.test.ts", "tests/**/*.test.ts"],
    env: { RIVET_LOG_LEVEL: "silent", RUST_LOG: "off" },
    testTimeout: 90_000,
    // expect.poll gives up after 1 s by default: a broadcast reaching another tab takes longer
    // than that on a loaded 2-core CI machine (two packages' suites at once).
    expect: { poll: { timeout: 30_000 } },
    hookTimeout: 120_000,
  },
});
