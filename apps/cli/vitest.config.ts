import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 30_000,
    // The approver tests boot a Warden server on its own engine: one file at a time.
    fileParallelism: false,
    env: { RIVET_LOG_LEVEL: "silent", RUST_LOG: "off" },
  },
});
