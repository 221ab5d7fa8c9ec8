// POST serviceaccounts/{name}/token (TokenRequest, what `kubectl create token` calls):
// mints a bearer token bound to that service account's namespace, stored only as a hash.
import { timestamp } from "../../../shared/time";
import { readObjectBody } from "../body";
import { sha256Hex } from "../../../shared/sha256";
import type { ApiContext } from "../context";
import { respondObject } from "../respond";
import { badRequest, invalid } from "../../../shared/status-error";
import { getObject, keyOf } from "../write/store-writes";

const DEFAULT_EXPIRATION_SECONDS = 3600;
/** kube-apiserver's lower bound for spec.expirationSeconds. */
const MIN_EXPIRATION_SECONDS = 600;
/** Validation's upper bound (2^32 seconds), as kube-apiserver's. */
const MAX_VALID_EXPIRATION_SECONDS = 2 ** 32;
/** The cluster's maximum (kube-apiserver's --service-account-max-token-expiration): longer requests are cut to it. */
export const DEFAULT_MAX_TOKEN_SECONDS = 24 * 3600;

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function tokenRequestVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name } = ctx.target;
  if (!name || !namespace) {
    throw badRequest("token requests are served only on serviceaccounts/{name}/token");
  }
  const account = await getObject(ctx, def, keyOf(def, namespace, name)); // 404 for a ServiceAccount that does not exist
  const body = await readObjectBody(ctx);
  const spec = (body.spec ?? {}) as { expirationSeconds?: unknown; audiences?: unknown };
  const seconds = spec.expirationSeconds === undefined ? DEFAULT_EXPIRATION_SECONDS : spec.expirationSeconds;
  const tokenRef = { group: "authentication.k8s.io", resource: "tokenrequests", kind: "TokenRequest" };
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < MIN_EXPIRATION_SECONDS) {
    throw invalid(tokenRef, name, [{ reason: "FieldValueInvalid", field: "spec.expirationSeconds", message: `Invalid value: ${JSON.stringify(seconds)}: may not specify a duration less than 10 minutes` }]);
  }
  if (seconds > MAX_VALID_EXPIRATION_SECONDS) {
    throw invalid(tokenRef, name, [{ reason: "FieldValueInvalid", field: "spec.expirationSeconds", message: `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds` }]);
  }
  // Cut to the cluster's maximum, and never past the requester's own token: a token cannot
  // outlive (and so extend) the credential that asked for it.
  const configured = Number(ctx.env.SERVICE_ACCOUNT_MAX_TOKEN_SECONDS);
  const clusterMaxMs = (Number.isInteger(configured) && configured >= MIN_EXPIRATION_SECONDS ? configured : DEFAULT_MAX_TOKEN_SECONDS) * 1000;
  const requesterLeftMs = ctx.principal.expiresAt ? ctx.principal.expiresAt - ctx.now.getTime() : Number.POSITIVE_INFINITY;
  const lifetimeMs = Math.max(0, Math.min(seconds * 1000, clusterMaxMs, requesterLeftMs));
  const granted = Math.floor(lifetimeMs / 1000);
  const token = randomToken();
  const expiresAt = ctx.now.getTime() + granted * 1000;
  await ctx.store.putToken({
    hash: await sha256Hex(token),
    user: `system:serviceaccount:${namespace}:${name}`,
    kind: "serviceaccount",
    scope: namespace,
    expiresAt,
    // Bound to this ServiceAccount: deleting it (or replacing it under the same name) voids the token.
    boundUid: account.value.metadata.uid ?? null,
  });
  return respondObject(
    ctx,
    {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name, namespace, creationTimestamp: null },
      spec: {
        audiences: Array.isArray(spec.audiences) ? spec.audiences : ["https://kubernetes.default.svc.cluster.local"],
        expirationSeconds: granted,
        boundObjectRef: null,
      },
      status: { token, expirationTimestamp: timestamp(new Date(expiresAt)) },
    },
    201,
  );
}
