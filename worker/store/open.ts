// Opens the Store for a Worker invocation: libSQL/Turso when LIBSQL_URL is set, else the D1
// binding; Secrets are encrypted at rest when SECRETS_ENCRYPTION_KEY is set.
import type { Registry } from "../resources/registry";
import { createClient } from "@libsql/client";
import { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql";
import type { Env } from "../env";
import { BUNDLED_MIGRATIONS } from "./bundled-migrations";
import { applyMigrations } from "./migrate-libsql";
import { SecretTransformer } from "./secret-transformer";
import { SqlStore } from "./sql-store";
import type { Store, ValueTransformer } from "./types";

export interface OpenStoreOptions {
  /** Overrides the transformer derived from env.SECRETS_ENCRYPTION_KEY (null: none). */
  transformer?: ValueTransformer | null;
}

// openStore runs on every request: keep what is costly to build (the imported AES key, the
// drizzle wrapper around a binding) for the isolate's lifetime. A libSQL client is not cached:
// workerd forbids I/O objects (a WebSocket stream) to outlive the request that opened them.
const transformers = new WeakMap<Registry, Map<string, ValueTransformer>>();
const d1Stores = new WeakMap<D1Database, WeakMap<object, Store>>();
const NO_TRANSFORMER = {};

function transformerFor(env: Env, registry: Registry): ValueTransformer | undefined {
  const secret = env.SECRETS_ENCRYPTION_KEY;
  if (!secret) return undefined;
  let bySecret = transformers.get(registry);
  if (!bySecret) transformers.set(registry, (bySecret = new Map()));
  let transformer = bySecret.get(secret);
  if (!transformer) {
    // Asked per write and read, so a kind added later that encrypts at rest is covered too.
    transformer = new SecretTransformer(secret, (key) => registry.byPlural(key.group, key.resource)?.encryptAtRest === true);
    bySecret.set(secret, transformer);
  }
  return transformer;
}

const migratedLibsql = new Map<string, Promise<unknown>>();

/**
 * A libSQL/Turso database is migrated by the Worker itself, once per isolate (D1 is migrated
 * by `wrangler d1 migrations apply`). Call before the first use of openStore's store.
 */
export function prepareStore(env: Env): Promise<unknown> {
  const url = env.LIBSQL_URL;
  if (!url) return Promise.resolve();
  let done = migratedLibsql.get(url);
  if (!done) {
    const client = createClient({ url, authToken: env.LIBSQL_AUTH_TOKEN });
    done = applyMigrations(client, BUNDLED_MIGRATIONS)
      .finally(() => client.close())
      .catch((e: unknown) => {
        migratedLibsql.delete(url);
        throw e;
      });
    migratedLibsql.set(url, done);
  }
  return done;
}

/** The store for `env`'s database; `registry` says which kinds are encrypted at rest. */
export function openStore(env: Env, registry: Registry, options: OpenStoreOptions = {}): Store {
  const transformer = options.transformer === undefined ? transformerFor(env, registry) : (options.transformer ?? undefined);
  if (env.LIBSQL_URL) {
    const client = createClient({ url: env.LIBSQL_URL, authToken: env.LIBSQL_AUTH_TOKEN });
    return new SqlStore(drizzleLibsql(client), { transformer });
  }
  let byTransformer = d1Stores.get(env.DB);
  if (!byTransformer) {
    byTransformer = new WeakMap();
    d1Stores.set(env.DB, byTransformer);
  }
  const cacheKey = transformer ?? NO_TRANSFORMER;
  let store = byTransformer.get(cacheKey);
  if (!store) {
    store = new SqlStore(drizzleD1(env.DB), { transformer });
    byTransformer.set(cacheKey, store);
  }
  return store;
}
