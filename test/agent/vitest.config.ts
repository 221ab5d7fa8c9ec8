// The node agent's real-Docker tests, run on their own: `npx vitest run --config test/agent/vitest.config.ts`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/agent/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
