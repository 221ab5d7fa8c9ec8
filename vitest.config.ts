// Unit tests in Node and end-to-end tests (a local cluster driven by real kubectl). The
// workerd suites (store on D1, the Worker's negative suite) have their own configs, since
// @cloudflare/vitest-pool-workers resolves modules for workerd only when run on its own;
// `npm test` runs all three.
import { defineConfig } from "vitest/config";
import { sqlAsText } from "./test/sql-as-text";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [sqlAsText()],
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/store/store-libsql.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/agent/**/*.test.ts"],
          // The agent bundle and the web console, built once before the clusters start.
          globalSetup: ["test/e2e/build-assets.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
