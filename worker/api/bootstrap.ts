// The objects a cluster has from its first moment: the four system namespaces
// (default, kube-system, kube-public, kube-node-lease). Checked once per isolate.
import { resourceByPlural } from "../resources/registry";
import type { KubeObject } from "../resources/types";
import type { Store } from "../store/types";
import { StoreError } from "../store/types";
import { timestamp } from "./context";
import { validateObject } from "./validate";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

let bootstrapped: Promise<void> | undefined;

async function ensureNamespaces(store: Store, now: Date): Promise<void> {
  const def = resourceByPlural("", "namespaces");
  if (!def) return;
  for (const name of SYSTEM_NAMESPACES) {
    const key = { group: "", resource: "namespaces", namespace: "", name };
    if (await store.get(key)) continue;
    const obj: KubeObject = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, uid: crypto.randomUUID(), creationTimestamp: timestamp(now), generation: 1 },
    };
    def.prepareForCreate?.(obj, { now, user: "system:apiserver" });
    try {
      await store.create(key, validateObject(def, obj));
    } catch (e) {
      if (!(e instanceof StoreError && e.code === "AlreadyExists")) throw e;
    }
  }
}

/** Idempotent and cheap after the first call in an isolate. */
export function ensureBootstrapped(store: Store, now = new Date()): Promise<void> {
  bootstrapped ??= ensureNamespaces(store, now).catch((e) => {
    bootstrapped = undefined;
    throw e;
  });
  return bootstrapped;
}
