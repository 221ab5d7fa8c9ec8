// Impersonation (`kubectl --as`, `--as-group`, `--as-uid`), as kube-apiserver's filter does it:
// the requester must be allowed the `impersonate` verb on each user, group and uid it names; the
// request then runs as that subject, authorized as it would be.
import type { Store } from "../store/types";
import type { Principal } from "./access";
import { mayAccess, principalFor } from "./auth";
import { badRequest, forbidden } from "../../shared/status-error";

/** Fetch joins repeated headers with ", ": kubectl sends one Impersonate-Group line per group. */
function headerList(request: Request, name: string): string[] {
  return (request.headers.get(name) ?? "").split(",").map((v) => v.trim()).filter(Boolean);
}

export async function impersonate(request: Request, store: Store, requester: Principal): Promise<Principal> {
  const user = request.headers.get("impersonate-user")?.trim();
  const groups = headerList(request, "impersonate-group");
  const uid = request.headers.get("impersonate-uid")?.trim();
  if (!user) {
    if (groups.length > 0 || uid) throw badRequest("requested impersonation of groups or uid without impersonating a user");
    return requester;
  }
  const check = async (resource: string, name: string, group = "", namespace?: string) => {
    if (!(await mayAccess(store, requester, { verb: "impersonate", group, resource, name, namespace }))) {
      throw forbidden(requester.user, "impersonate", { group, resource }, namespace, name);
    }
  };
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
  if (account) await check("serviceaccounts", account[2]!, "", account[1]);
  else await check("users", user);
  for (const group of groups) await check("groups", group);
  if (uid) await check("uids", uid, "authentication.k8s.io");
  // The impersonated subject lives no longer than the credential behind it (TokenRequest caps on it).
  return { ...principalFor(user, groups), expiresAt: requester.expiresAt ?? null };
}
