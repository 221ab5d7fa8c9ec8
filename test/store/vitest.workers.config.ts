// vitest config for the store's workerd tests: the conformance suite on a real D1 binding inside
// workerd (@cloudflare/vitest-pool-workers), migrated from migrations/ exactly as wrangler would.
import { fileURLToPath } from "node:url";
import { defineWorkersConfig, readD1Migrations } from "@cloudflare/vitest-pool-workers/config";
import { sqlAsText } from "../sql-as-text";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export default defineWorkersConfig(async () => ({
  plugins: [sqlAsText()],
  // Resolve packages as wrangler does for workerd (@libsql/client's web build, not its native one).
  resolve: { conditions: ["workerd", "worker", "browser", "import", "default"] },
  ssr: { resolve: { conditions: ["workerd", "worker", "browser", "import", "default"] } },
  root: ROOT,
  test: {
    name: "store-d1",
    // As a project of the root config, vitest scans from the config's own folder unless told.
    dir: ROOT,
    include: ["test/store/store-d1.test.ts"],
    poolOptions: {
      workers: {
        singleWorker: true,
        isolatedStorage: true,
        miniflare: {
          compatibilityDate: "2025-09-01",
          compatibilityFlags: ["nodejs_compat"],
          d1Databases: ["DB"],
          bindings: { TEST_MIGRATIONS: await readD1Migrations(`${ROOT}/migrations`) },
        },
      },
    },
  },
}));
