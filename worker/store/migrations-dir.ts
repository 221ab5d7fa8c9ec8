// Node-side access to migrations/ (scripts and tests): the files as applyMigrations takes them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Migration } from "./migrate-libsql";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}
