// Applies migrations/*.sql to a libSQL database in file-name order (Node only: it reads the folder),
// recording each in `d1_migrations` exactly as `wrangler d1 migrations apply` does, so the same
// files serve both drivers and a second run applies nothing.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@libsql/client";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

/** wrangler's bookkeeping table (wrangler/src/d1/migrations/helpers.ts), so either tool sees the other's runs. */
const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS d1_migrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

/** Returns the names of the migrations it applied (empty when the database was up to date). */
export async function applyMigrations(client: Client, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  await client.execute(CREATE_LEDGER);
  const done = new Set((await client.execute("SELECT name FROM d1_migrations")).rows.map((row) => String(row.name)));
  const pending = readdirSync(dir)
    .filter((file) => file.endsWith(".sql") && !done.has(file))
    .sort();
  for (const file of pending) {
    const script = readFileSync(join(dir, file), "utf8");
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
  return pending;
}
