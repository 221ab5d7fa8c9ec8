// drizzle tables of the SQL store (kine's shape): current objects, the change log whose
// AUTOINCREMENT key is the global revision, store metadata, and bearer-token records.
// The CAS guard view and its triggers are hand-written in migrations/0001_cas_guard.sql.
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The latest state of every object. `value` is the JSON object without
 * metadata.resourceVersion (the row's `revision` is injected on read), possibly
 * encrypted by a ValueTransformer. A rowid table on purpose: values can be large,
 * and SQLite advises against WITHOUT ROWID for rows over ~1/20 of a page; the primary
 * key's index makes (group, resource, namespace, name) range scans cheap.
 */
export const objects = sqliteTable(
  "objects",
  {
    apiGroup: text("api_group").notNull(),
    resource: text("resource").notNull(),
    namespace: text("namespace").notNull(),
    name: text("name").notNull(),
    revision: integer("revision").notNull(),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.apiGroup, t.resource, t.namespace, t.name] })],
);

/**
 * The change log. AUTOINCREMENT: a revision is never reused, even after compaction.
 * Watches read it by revision only (the hub filters by resource in memory), so no other index.
 */
export const changes = sqliteTable("changes", {
  revision: integer("revision").primaryKey({ autoIncrement: true }),
  type: text("type", { enum: ["ADDED", "MODIFIED", "DELETED"] }).notNull(),
  apiGroup: text("api_group").notNull(),
  resource: text("resource").notNull(),
  namespace: text("namespace").notNull(),
  name: text("name").notNull(),
  value: text("value").notNull(),
});

/** Small key/value facts about the store; `compacted` holds the compacted revision. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: integer("value").notNull(),
});

export const tokens = sqliteTable("tokens", {
  /** SHA-256 of the bearer token, hex. */
  hash: text("hash").primaryKey(),
  user: text("user").notNull(),
  kind: text("kind", { enum: ["admin", "serviceaccount", "node"] }).notNull(),
  scope: text("scope").notNull(),
  /** Milliseconds since the epoch; null = no expiry. */
  expiresAt: integer("expires_at"),
  /** A ServiceAccount token's ServiceAccount uid (migrations/0004); null for other tokens. */
  boundUid: text("bound_uid"),
});
