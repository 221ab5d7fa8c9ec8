// The Worker itself inside workerd (@cloudflare/vitest-pool-workers): requests go through
// SELF.fetch to the real app with its D1 binding and Durable Objects, migrated as wrangler does.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineWorkersConfig, readD1Migrations } from "@cloudflare/vitest-pool-workers/config";
import { sqlAsText } from "../sql-as-text";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// wrangler.toml's [assets] directory must exist; these tests never request the agent bundle.
mkdirSync(`${ROOT}/dist/assets`, { recursive: true });

/** sha256("test-admin-token"): the tests authenticate as the admin with that token. */
const TEST_ADMIN_TOKEN_SHA256 = "17d6bfe05d1b1fb7bc499f8e3f639c7b3eda4c40f321eef8887a0c04c89a99c5";

export default defineWorkersConfig(async () => ({
  root: ROOT,
  plugins: [sqlAsText()],
  // Resolve packages as wrangler does for workerd (@libsql/client's web build, not its native one).
  resolve: { conditions: ["workerd", "worker", "browser", "import", "default"] },
  ssr: { resolve: { conditions: ["workerd", "worker", "browser", "import", "default"] } },
  test: {
    name: "worker",
    // As a project of the root config, vitest scans from the config's own folder unless told.
    dir: ROOT,
    include: ["test/worker/**/*.test.ts"],
    setupFiles: [`${ROOT}/test/worker/apply-migrations.ts`],
    poolOptions: {
      workers: {
        singleWorker: true,
        isolatedStorage: false,
        main: `${ROOT}/worker/index.ts`,
        wrangler: { configPath: `${ROOT}/wrangler.toml` },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: await readD1Migrations(`${ROOT}/migrations`),
            ADMIN_TOKEN_SHA256: TEST_ADMIN_TOKEN_SHA256,
            SECRETS_ENCRYPTION_KEY: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            // The negative suite asserts that nothing is written: no background reconciling.
            CONTROLLERS_DISABLED: "true",
            // The property suites' fast-check seed and run count (test/worker/api-client.ts).
            FC_SEED: process.env.FC_SEED ?? "",
            FC_RUNS: process.env.FC_RUNS ?? "",
          },
        },
      },
    },
  },
}));
