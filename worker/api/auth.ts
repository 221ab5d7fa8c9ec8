// Authentication (bearer tokens, stored as SHA-256 only) and the authorizer chain, as
// kube-apiserver's Node,RBAC: the admin (group system:masters) may do anything; a node credential
// gets the Node authorizer's rules (node-authorizer.ts); everyone else what RBAC grants (rbac/).
import type { Env } from "../env";
import type { Store, TokenRecord } from "../store/types";
import type { AccessRequest, Principal } from "./access";
import { nodeMayAccess } from "./node-authorizer";
import { allows, type Subject } from "./rbac/evaluate";
import { policyOf } from "./rbac/policy";
import { forbidden, StatusError, unauthorized } from "../../shared/status-error";
import { sha256Hex } from "../../shared/sha256";
import { nodeCredentialTtlMs } from "../nodes/node-credential";
import { webSocketBearer } from "./websocket-bearer";

/** Looked-up tokens are cached per isolate briefly; a deleted token stops working within this. */
const TOKEN_CACHE_TTL_MS = 10_000;
const TOKEN_CACHE_MAX = 1_000;
/** A looked-up token, and for a node credential whether its Node still stands (see nodeStands). */
const tokenCache = new Map<string, { record: TokenRecord | null; until: number; nodeStands: boolean }>();

/** Constant-time comparison of two hex digests. */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * A ServiceAccount token is good only while its ServiceAccount exists with the uid it was issued
 * for (kube-apiserver's bound-token validation). Read on every request, not cached: a deleted
 * account's token then fails at once, in every isolate.
 */
async function serviceAccountLives(store: Store, record: TokenRecord): Promise<boolean> {
  const name = /^system:serviceaccount:[^:]+:(.+)$/.exec(record.user)?.[1];
  if (!name) return false;
  const account = await store.get({ group: "", resource: "serviceaccounts", namespace: record.scope, name });
  return account?.value.metadata.uid === record.boundUid;
}

/**
 * A node credential lives with its Node: it is bound to the Node's uid the first time it is used
 * once the Node exists (the agent registers it at once), and from then on works only while a Node
 * of that uid exists, and until it expires (NODE_CREDENTIAL_TTL_SECONDS after the binding; the
 * agent renews it before). Deleting the Node revokes it; the machine joins again. Checked when the
 * token is looked up, so within TOKEN_CACHE_TTL_MS of the deletion.
 */
async function nodeStands(store: Store, record: TokenRecord, env: Env, now: number): Promise<{ record: TokenRecord; stands: boolean }> {
  const node = await store.get({ group: "", resource: "nodes", namespace: "", name: record.scope });
  const uid = node?.value.metadata.uid;
  if (record.boundUid) {
    if (uid !== record.boundUid) return { record, stands: false };
    if (record.expiresAt !== null) return { record, stands: true };
    // Bound before credentials expired: it gets a full life from now, and the agent renews it.
    const dated = { ...record, expiresAt: now + nodeCredentialTtlMs(env) };
    await store.putToken(dated);
    return { record: dated, stands: true };
  }
  if (!uid) return { record, stands: true };
  // Bound from now on, with a full life ahead instead of the unbound hour.
  const bound = { ...record, boundUid: uid, expiresAt: now + nodeCredentialTtlMs(env) };
  await store.putToken(bound);
  return { record: bound, stands: true };
}

/** Whether the principal is in system:masters (the admin token, or a user impersonating that group). */
export function inSystemMasters(principal: Principal): boolean {
  return subjectOf(principal).groups.includes("system:masters");
}

/** A token was revoked through this isolate: it stops working here at once (elsewhere within the cache's 10 s). */
export function noteTokenRevoked(hash: string): void {
  tokenCache.delete(hash);
}

/** A Node was written through this isolate: its credential's cached liveness is stale. */
export function noteNodeWritten(key: { group: string; resource: string; name: string }): void {
  if (key.group !== "" || key.resource !== "nodes") return;
  for (const [hash, entry] of tokenCache) if (entry.record?.kind === "node" && entry.record.scope === key.name) tokenCache.delete(hash);
}

/**
 * The requester, from a bearer token: in the Authorization header, or for a WebSocket upgrade (a
 * browser cannot set that header) in its `base64url.bearer.authorization.k8s.io.` subprotocol.
 * As kube-apiserver's union authenticator: the header is tried first, then the subprotocol, and
 * the first that authenticates wins; otherwise 401, whose message names no reason (neither does
 * kube-apiserver's).
 */
export async function authenticate(request: Request, env: Env, store: Store, now = Date.now()): Promise<Principal> {
  const header = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  const socket = webSocketBearer(request.headers);
  for (const token of [header, socket.kind === "token" ? socket.token : undefined]) {
    if (token === undefined) continue;
    const principal = await principalOfToken(token, env, store, now);
    if (principal) return principal;
  }
  throw unauthorized();
}

/** Whom a token stands for; null when it is unknown, expired, or its Node or ServiceAccount is gone. */
async function principalOfToken(token: string, env: Env, store: Store, now: number): Promise<Principal | null> {
  const hash = await sha256Hex(token);
  if (env.ADMIN_TOKEN_SHA256 && sameDigest(hash, env.ADMIN_TOKEN_SHA256.toLowerCase())) {
    return { user: "admin", kind: "admin", scope: "" };
  }
  let cached = tokenCache.get(hash);
  if (!cached || cached.until < now) {
    const found = await store.getToken(hash);
    const node = found?.kind === "node" ? await nodeStands(store, found, env, now) : { record: found, stands: true };
    cached = { record: node.record, until: now + TOKEN_CACHE_TTL_MS, nodeStands: node.stands };
    // Full: the oldest entry goes (Map keeps insertion order), so a spray of unknown tokens
    // cannot keep emptying the cache of the real ones.
    if (tokenCache.size >= TOKEN_CACHE_MAX) tokenCache.delete(tokenCache.keys().next().value!);
    tokenCache.delete(hash);
    tokenCache.set(hash, cached);
  }
  const record = cached.record;
  if (!record || (record.expiresAt !== null && record.expiresAt < now)) return null;
  if (record.kind === "node" && !cached.nodeStands) return null;
  if (record.kind === "serviceaccount" && record.boundUid && !(await serviceAccountLives(store, record))) return null;
  return { user: record.user, kind: record.kind, scope: record.scope, expiresAt: record.expiresAt };
}

/**
 * kube-apiserver's 403: the message names `resource/subresource` ("cannot patch resource
 * \"nodes/status\""), the Status' group-resource only the resource (`nodes "vm2" is forbidden`).
 */
function denial(principal: Principal, access: AccessRequest): StatusError {
  const plain = forbidden(principal.user, access.verb, { group: access.group, resource: access.resource }, access.namespace, access.name);
  if (!access.subresource) return plain;
  const full = `${access.resource}/${access.subresource}`;
  const message = plain.message.replace(`resource "${access.resource}"`, `resource "${full}"`);
  return new StatusError(403, "Forbidden", message, plain.details);
}

/** The user and groups authentication gives a principal (what RBAC subjects name). */
export function subjectOf(principal: Principal): Subject {
  switch (principal.kind) {
    case "admin":
      return { user: principal.user, groups: ["system:masters", "system:authenticated"] };
    case "node":
      return { user: principal.user, groups: ["system:nodes", "system:authenticated"] };
    case "serviceaccount":
      return { user: principal.user, groups: ["system:serviceaccounts", `system:serviceaccounts:${principal.scope}`, "system:authenticated"] };
    case "user":
      return { user: principal.user, groups: [...new Set([...(principal.groups ?? []), "system:authenticated"])] };
  }
}

/**
 * The principal a user name and groups stand for, as kube-apiserver sorts them: a ServiceAccount's
 * user name is that account, system:node:<name> in system:nodes a node, anyone else a user.
 */
export function principalFor(user: string, groups: readonly string[]): Principal {
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
  if (account) return { user, kind: "serviceaccount", scope: account[1]! };
  const node = /^system:node:(.+)$/.exec(user);
  if (node && groups.includes("system:nodes")) return { user, kind: "node", scope: node[1]! };
  return { user, kind: "user", scope: "", groups: [...groups] };
}

/** Whether `principal` may perform the request: the decision alone, for access reviews. */
export async function mayAccess(store: Store, principal: Principal, access: AccessRequest): Promise<boolean> {
  // system:masters is never asked (kube-apiserver's privileged-group authorizer comes first).
  if (principal.kind === "admin") return true;
  if (principal.kind === "node") return principal.scope !== "" && (await nodeMayAccess(store, principal.scope, access));
  return allows(await policyOf(store), subjectOf(principal), access);
}

/** Authorizes an API request: 403 Forbidden, in kube-apiserver's words, unless allowed. */
export async function authorizeRequest(store: Store, principal: Principal, access: AccessRequest): Promise<void> {
  if (!(await mayAccess(store, principal, access))) throw denial(principal, access);
}
