import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: end-to-end files each start servers, git and child processes.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
