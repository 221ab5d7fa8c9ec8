// The garbage collector (pkg/controller/garbagecollector) over the ownership graph: background
// deletion of dependents whose owners are all gone, foreground deletion (foregroundDeletion
// finalizer) and orphaning (orphan finalizer); each pass looks only at what changed since the last.
import type { KubeObject, OwnerReference } from "../resources/types";
import { isDeleting } from "./controller-util";
import type { Action, CacheChange, Controller, KindInfo, ResourceRef, Snapshot } from "./types";

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

type OwnerState = "present" | "absent" | "deleting" | "foreground" | "unknown";

function withoutOwners(obj: KubeObject, uids: ReadonlySet<string>): KubeObject {
  const { ownerReferences: refs, ...rest } = obj.metadata;
  const ownerReferences = (refs ?? []).filter((r) => !uids.has(r.uid));
  return { ...obj, metadata: ownerReferences.length ? { ...rest, ownerReferences } : rest };
}

/** The object without `finalizer`; an emptied list is left out, as kube-apiserver stores it. */
function withoutFinalizer(obj: KubeObject, finalizer: string): KubeObject {
  const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  const { finalizers: _old, ...metadata } = obj.metadata;
  return { ...obj, metadata: finalizers.length > 0 ? { ...metadata, finalizers } : metadata };
}

function deleteAction(n: Node, policy: "Background" | "Foreground"): Action {
  return { type: "delete", ref: n.ref, namespace: n.object.metadata.namespace, name: n.object.metadata.name ?? "", uid: n.object.metadata.uid, propagationPolicy: policy };
}

/** Owner lookup by uid: the informer's index, or one built from the lists (plain snapshots, full passes). */
type UidLookup = (uid: string) => { ref: ResourceRef; object: KubeObject } | undefined;

function lookupFromLists(snapshot: Snapshot, kinds: readonly KindInfo[]): UidLookup {
  const byUid = new Map<string, { ref: ResourceRef; object: KubeObject }>();
  for (const k of kinds) for (const object of snapshot.list(k.ref)) if (object.metadata.uid) byUid.set(object.metadata.uid, { ref: k.ref, object });
  return (uid) => byUid.get(uid);
}


/**
 * The objects a set of changes can affect, in change order: as dependents, each changed object
 * and every dependent of a changed owner (its uid gone, renamed, now deleting); as owners, each
 * changed object and every owner a changed dependent names, before or after (a dependent that
 * left may have been the last one a foreground or orphan owner waited on).
 */
function affected(snapshot: Snapshot, lookup: UidLookup, changes: readonly CacheChange[], nodeOf: (entry: { ref: ResourceRef; object: KubeObject }) => Node): { dependents: Node[]; owners: Node[] } {
  const dependents = new Map<string, Node>();
  const owners = new Map<string, Node>();
  const addDependent = (e: { ref: ResourceRef; object: KubeObject }) => {
    const uid = e.object.metadata.uid;
    if (uid && !dependents.has(uid) && e.object.metadata.ownerReferences?.length) dependents.set(uid, nodeOf(e));
  };
  const addOwner = (uid: string) => {
    if (owners.has(uid)) return;
    const e = lookup(uid);
    if (e && isDeleting(e.object)) owners.set(uid, nodeOf(e));
  };
  for (const c of changes) {
    if (c.current) addDependent({ ref: c.ref, object: c.current });
    for (const o of [c.previous, c.current]) {
      const uid = o?.metadata.uid;
      if (!o || !uid) continue;
      for (const d of snapshot.ownedBy(uid)) addDependent(d);
      addOwner(uid);
      for (const r of o.metadata.ownerReferences ?? []) addOwner(r.uid);
    }
  }
  return { dependents: [...dependents.values()], owners: [...owners.values()] };
}

/**
 * One pass of the collector. With `changes` it looks only at what they can affect (the loop's
 * informer journal); without, at every cached object (the first pass and the periodic resync).
 */
export function collectGarbage(snapshot: Snapshot, kinds: readonly KindInfo[], changes?: readonly CacheChange[], lookupByUid?: UidLookup): Action[] {
  const known = new Set(kinds.map((k) => `${k.ref.group}/${k.kind}`));
  const namespaced = new Set(kinds.filter((k) => k.namespaced).map((k) => `${k.ref.group}/${k.ref.resource}`));
  const nodeOf = (entry: { ref: ResourceRef; object: KubeObject }): Node => ({ ...entry, namespaced: namespaced.has(`${entry.ref.group}/${entry.ref.resource}`) });
  const lookup = lookupByUid ?? lookupFromLists(snapshot, kinds);
  let dependents: Node[];
  let owners: Node[];
  if (changes) {
    ({ dependents, owners } = affected(snapshot, lookup, changes, nodeOf));
  } else {
    const all = kinds.flatMap((k) => snapshot.list(k.ref).map((object) => ({ ref: k.ref, object, namespaced: k.namespaced })));
    dependents = all;
    owners = all;
  }

  const ownerState = (dependent: Node, r: OwnerReference): OwnerState => {
    // A kind we do not cache (a CRD, a Job) is never judged gone: we cannot see it.
    if (!known.has(`${groupOf(r.apiVersion)}/${r.kind}`)) return "unknown";
    const found = lookup(r.uid);
    const owner = found && nodeOf(found);
    // attemptToDeleteItem: an owner of another name or namespace is not this reference's owner.
    if (!owner || owner.object.metadata.name !== r.name) return "absent";
    if (owner.namespaced && owner.object.metadata.namespace !== dependent.object.metadata.namespace) return "absent";
    if (!isDeleting(owner.object)) return "present";
    return owner.object.metadata.finalizers?.includes(FOREGROUND_FINALIZER) ? "foreground" : "deleting";
  };

  const actions: Action[] = [];
  for (const dep of dependents) {
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
      actions.push({ type: "update", ref: dep.ref, object: withoutOwners(dep.object, drop), metadataOnly: true });
    }
  }
  // Blocking dependents first: their owners wait on them (blockOwnerDeletion).
  const blocking = (a: Action) => (a.type === "delete" && a.propagationPolicy === "Foreground" ? 0 : 1);
  actions.sort((a, b) => blocking(a) - blocking(b));

  for (const owner of owners) {
    if (!isDeleting(owner.object)) continue;
    const finalizers = owner.object.metadata.finalizers ?? [];
    const uid = owner.object.metadata.uid ?? "";
    const dependentsOf = snapshot.ownedBy(uid);
    if (finalizers.includes(ORPHAN_FINALIZER)) {
      for (const d of dependentsOf) actions.push({ type: "update", ref: d.ref, object: withoutOwners(d.object, new Set([uid])), metadataOnly: true });
      // The finalizer goes only once no dependent points here, on a later pass, so a failed
      // dependent update can never leave a dependent that background deletion would then remove.
      if (dependentsOf.length === 0) actions.push({ type: "update", ref: owner.ref, object: withoutFinalizer(owner.object, ORPHAN_FINALIZER), metadataOnly: true });
    } else if (finalizers.includes(FOREGROUND_FINALIZER)) {
      const blockers = dependentsOf.filter((d) => d.object.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
      if (blockers.length === 0) actions.push({ type: "update", ref: owner.ref, object: withoutFinalizer(owner.object, FOREGROUND_FINALIZER), metadataOnly: true });
    }
  }
  return actions;
}

export const GARBAGE_COLLECTOR = "garbage-collector";

export const garbageCollectorController: Controller = {
  name: GARBAGE_COLLECTOR,
  watches: "every kind",
  incremental: true,
  reconcile: ({ snapshot, changes, kinds }) => {
    const lookup: UidLookup | undefined = snapshot.byUid ? (uid) => snapshot.byUid!(uid) : undefined;
    return { actions: collectGarbage(snapshot, kinds, changes === "all" ? undefined : changes, lookup) };
  },
};
