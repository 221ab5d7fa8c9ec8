// The garbage collector (pkg/controller/garbagecollector) as one pass over the ownership graph:
// background deletion of dependents whose owners are all gone, foreground deletion
// (foregroundDeletion finalizer) and orphaning (orphan finalizer).
import type { KubeObject, OwnerReference } from "../resources/types";
import { isDeleting, KNOWN_KINDS } from "./cluster-util";
import type { Action, Controller, ResourceRef, Snapshot } from "./types";

export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";

interface Node {
  ref: ResourceRef;
  object: KubeObject;
  namespaced: boolean;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

const KNOWN = new Set(KNOWN_KINDS.map((k) => `${k.ref.group}/${k.kind}`));

type OwnerState = "present" | "absent" | "deleting" | "foreground" | "unknown";

function withoutOwners(obj: KubeObject, uids: ReadonlySet<string>): KubeObject {
  const { ownerReferences: refs, ...rest } = obj.metadata;
  const ownerReferences = (refs ?? []).filter((r) => !uids.has(r.uid));
  return { ...obj, metadata: ownerReferences.length ? { ...rest, ownerReferences } : rest };
}

function withoutFinalizer(obj: KubeObject, finalizer: string): KubeObject {
  const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return { ...obj, metadata: { ...obj.metadata, finalizers } };
}

function deleteAction(n: Node, policy: "Background" | "Foreground"): Action {
  return { type: "delete", ref: n.ref, namespace: n.object.metadata.namespace, name: n.object.metadata.name ?? "", uid: n.object.metadata.uid, propagationPolicy: policy };
}

export function collectGarbage(snapshot: Snapshot): Action[] {
  const byUid = new Map<string, Node>();
  const all: Node[] = [];
  for (const k of KNOWN_KINDS) {
    for (const object of snapshot.list(k.ref)) {
      const n = { ref: k.ref, object, namespaced: k.namespaced };
      all.push(n);
      if (object.metadata.uid) byUid.set(object.metadata.uid, n);
    }
  }

  const ownerState = (dependent: Node, r: OwnerReference): OwnerState => {
    // A kind we do not cache (a CRD, a Job) is never judged gone: we cannot see it.
    if (!KNOWN.has(`${groupOf(r.apiVersion)}/${r.kind}`)) return "unknown";
    const owner = byUid.get(r.uid);
    // attemptToDeleteItem: an owner of another name or namespace is not this reference's owner.
    if (!owner || owner.object.metadata.name !== r.name) return "absent";
    if (owner.namespaced && owner.object.metadata.namespace !== dependent.object.metadata.namespace) return "absent";
    if (!isDeleting(owner.object)) return "present";
    return owner.object.metadata.finalizers?.includes(FOREGROUND_FINALIZER) ? "foreground" : "deleting";
  };

  const actions: Action[] = [];
  for (const dep of all) {
    const refs = dep.object.metadata.ownerReferences ?? [];
    if (refs.length === 0 || isDeleting(dep.object)) continue;
    const states = refs.map((r) => ownerState(dep, r));
    if (states.every((s) => s === "absent")) {
      actions.push(deleteAction(dep, "Background"));
    } else if (states.every((s) => s === "absent" || s === "foreground")) {
      // Every owner left is being deleted in the foreground: so is this dependent.
      actions.push(deleteAction(dep, "Foreground"));
    } else if (states.some((s) => s === "absent" || s === "foreground")) {
      // A live owner remains: only drop the references to owners that are gone or going.
      const drop = new Set(refs.filter((_, i) => states[i] === "absent" || states[i] === "foreground").map((r) => r.uid));
      actions.push({ type: "update", ref: dep.ref, object: withoutOwners(dep.object, drop) });
    }
  }
  // Blocking dependents first: their owners wait on them (blockOwnerDeletion).
  const blocking = (a: Action) => (a.type === "delete" && a.propagationPolicy === "Foreground" ? 0 : 1);
  actions.sort((a, b) => blocking(a) - blocking(b));

  for (const owner of all) {
    if (!isDeleting(owner.object)) continue;
    const finalizers = owner.object.metadata.finalizers ?? [];
    const uid = owner.object.metadata.uid ?? "";
    const dependents = snapshot.ownedBy(uid);
    if (finalizers.includes(ORPHAN_FINALIZER)) {
      for (const d of dependents) actions.push({ type: "update", ref: d.ref, object: withoutOwners(d.object, new Set([uid])) });
      // The finalizer goes only once no dependent points here, on a later pass, so a failed
      // dependent update can never leave a dependent that background deletion would then remove.
      if (dependents.length === 0) actions.push({ type: "update", ref: owner.ref, object: withoutFinalizer(owner.object, ORPHAN_FINALIZER) });
    } else if (finalizers.includes(FOREGROUND_FINALIZER)) {
      const blockers = dependents.filter((d) => d.object.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
      if (blockers.length === 0) actions.push({ type: "update", ref: owner.ref, object: withoutFinalizer(owner.object, FOREGROUND_FINALIZER) });
    }
  }
  return actions;
}

export const garbageCollectorController: Controller = {
  name: "garbage-collector",
  watches: KNOWN_KINDS.map((k) => k.ref),
  reconcile: (snapshot) => ({ actions: collectGarbage(snapshot) }),
};
