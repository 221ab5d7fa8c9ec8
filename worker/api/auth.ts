// Authentication (bearer tokens, stored as SHA-256 only) and the small authorizer: the admin may
// do anything; a service-account token only acts inside its namespace; a node credential gets the
// Node authorizer's rules (node-authorizer.ts).
import type { Env } from "../env";
import type { Store, TokenRecord } from "../store/types";
import type { AccessRequest, Principal } from "./access";
import { nodeMayAccess } from "./node-authorizer";
import { forbidden, StatusError, unauthorized } from "../../shared/status-error";

/** Looked-up tokens are cached per isolate briefly; a deleted token stops working within this. */
const TOKEN_CACHE_TTL_MS = 10_000;
const TOKEN_CACHE_MAX = 1_000;
const tokenCache = new Map<string, { record: TokenRecord | null; until: number }>();

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Constant-time comparison of two hex digests. */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export async function authenticate(request: Request, env: Env, store: Store, now = Date.now()): Promise<Principal> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized();
  const hash = await sha256Hex(match[1]!);
  if (env.ADMIN_TOKEN_SHA256 && sameDigest(hash, env.ADMIN_TOKEN_SHA256.toLowerCase())) {
    return { user: "admin", kind: "admin", scope: "" };
  }
  let cached = tokenCache.get(hash);
  if (!cached || cached.until < now) {
    cached = { record: await store.getToken(hash), until: now + TOKEN_CACHE_TTL_MS };
    if (tokenCache.size >= TOKEN_CACHE_MAX) tokenCache.clear();
    tokenCache.set(hash, cached);
  }
  const record = cached.record;
  if (!record || (record.expiresAt !== null && record.expiresAt < now)) throw unauthorized();
  return { user: record.user, kind: record.kind, scope: record.scope };
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

/** Throws 403 Forbidden unless `principal` may perform the request. */
export function authorize(principal: Principal, access: AccessRequest): void {
  if (principal.kind === "admin") return;
  const deny = () => denial(principal, access);
  if (principal.kind === "serviceaccount") {
    // Its own namespace object may be read; nothing else outside the namespace. (RBAC replaces
    // this rule and its kind name: issue 14.)
    if (access.group === "" && access.resource === "namespaces" && access.name === principal.scope) {
      if (access.verb === "get") return;
      throw deny();
    }
    if (access.namespace === principal.scope) return;
    throw deny();
  }
  // Node credentials need the store: authorizeRequest answers for them; here they may do nothing.
  throw deny();
}

/**
 * Authorizes an API request. Node credentials need the store (a node may only touch its own pods
 * and what they reference), so this is the async entry the app calls.
 */
export async function authorizeRequest(store: Store, principal: Principal, access: AccessRequest): Promise<void> {
  if (principal.kind !== "node") return authorize(principal, access);
  if (!principal.scope || !(await nodeMayAccess(store, principal.scope, access))) throw denial(principal, access);
}
