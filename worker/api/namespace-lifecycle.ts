// NamespaceLifecycle admission: new content only in a namespace that exists and is not
// terminating. Like kube-apiserver's plugin, it reads namespaces from a cache (here per isolate
// and store, a second at most), since every create would otherwise read its Namespace from the
// store. A namespace written through this isolate leaves the cache at once, so a delete here is
// seen by the next create here; another isolate may admit content for up to
// NAMESPACE_ADMISSION_CACHE_MS more (upstream's informer lags by about as much), which is why the namespace controller finalizes a namespace only once that has passed
// (worker/controllers/namespace.ts). The kind name is spelled here on purpose: this caches the
// Namespace kind itself, whatever kind is being written.
import type { ResourceDef } from "../resources/types";
import type { ObjectKey, Store, StoredObject } from "../store/types";
import { notFound, StatusError } from "../../shared/status-error";

import { NAMESPACE_ADMISSION_CACHE_MS } from "../resources/core/namespace";
const NAMESPACE_CACHE_MAX = 1_000;
const NAMESPACES = { group: "", resource: "namespaces" } as const;

const caches = new WeakMap<Store, Map<string, { namespace: StoredObject; until: number; writes: number }>>();
/**
 * Counts namespace writes through this isolate. An entry is good only while the count is the
 * one it was looked up under: any namespace write here drops them all (such writes are rare), and
 * a lookup that raced one is not trusted.
 */
let namespaceWrites = 0;

async function lookUp(store: Store, name: string, now: number): Promise<StoredObject | null> {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new Map()));
  const hit = cache.get(name);
  if (hit && hit.until > now && hit.writes === namespaceWrites) return hit.namespace;
  const writesBefore = namespaceWrites;
  const namespace = await store.get({ ...NAMESPACES, namespace: "", name });
  // Only a usable namespace is kept: a missing or terminating one is asked for again each time.
  if (namespace && !namespace.value.metadata.deletionTimestamp && namespaceWrites === writesBefore) {
    if (cache.size >= NAMESPACE_CACHE_MAX) cache.clear();
    cache.set(name, { namespace, until: now + NAMESPACE_ADMISSION_CACHE_MS, writes: writesBefore });
  }
  return namespace;
}

/** A write of `key` went through this isolate: a cached namespace of that name is stale. */
export function noteWritten(key: Pick<ObjectKey, "group" | "resource" | "name">): void {
  if (key.group === NAMESPACES.group && key.resource === NAMESPACES.resource) namespaceWrites++;
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

/** The namespace as the admission cache holds it (a second old at most), or null when missing. */
export async function cachedNamespace(store: Store, name: string, now = Date.now()): Promise<StoredObject | null> {
  return lookUp(store, name, now);
}
