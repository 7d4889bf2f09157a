import { defineConfig } from "vitest/config";

// Only the generator's own checks run as tests; the benchmarks run through `pnpm bench`.
export default defineConfig({
  test: { testTimeout: 60_000, include: ["**/*.test.ts"] },
});
