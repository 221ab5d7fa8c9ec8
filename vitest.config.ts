// `npm test` runs every layer: unit tests in Node, the store conformance suite on D1
// inside workerd, and end-to-end tests that start a local cluster and drive real kubectl.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/store/store-libsql.test.ts"],
          environment: "node",
        },
      },
      "test/store/vitest.workers.config.ts",
      "test/worker/vitest.config.ts",
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
