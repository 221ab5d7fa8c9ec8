// POST serviceaccounts/{name}/token (TokenRequest, what `kubectl create token` calls):
// mints a bearer token bound to that service account's namespace, stored only as a hash.
import { timestamp } from "../../../shared/time";
import { readObjectBody } from "../body";
import { sha256Hex } from "../auth";
import type { ApiContext } from "../context";
import { respondObject } from "../respond";
import { badRequest, invalid } from "../../../shared/status-error";
import { getObject, keyOf } from "../write/store-writes";

const DEFAULT_EXPIRATION_SECONDS = 3600;
/** kube-apiserver's lower bound for spec.expirationSeconds. */
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 365 * 24 * 3600;

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function tokenRequestVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name } = ctx.target;
  if (!name || !namespace) {
    throw badRequest("token requests are served only on serviceaccounts/{name}/token");
  }
  await getObject(ctx, def, keyOf(def, namespace, name)); // 404 for a ServiceAccount that does not exist
  const body = await readObjectBody(ctx);
  const spec = (body.spec ?? {}) as { expirationSeconds?: unknown; audiences?: unknown };
  const seconds = spec.expirationSeconds === undefined ? DEFAULT_EXPIRATION_SECONDS : spec.expirationSeconds;
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < MIN_EXPIRATION_SECONDS || seconds > MAX_EXPIRATION_SECONDS) {
    throw invalid({ group: "authentication.k8s.io", resource: "tokenrequests", kind: "TokenRequest" }, name, [
      { reason: "FieldValueInvalid", field: "spec.expirationSeconds", message: `Invalid value: ${JSON.stringify(seconds)}: may not specify a duration less than 10 minutes` },
    ]);
  }
  const token = randomToken();
  const expiresAt = ctx.now.getTime() + seconds * 1000;
  await ctx.store.putToken({
    hash: await sha256Hex(token),
    user: `system:serviceaccount:${namespace}:${name}`,
    kind: "serviceaccount",
    scope: namespace,
    expiresAt,
  });
  return respondObject(
    ctx,
    {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name, namespace, creationTimestamp: null },
      spec: {
        audiences: Array.isArray(spec.audiences) ? spec.audiences : ["https://kubernetes.default.svc.cluster.local"],
        expirationSeconds: seconds,
        boundObjectRef: null,
      },
      status: { token, expirationTimestamp: timestamp(new Date(expiresAt)) },
    },
    201,
  );
}
