// `npm test` runs every layer: unit tests in Node, the store conformance suite on D1
// inside workerd, and end-to-end tests that start a local cluster and drive real kubectl.
import { defineConfig, type Plugin } from "vitest/config";

/** Loads *.sql as text, as wrangler's Text rule does for the Worker bundle. */
function sqlAsText(): Plugin {
  return {
    name: "sql-as-text",
    transform(code, id) {
      return id.endsWith(".sql") ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
    },
  };
}

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
