// migrations/ as bundled into the Worker (wrangler's Text rule for *.sql), so a libSQL/Turso
// database is migrated by the Worker itself on first use. A unit test keeps this list in step
// with the folder.
import init from "../../migrations/0000_init.sql";
import casGuard from "../../migrations/0001_cas_guard.sql";
import objectsFollowChanges from "../../migrations/0002_objects_follow_changes.sql";
import podsByNode from "../../migrations/0003_pods_by_node.sql";
import tokenBoundUid from "../../migrations/0004_token_bound_uid.sql";
import eventsByWrite from "../../migrations/0005_events_by_write.sql";
import type { Migration } from "./migrate-libsql";

export const BUNDLED_MIGRATIONS: readonly Migration[] = [
  { name: "0000_init.sql", sql: init },
  { name: "0001_cas_guard.sql", sql: casGuard },
  { name: "0002_objects_follow_changes.sql", sql: objectsFollowChanges },
  { name: "0003_pods_by_node.sql", sql: podsByNode },
  { name: "0004_token_bound_uid.sql", sql: tokenBoundUid },
  { name: "0005_events_by_write.sql", sql: eventsByWrite },
];
