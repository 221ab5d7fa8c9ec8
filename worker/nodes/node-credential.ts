// Node credentials: minted at the join, bound to the Node's uid once it registers, and renewed by
// the agent before they lapse, as kubelet rotates its client certificate (it asks for a new one at
// 70–90 % of the old one's life; the old one stays good meanwhile).
import { sha256Hex } from "../../shared/sha256";
import { StatusError, unauthorized } from "../../shared/status-error";
import type { Env } from "../env";
import type { Store, TokenRecord } from "../store/types";

export const NODE_CREDENTIAL_BYTES = 32;
/** How long a node credential lives before its Node exists (auth.ts binds it then). */
export const UNBOUND_CREDENTIAL_TTL_MS = 3_600_000;
/** A bound credential's life unless NODE_CREDENTIAL_TTL_SECONDS says otherwise: 30 days. */
export const DEFAULT_NODE_CREDENTIAL_TTL_S = 30 * 24 * 3600;
/**
 * How long a renewed credential keeps working: the requests and reconnects already under way with
 * it, and an agent whose renewal reply was lost, which retries with the old one (backing off to
 * 5 minutes), have an hour; a copy taken from the old file stops working after it.
 */
export const RENEWED_CREDENTIAL_GRACE_MS = 3_600_000;

export interface NodeCredential {
  kind: "NodeCredential";
  apiVersion: "edgeplane.dev/v1";
  nodeName: string;
  token: string;
  /** RFC 3339: when it stops working unless renewed. */
  expirationTimestamp: string;
}

export function nodeCredentialTtlMs(env: Pick<Env, "NODE_CREDENTIAL_TTL_SECONDS">): number {
  const seconds = Number(env.NODE_CREDENTIAL_TTL_SECONDS);
  return (env.NODE_CREDENTIAL_TTL_SECONDS && Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_NODE_CREDENTIAL_TTL_S) * 1000;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh credential for `nodeName`, recorded by its hash only. */
export async function mintNodeCredential(store: Store, nodeName: string, expiresAt: number, boundUid?: string): Promise<NodeCredential> {
  const token = base64url(crypto.getRandomValues(new Uint8Array(NODE_CREDENTIAL_BYTES)));
  await store.putToken({
    hash: await sha256Hex(token),
    user: `system:node:${nodeName}`,
    kind: "node",
    scope: nodeName,
    expiresAt,
    ...(boundUid ? { boundUid } : {}),
  });
  return { kind: "NodeCredential", apiVersion: "edgeplane.dev/v1", nodeName, token, expirationTimestamp: new Date(expiresAt).toISOString().replace(/\.\d+Z$/, "Z") };
}

/**
 * POST /edgeplane/v1/nodes/credential: the bearer (a node credential itself, never an
 * impersonation) gets a new credential of a full life, bound to the same Node; the old one
 * lapses after RENEWED_CREDENTIAL_GRACE_MS. Called after authentication, so the bearer is live.
 */
export async function renewNodeCredential(
  store: Store,
  env: Env,
  authorization: string | null,
  now: number,
): Promise<{ credential: NodeCredential; replacedHash: string }> {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  if (!bearer) throw unauthorized();
  const hash = await sha256Hex(bearer);
  const current: TokenRecord | null = await store.getToken(hash);
  // The admin token, a ServiceAccount's, or anyone impersonating a node: only a node's own.
  if (!current || current.kind !== "node") throw new StatusError(403, "Forbidden", "forbidden: only a node's own credential may be renewed, with itself");
  // Unbound (its Node not registered yet): it may not outlive the unbound hour by renewing.
  const expiresAt = current.boundUid ? now + nodeCredentialTtlMs(env) : Math.min(current.expiresAt ?? now, now + UNBOUND_CREDENTIAL_TTL_MS);
  const renewed = await mintNodeCredential(store, current.scope, expiresAt, current.boundUid ?? undefined);
  const graceEnd = now + RENEWED_CREDENTIAL_GRACE_MS;
  if (current.expiresAt === null || current.expiresAt > graceEnd) await store.putToken({ ...current, expiresAt: graceEnd });
  return { credential: renewed, replacedHash: hash };
}
