// The RBAC policy as the authorizer reads it: every Role, ClusterRole and binding, loaded in one
// go and kept per isolate and store for POLICY_CACHE_MS (kube-apiserver's RBAC authorizer reads
// informer caches that lag about as much). A policy write through this isolate drops it at once.
import type { KubeObject } from "../../resources/types";
import type { ObjectKey, Store } from "../../store/types";
import { RBAC_GROUP } from "../../resources/rbac/roles";
import type { PolicySnapshot } from "./evaluate";

export const POLICY_CACHE_MS = 1_000;

// Values, never promises: workerd does not let one request await I/O another request started.
const caches = new WeakMap<Store, { snapshot: PolicySnapshot; until: number; writes: number }>();
/** Policy writes through this isolate; a snapshot read before the latest one is not used. */
let policyWrites = 0;

/** A write of `key` went through this isolate: a cached policy may be stale. */
export function notePolicyWritten(key: Pick<ObjectKey, "group">): void {
  if (key.group === RBAC_GROUP) policyWrites++;
}

async function load(store: Store): Promise<PolicySnapshot> {
  const all = async (resource: string) => (await store.list(RBAC_GROUP, resource)).items.map((i) => i.value);
  const [clusterRoles, roles, clusterRoleBindings, roleBindings] = await Promise.all([
    all("clusterroles"),
    all("roles"),
    all("clusterrolebindings"),
    all("rolebindings"),
  ]);
  const byNamespace = <T>(items: KubeObject[], add: (map: Map<string, T>, item: KubeObject) => void) => {
    const map = new Map<string, T>();
    for (const item of items) add(map, item);
    return map;
  };
  return {
    clusterRoles: new Map(clusterRoles.map((r) => [r.metadata.name ?? "", r])),
    roles: byNamespace<Map<string, KubeObject>>(roles, (map, r) => {
      const ns = r.metadata.namespace ?? "";
      if (!map.has(ns)) map.set(ns, new Map());
      map.get(ns)!.set(r.metadata.name ?? "", r);
    }),
    clusterRoleBindings,
    roleBindings: byNamespace<KubeObject[]>(roleBindings, (map, b) => {
      const ns = b.metadata.namespace ?? "";
      if (!map.has(ns)) map.set(ns, []);
      map.get(ns)!.push(b);
    }),
  };
}

export async function policyOf(store: Store, now = Date.now()): Promise<PolicySnapshot> {
  const hit = caches.get(store);
  if (hit && hit.until > now && hit.writes === policyWrites) return hit.snapshot;
  const writes = policyWrites;
  const snapshot = await load(store);
  // A load that raced a policy write here is used once, not kept.
  if (writes === policyWrites) caches.set(store, { snapshot, until: now + POLICY_CACHE_MS, writes });
  return snapshot;
}
