// Bindings and variables the Worker and its Durable Objects receive.
import type { ControllerLoopRpc, NodeLeasesRpc, NodeTunnelRpc, WatchHubRpc } from "./durable/rpc";

export interface Env {
  DB: D1Database;
  WATCH_HUB: DurableObjectNamespace<WatchHubRpc>;
  CONTROLLER_LOOP: DurableObjectNamespace<ControllerLoopRpc>;
  /** One per node: the agent's outbound tunnel for logs, exec, attach and port-forward. */
  NODE_TUNNEL: DurableObjectNamespace<NodeTunnelRpc>;
  /** Lease renewals land here, not in SQL (DESIGN decision 9). */
  NODE_LEASES: DurableObjectNamespace<NodeLeasesRpc>;
  /** Static assets (wrangler.toml [assets]): the node agent bundle, dist/assets/agent.mjs. */
  ASSETS?: Fetcher;
  /** When set, libSQL/Turso replaces D1 as the state store. */
  LIBSQL_URL?: string;
  LIBSQL_AUTH_TOKEN?: string;
  /** SHA-256 (hex) of the bootstrap admin token; `npm start` passes it in .edgeplane/worker.env. */
  ADMIN_TOKEN_SHA256?: string;
  /** Base64 of 32 random bytes: the AES-GCM key that encrypts Secrets at rest. */
  SECRETS_ENCRYPTION_KEY?: string;
  /** "true": writes do not nudge the controller loop (API-only tests that must see no background writes). */
  CONTROLLERS_DISABLED?: string;
  /** Pod Security level enforced in namespaces without a label: privileged, baseline (default) or restricted. */
  POD_SECURITY_DEFAULT_ENFORCE?: string;
  /** The longest ServiceAccount token a TokenRequest gets, in seconds (default a day). */
  SERVICE_ACCOUNT_MAX_TOKEN_SECONDS?: string;
  /** Node lifecycle: seconds without a Lease renewal before a node is NotReady (default 40). */
  NODE_MONITOR_GRACE_PERIOD_SECONDS?: string;
  /**
   * Seconds a NotReady/unreachable node's pods are kept before eviction (default 300): the
   * toleration new pods get by default, and the wait for pods without one.
   */
  POD_EVICTION_TIMEOUT_SECONDS?: string;
  /** "true": serve without SECRETS_ENCRYPTION_KEY, storing Secrets in plaintext (otherwise every request is a 503). */
  ALLOW_PLAINTEXT_SECRETS?: string;
  /** Seconds a node credential lives once its Node registers (default 30 days); the agent renews it before. */
  NODE_CREDENTIAL_TTL_SECONDS?: string;
  /** Watches of one kind one user may hold open at once (default 1000; system:masters is not counted). */
  WATCHES_PER_CLIENT?: string;
  /** Seconds an Event lives after its last write (kube-apiserver's --event-ttl; default 3600). */
  EVENT_TTL_SECONDS?: string;
  /** "true": the controller loop logs each pass that did something, with where its time went. */
  CONTROLLER_TRACE?: string;
}
