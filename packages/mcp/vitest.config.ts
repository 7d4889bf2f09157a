import { defineConfig } from "vitest/config";

// The runner's native core blocks libuv worker threads per awake actor (see packages/client).
process.env.UV_THREADPOOL_SIZE ??= "64";

export default defineConfig({
  test: {
    // Each file boots its own engine; one at a time keeps a 2-core machine responsive.
    fileParallelism: false,
    include: ["src/**/*.test.ts", "tests/**/*.test.ts"],
    env: { RIVET_LOG_LEVEL: "silent", RUST_LOG: "off" },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
