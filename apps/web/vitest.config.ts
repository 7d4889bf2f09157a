import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Each file boots its own engine and Chromium; one at a time keeps a 2-core machine responsive.
    fileParallelism: false,
    include: ["src/**/*.test.ts", "tests/**/*.test.ts"],
    env: { RIVET_LOG_LEVEL: "silent", RUST_LOG: "off" },
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
