// Bindings and variables the Worker and its Durable Objects receive.
import type { WatchHub } from "./durable/watch-hub";

export interface Env {
  DB: D1Database;
  WATCH_HUB: DurableObjectNamespace<WatchHub>;
  /** When set, libSQL/Turso replaces D1 as the state store. */
  LIBSQL_URL?: string;
  LIBSQL_AUTH_TOKEN?: string;
  /** SHA-256 (hex) of the bootstrap admin token; `npm start` passes it in .edgeplane/worker.env. */
  ADMIN_TOKEN_SHA256?: string;
  /** Base64 of 32 random bytes: the AES-GCM key that encrypts Secrets at rest. */
  SECRETS_ENCRYPTION_KEY?: string;
}
