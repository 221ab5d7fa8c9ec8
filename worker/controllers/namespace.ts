// The namespace controller (pkg/controller/namespace): a deleted namespace turns Terminating,
// is emptied of every namespaced kind, then loses its `kubernetes` finalizer; active namespaces
// get their `default` ServiceAccount (the serviceaccounts controller's job upstream). Active
// namespaces are looked at only when they or their ServiceAccount changed.
import { NAMESPACE_ADMISSION_CACHE_MS } from "../resources/core/namespace";
import type { KubeObject } from "../resources/types";
import { isDeleting, NAMESPACES, SERVICE_ACCOUNTS } from "./controller-util";
import { rec, strings } from "../../shared/json";
import type { Action, CacheChange, Controller, ControllerConfig, KindInfo, Snapshot } from "./types";

export const KUBERNETES_FINALIZER = "kubernetes";
/** While objects with finalizers of their own linger, look again this often. */
const CONTENT_RECHECK_MS = 5_000;

function emptyNamespace(snapshot: Snapshot, kinds: readonly KindInfo[], ns: KubeObject, actions: Action[]): number {
  const name = ns.metadata.name ?? "";
  let remaining = 0;
  for (const k of kinds) {
    if (!k.namespaced) continue;
    for (const o of snapshot.list(k.ref, name)) {
      remaining++;
      if (isDeleting(o)) continue;
      actions.push({ type: "delete", ref: k.ref, namespace: name, name: o.metadata.name ?? "", uid: o.metadata.uid, propagationPolicy: "Background" });
    }
  }
  return remaining;
}

/**
 * The namespaces a set of changes can concern: a changed namespace, and the namespace of a
 * changed `default` ServiceAccount. Terminating namespaces are always looked at (they are few,
 * and their content is read through the per-namespace index), since what they wait for is the
 * deletion of objects of any kind in them.
 */
function touchedNamespaces(changes: readonly CacheChange[]): Set<string> {
  const names = new Set<string>();
  for (const c of changes) {
    const o = c.current ?? c.previous;
    if (!o) continue;
    if (c.ref.group === NAMESPACES.group && c.ref.resource === NAMESPACES.resource) names.add(o.metadata.name ?? "");
    else if (c.ref.group === SERVICE_ACCOUNTS.group && c.ref.resource === SERVICE_ACCOUNTS.resource && o.metadata.name === "default") names.add(o.metadata.namespace ?? "");
  }
  return names;
}

/**
 * One pass. With `changes` (the informer's journal) active namespaces are looked at only when
 * they or their `default` ServiceAccount changed; without, every namespace is (first pass, resync).
 */
export function reconcileNamespaces(snapshot: Snapshot, kinds: readonly KindInfo[], config: ControllerConfig, now: Date, changes?: readonly CacheChange[]): { actions: Action[]; requeueAfterMs?: number } {
  const actions: Action[] = [];
  let creates = config.maxCreatesPerPass;
  let requeueAfterMs: number | undefined;
  const touched = changes && touchedNamespaces(changes);
  for (const ns of snapshot.list(NAMESPACES)) {
    const name = ns.metadata.name ?? "";
    if (!isDeleting(ns)) {
      if (touched && !touched.has(name)) continue;
      if (creates > 0 && !snapshot.get(SERVICE_ACCOUNTS, name, "default")) {
        creates--;
        actions.push({ type: "create", ref: SERVICE_ACCOUNTS, object: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: name } } });
      }
      continue;
    }
    const status = rec(ns.status);
    if (status.phase !== "Terminating") {
      // One write per object per pass: the phase first, the emptying on the next pass.
      actions.push({ type: "updateStatus", ref: NAMESPACES, object: { ...ns, status: { ...status, phase: "Terminating" } } });
      continue;
    }
    const remaining = emptyNamespace(snapshot, kinds, ns, actions);
    const finalizers = strings(rec(ns.spec).finalizers);
    // An API isolate that last saw the namespace active may admit content a moment longer.
    const lateContentUntil = Date.parse(ns.metadata.deletionTimestamp ?? "") + 2 * NAMESPACE_ADMISSION_CACHE_MS;
    if (remaining > 0) {
      requeueAfterMs = CONTENT_RECHECK_MS;
    } else if (finalizers.includes(KUBERNETES_FINALIZER) && now.getTime() < lateContentUntil) {
      requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, lateContentUntil - now.getTime());
    } else if (finalizers.includes(KUBERNETES_FINALIZER)) {
      // Through the namespace's `finalize` subresource (spec.finalizers is writable only there);
      // once metadata.finalizers is empty too, the API removes it.
      const spec = { ...rec(ns.spec), finalizers: finalizers.filter((f) => f !== KUBERNETES_FINALIZER) };
      actions.push({ type: "update", ref: NAMESPACES, object: { ...ns, spec }, subresource: "finalize" });
    }
  }
  return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
}

export const NAMESPACE_CONTROLLER = "namespace";

export const namespaceController: Controller = {
  name: NAMESPACE_CONTROLLER,
  // Namespaces, and what a terminating one waits to lose: objects of any namespaced kind.
  watches: "every kind",
  incremental: true,
  reconcile: ({ snapshot, changes, config, kinds, now }) => reconcileNamespaces(snapshot, kinds, config, now, changes === "all" ? undefined : changes),
};
