// Runs the Store conformance suite on libSQL (in-memory, migrated by worker/store/migrate-libsql.ts),
// plus what only this driver can show cheaply: idempotent migrations and a 10,000-object paged list.
import { createClient, type Client } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "../../worker/env";
import { applyMigrations } from "../../worker/store/migrate-libsql";
import { readMigrations } from "../../worker/store/migrations-dir";
import { builtInRegistry } from "../../worker/resources/registry";
import { openStore } from "../../worker/store/open";
import { SqlStore } from "../../worker/store/sql-store";
import { runStoreCases, type MakeStore } from "./store-cases";

const REGISTRY = builtInRegistry();

const clients: Client[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

async function migratedClient(): Promise<Client> {
  const client = createClient({ url: ":memory:" });
  clients.push(client);
  await applyMigrations(client, readMigrations());
  return client;
}

const makeStore: MakeStore = async (options = {}) => {
  const client = await migratedClient();
  return {
    store: new SqlStore(drizzle(client), options),
    reopen: (transformer) => new SqlStore(drizzle(client), { transformer }),
    rawValues: async () =>
      (await client.execute("SELECT value FROM objects UNION ALL SELECT value FROM changes")).rows.map((r) => String(r.value)),
  };
};

describe("SqlStore on libSQL", () => {
  runStoreCases(makeStore);
});

describe("SqlStore on libSQL, the driver alone", () => {
  it("applies migrations once and records them as wrangler does", async () => {
    const client = await migratedClient();
    expect(await applyMigrations(client, readMigrations())).toEqual([]);
    const applied = await client.execute("SELECT name FROM d1_migrations ORDER BY id");
    expect(applied.rows.map((r) => String(r.name))).toEqual(["0000_init.sql", "0001_cas_guard.sql", "0002_objects_follow_changes.sql", "0003_pods_by_node.sql", "0004_token_bound_uid.sql", "0005_events_by_write.sql"]);
  });

  it("finds a node's pods through the spec.nodeName index, not by reading every pod", async () => {
    const client = await migratedClient();
    const queries: { sql: string; args: unknown }[] = [];
    // drizzle sends a list as a batch (the revision, then the page): record the batch's statements.
    const batch = client.batch.bind(client);
    client.batch = ((statements: { sql: string; args: unknown }[], mode?: never) => {
      queries.push(...statements);
      return batch(statements as never, mode);
    }) as typeof client.batch;
    const store = new SqlStore(drizzle(client));
    for (const [name, nodeName] of [["p1", "n1"], ["p2", "n2"]] as const) {
      await store.create({ group: "", resource: "pods", namespace: "a", name }, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "a" }, spec: { nodeName } });
    }
    for (const namespace of [undefined, "a"]) {
      queries.length = 0;
      const listed = await store.list("", "pods", { namespace, field: { path: "spec.nodeName", value: "n1" } });
      expect(listed.items.map((i) => i.key.name)).toEqual(["p1"]);
      const list = queries.find((q) => /from "objects"/.test(q.sql))!;
      const plan = await client.execute({ sql: `EXPLAIN QUERY PLAN ${list.sql}`, args: list.args as never });
      expect(plan.rows.map((r) => String(r.detail)).join("; ")).toMatch(/USING INDEX objects_pods_by_node/);
    }
  });

  it("finds Events by their last write through the events index, not by reading every Event", async () => {
    const client = await migratedClient();
    const queries: { sql: string; args: unknown }[] = [];
    const execute = client.execute.bind(client);
    client.execute = ((statement: { sql: string; args: unknown }) => {
      queries.push(statement);
      return execute(statement as never);
    }) as typeof client.execute;
    const store = new SqlStore(drizzle(client));
    await store.create({ group: "", resource: "events", namespace: "a", name: "e" }, { apiVersion: "v1", kind: "Event", metadata: { name: "e", namespace: "a" } });
    queries.length = 0;
    await store.oldestWrite("", "events");
    await store.expire("", "events", 0, 10);
    const reads = queries.filter((q) => /from "objects"/.test(q.sql));
    expect(reads).toHaveLength(2);
    for (const q of reads) {
      const plan = await execute({ sql: `EXPLAIN QUERY PLAN ${q.sql}`, args: q.args as never });
      expect(plan.rows.map((r) => String(r.detail)).join("; ")).toMatch(/USING (COVERING )?INDEX objects_events_by_write/);
    }
  });

  it("openStore picks libSQL when LIBSQL_URL is set, and encrypts Secrets with the env key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgeplane-store-"));
    try {
      const url = `file:${join(dir, "state.db")}`;
      const client = createClient({ url });
      clients.push(client);
      await applyMigrations(client, readMigrations());
      const secret = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
      const store = openStore({ LIBSQL_URL: url, SECRETS_ENCRYPTION_KEY: secret } as unknown as Env, REGISTRY);
      const key = { group: "", resource: "secrets", namespace: "default", name: "s" };
      await store.create(key, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, data: { k: "dG9wLXNlY3JldA==" } });
      expect((await store.get(key))?.value.data).toEqual({ k: "dG9wLXNlY3JldA==" });
      const raw = await client.execute("SELECT value FROM objects");
      expect(String(raw.rows[0]?.value)).toMatch(/^enc:v2:[0-9a-f]{16}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
      // Without the key the row is refused loudly, never handed out as garbage.
      await expect(openStore({ LIBSQL_URL: url } as unknown as Env, REGISTRY).get(key)).rejects.toThrow(/encrypted at rest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Paging speed is measured by bench/api-latency.ts, not asserted here.
  it("pages through 10,000 objects across namespaces in 20 pages of 500, each once, in order", async () => {
    const client = await migratedClient();
    const store = new SqlStore(drizzle(client));
    const TOTAL = 10_000;
    for (let i = 0; i < TOTAL; i++) {
      const namespace = `ns-${i % 10}`;
      const name = `pod-${String(i).padStart(5, "0")}`;
      await store.create({ group: "", resource: "pods", namespace, name }, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace, labels: { app: "bench" } },
        spec: { containers: [{ name: "c", image: "busybox" }] },
      });
    }
    const keys: string[] = [];
    let seen = 0;
    let pages = 0;
    let after: { namespace: string; name: string } | undefined;
    for (;;) {
      const page = await store.list("", "pods", { limit: 500, after });
      seen += page.items.length;
      pages++;
      for (const item of page.items) keys.push(`${item.key.namespace}/${item.key.name}`);
      const last = page.items[page.items.length - 1];
      if (!page.more || !last) break;
      after = { namespace: last.key.namespace, name: last.key.name };
    }
    expect(seen).toBe(TOTAL);
    expect(pages).toBe(20);
    expect(new Set(keys).size).toBe(TOTAL);
    expect(keys).toEqual([...keys].sort());
  }, 60_000);
});

describe("bundled migrations", () => {
  it("the Worker bundles exactly the files in migrations/", () => {
    // The module imports .sql through wrangler's Text rule, which Node cannot load: read its source.
    const source = readFileSync(new URL("../../worker/store/bundled-migrations.ts", import.meta.url), "utf8");
    const bundled = [...source.matchAll(/name: "([^"]+\.sql)"/g)].map((m) => m[1]);
    const imported = [...source.matchAll(/from "\.\.\/\.\.\/migrations\/([^"]+\.sql)"/g)].map((m) => m[1]);
    const files = readMigrations().map((m) => m.name);
    expect(bundled).toEqual(files);
    expect(imported).toEqual(files);
  });
});
