// Runs the Store conformance suite on Cloudflare D1 inside workerd (see vitest.workers.config.ts):
// proves the CAS guard view/triggers, RETURNING and batch atomicity on the real D1 binding.
/// <reference types="@cloudflare/vitest-pool-workers" />
import { applyD1Migrations, env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import type { Env } from "../../worker/env";
import { builtInRegistry } from "../../worker/resources/registry";
import { openStore } from "../../worker/store/open";
import { SqlStore } from "../../worker/store/sql-store";
import { runStoreCases, type MakeStore } from "./store-cases";

const REGISTRY = builtInRegistry();

declare module "cloudflare:test" {
  interface ProvidedEnv {
    DB: D1Database;
    TEST_MIGRATIONS: D1Migration[];
  }
}

/** Migrated (idempotently) and emptied, whatever the storage isolation left behind. */
async function freshDatabase(): Promise<D1Database> {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  await env.DB.batch([
    env.DB.prepare("DELETE FROM objects"),
    env.DB.prepare("DELETE FROM changes"),
    env.DB.prepare("DELETE FROM tokens"),
    env.DB.prepare("UPDATE meta SET value = 0 WHERE key = 'compacted'"),
  ]);
  return env.DB;
}

async function rawValues(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare("SELECT value FROM objects UNION ALL SELECT value FROM changes").all<{ value: string }>();
  return results.map((row) => row.value);
}

const makeStore: MakeStore = async (options = {}) => {
  const db = await freshDatabase();
  return { store: new SqlStore(drizzle(db), options), rawValues: () => rawValues(db), reopen: (transformer) => new SqlStore(drizzle(db), { transformer }) };
};

describe("SqlStore on D1", () => {
  runStoreCases(makeStore);

  it("openStore picks D1 and encrypts Secrets when SECRETS_ENCRYPTION_KEY is set", async () => {
    const db = await freshDatabase();
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const store = openStore({ DB: db, SECRETS_ENCRYPTION_KEY: key } as unknown as Env, REGISTRY);
    const secretKey = { group: "", resource: "secrets", namespace: "default", name: "s" };
    await store.create(secretKey, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, data: { k: "dG9wLXNlY3JldA==" } });
    expect((await store.get(secretKey))?.value.data).toEqual({ k: "dG9wLXNlY3JldA==" });
    for (const value of await rawValues(db)) {
      expect(value.startsWith("enc:v2:")).toBe(true);
      expect(value).not.toContain("dG9wLXNlY3JldA==");
    }
  });
});
