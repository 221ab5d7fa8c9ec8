// POST /edgeplane/v1/reencrypt: every stored Secret sealed again under the first key of
// SECRETS_ENCRYPTION_KEY, in place, as the step of a key rotation that kube-apiserver's users
// do with `kubectl get secrets -A -o json | kubectl replace -f -` (our writes skip a no-op
// replace, so that would not reseal). Only system:masters.
import { StatusError } from "../../shared/status-error";
import type { Store } from "../store/types";
import type { Principal } from "./access";
import { inSystemMasters } from "./auth";

export async function reencryptResponse(store: Store, principal: Principal, keyConfigured: boolean): Promise<Response> {
  if (!inSystemMasters(principal)) {
    throw new StatusError(403, "Forbidden", `forbidden: User "${principal.user}" cannot post path "/edgeplane/v1/reencrypt": only system:masters may reseal Secrets`);
  }
  if (!keyConfigured) throw new StatusError(400, "BadRequest", "SECRETS_ENCRYPTION_KEY is not set: there is no key to seal Secrets with");
  const rewritten = await store.reencrypt();
  return Response.json({ kind: "ReencryptResult", apiVersion: "edgeplane.dev/v1", ...rewritten });
}
