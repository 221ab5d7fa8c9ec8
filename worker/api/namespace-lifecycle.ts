// NamespaceLifecycle admission: new content only in a namespace that exists and is not
// terminating. Like kube-apiserver's plugin, it reads namespaces from a cache (here per isolate,
// a second at most), since every create would otherwise read its Namespace from the store; a
// namespace written through this isolate leaves the cache at once, so a delete here is seen by
// the next create here. The kind name is spelled here on purpose: this caches the Namespace kind
// itself, whatever kind is being written.
import type { ResourceDef } from "../resources/types";
import type { ObjectKey, Store, StoredObject } from "../store/types";
import { notFound, StatusError } from "../../shared/status-error";

/** How long a looked-up namespace is trusted (upstream's informer lags by about as much). */
export const NAMESPACE_CACHE_TTL_MS = 1_000;
const NAMESPACE_CACHE_MAX = 1_000;
const NAMESPACES = { group: "", resource: "namespaces" } as const;

const cache = new Map<string, { namespace: StoredObject | null; until: number }>();

async function lookUp(store: Store, name: string, now: number): Promise<StoredObject | null> {
  const hit = cache.get(name);
  if (hit && hit.until > now) return hit.namespace;
  const namespace = await store.get({ ...NAMESPACES, namespace: "", name });
  // Only a usable namespace is kept: a missing or terminating one is asked for again each time.
  if (namespace && !namespace.value.metadata.deletionTimestamp) {
    if (cache.size >= NAMESPACE_CACHE_MAX) cache.clear();
    cache.set(name, { namespace, until: now + NAMESPACE_CACHE_TTL_MS });
  }
  return namespace;
}

/** A write of `key` went through this isolate: a cached namespace of that name is stale. */
export function noteWritten(key: Pick<ObjectKey, "group" | "resource" | "name">): void {
  if (key.group === NAMESPACES.group && key.resource === NAMESPACES.resource) cache.delete(key.name);
}

export async function requireActiveNamespace(ctx: { store: Store }, def: ResourceDef, namespace: string | undefined, name = "", now = Date.now()): Promise<void> {
  if (!def.namespaced || !namespace) return;
  const ns = await lookUp(ctx.store, namespace, now);
  if (!ns) throw notFound(NAMESPACES, namespace);
  if (ns.value.metadata.deletionTimestamp) {
    throw new StatusError(
      403,
      "Forbidden",
      `${def.plural} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      { group: def.group, kind: def.plural, causes: [{ reason: "NamespaceTerminating", message: `namespace ${namespace} is being terminated`, field: "metadata.namespace" }] },
    );
  }
}
