// Applies migrations to a libSQL database in name order, recording each in `d1_migrations`
// exactly as `wrangler d1 migrations apply` does, so the same files serve both drivers and a
// second run applies nothing. The Worker passes the bundled files; Node reads the folder.
import type { Client } from "@libsql/client";

export interface Migration {
  name: string;
  sql: string;
}

/** wrangler's bookkeeping table (wrangler/src/d1/migrations/helpers.ts), so either tool sees the other's runs. */
const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS d1_migrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

/** Returns the names of the migrations it applied (empty when the database was up to date). */
export async function applyMigrations(client: Client, migrations: readonly Migration[]): Promise<string[]> {
  await client.execute(CREATE_LEDGER);
  const done = new Set((await client.execute("SELECT name FROM d1_migrations")).rows.map((row) => String(row.name)));
  const pending = migrations.filter((m) => !done.has(m.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const { name: file, sql: script } of pending) {
    // One transaction per file: a failing migration leaves neither its changes nor its ledger row.
    const tx = await client.transaction("write");
    try {
      await tx.executeMultiple(script);
      await tx.execute({ sql: "INSERT INTO d1_migrations (name) VALUES (?)", args: [file] });
      await tx.commit();
    } catch (error) {
      await tx.rollback();
      throw new Error(`migration ${file} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      tx.close();
    }
  }
  return pending.map((m) => m.name);
}
