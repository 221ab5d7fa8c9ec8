// Join tokens as kubeadm makes them: `<token-id>.<token-secret>` naming a bootstrap-token Secret
// kube-system/bootstrap-token-<id> (k8s.io/cluster-bootstrap's format and checks, pure functions here).
import type { KubeObject } from "../resources/types";

export const BOOTSTRAP_TOKEN_NAMESPACE = "kube-system";
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = "bootstrap-token-";
export const BOOTSTRAP_TOKEN_TYPE = "bootstrap.kubernetes.io/token";
/**
 * How many more joins the token allows (edgeplane's addition to the bootstrap-token format; a
 * token without it allows any number until it expires). Spent tokens are deleted.
 */
export const USES_REMAINING_KEY = "uses-remaining";
/** cluster-bootstrap's BootstrapTokenPattern: 6 then 16 characters of [a-z0-9]. */
const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

export interface JoinToken {
  id: string;
  secret: string;
}

/** `<id>.<secret>` from an `Authorization: Bearer …` header; null when absent or malformed. */
export function parseJoinToken(authorization: string | null | undefined): JoinToken | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  const match = bearer ? TOKEN_PATTERN.exec(bearer[1]!) : null;
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

export function bootstrapSecretName(id: string): string {
  return `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`;
}

/** Constant-time string equality (length is not secret: both sides are 16 characters). */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function decodeData(secret: KubeObject, key: string): string | undefined {
  const data = secret.data;
  if (typeof data !== "object" || data === null) return undefined;
  const value = (data as Record<string, unknown>)[key];
  if (typeof value !== "string") return undefined;
  try {
    return atob(value);
  } catch {
    return undefined;
  }
}

/**
 * Why the Secret does not accept `token` (undefined = it does): wrong type, id or secret, expired,
 * or not marked for authentication. As upstream's bootstrap authenticator, every failure is the
 * same 401 to the caller; the reason is for logs and tests.
 */
export function rejectReason(secret: KubeObject | null, token: JoinToken, now: Date): string | undefined {
  if (!secret) return "no such token";
  if (secret.type !== BOOTSTRAP_TOKEN_TYPE) return `secret type is not ${BOOTSTRAP_TOKEN_TYPE}`;
  if (secret.metadata.deletionTimestamp) return "token is being deleted";
  if (decodeData(secret, "token-id") !== token.id) return "token-id does not match";
  const stored = decodeData(secret, "token-secret") ?? "";
  if (!constantTimeEqual(stored, token.secret)) return "token-secret does not match";
  const expiration = decodeData(secret, "expiration");
  if (expiration !== undefined) {
    const at = Date.parse(expiration);
    if (Number.isNaN(at)) return "expiration is not RFC3339";
    if (at <= now.getTime()) return "token has expired";
  }
  if (decodeData(secret, "usage-bootstrap-authentication") !== "true") return "token is not usable for authentication";
  const uses = usesRemaining(secret);
  if (uses !== undefined && !(uses > 0)) return Number.isNaN(uses) ? `${USES_REMAINING_KEY} is not a whole number` : "token has no uses left";
  return undefined;
}

/** The joins a token has left: undefined when unlimited, NaN when the value is not a whole number. */
export function usesRemaining(secret: KubeObject): number | undefined {
  const text = decodeData(secret, USES_REMAINING_KEY);
  if (text === undefined) return undefined;
  return /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : NaN;
}

/** Kubernetes' DNS-1123 subdomain (metadata.name of a Node): the message kube-apiserver prints. */
export function dnsSubdomainError(name: string): string | undefined {
  if (name.length > 253) return "must be no more than 253 characters";
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    return (
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end " +
      "with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    );
  }
  return undefined;
}
