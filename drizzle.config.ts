// drizzle-kit configuration: `npm run db:generate` writes SQL migrations from the store schema
// into migrations/, which wrangler (D1) and worker/store/migrate-libsql.ts (libSQL) both apply.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./worker/store/schema.ts",
  out: "./migrations",
});
