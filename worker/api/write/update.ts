// Update: the new state of an object goes through the kind's update strategy, validation,
// admission and managedFields, then one compare-and-swap. commitUpdate is the common tail of PUT,
// PATCH, /scale and /finalize; replaceObject is PUT's semantics for verbs and controllers alike.
import type { KubeObject, ResourceDef } from "../../resources/types";
import { deepEqual } from "../../../shared/deep-equal";
import { admit } from "../admission-plugins";
import type { WriteContext } from "./context";
import { admitNew } from "./create";
import { createRaceLost, guaranteedUpdate } from "./guaranteed-update";
import { recordManagedFields } from "../managed";
import { keepSystemMeta } from "../object-meta";
import { badRequest, conflict, notFound } from "../../../shared/status-error";
import { validateObject } from "../validate";
import { createObject, deleteObject, keyOf, readObject, revisionOf, updateObject } from "./store-writes";

export interface UpdateOptions {
  manager: string;
  subresource?: string;
  /** PATCH computed `next` from the live object and holds its revision; PUT reads it from the body. */
  expectedRevision?: number;
  operation?: "Apply" | "Update";
  /** Apply already computed managedFields. */
  managedFieldsDone?: boolean;
}

/** What an update comes to: nothing (a no-op, or a dry run), a write, or the delete it completes. */
export type PreparedUpdate =
  | { outcome: "unchanged"; object: KubeObject }
  | { outcome: "update"; object: KubeObject; expectedRevision: number }
  | { outcome: "delete"; object: KubeObject; expectedRevision: number };

/**
 * `next` as the new state of `old`, through the update strategy, validation, admission and
 * managedFields, and what writing it means. Status-only writes keep the rest of the object;
 * main-resource writes keep status when the kind has a status subresource. Writes nothing.
 */
export async function prepareUpdate(ctx: WriteContext, def: ResourceDef, old: KubeObject, next: KubeObject, options: UpdateOptions): Promise<PreparedUpdate> {
  // A uid in the body is a precondition (kube-apiserver's UID check): a writer that still holds
  // a deleted object cannot overwrite a new one of the same name (a StatefulSet's web-0).
  const uid = next.metadata.uid;
  if (uid && old.metadata.uid && uid !== old.metadata.uid) {
    throw conflict({ group: def.group, resource: def.plural }, old.metadata.name ?? "", `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${old.metadata.uid}`);
  }
  let candidate: KubeObject;
  if (options.subresource === "status") {
    candidate = { ...old, status: next.status, metadata: { ...old.metadata } };
    if (next.status === undefined) delete candidate.status;
  } else if (options.subresource === "finalize") {
    candidate = { ...old, spec: next.spec, metadata: { ...old.metadata } };
  } else {
    candidate = { ...next, metadata: { ...next.metadata } };
    keepSystemMeta(def, candidate, old);
    if (def.subresources.status) {
      if (old.status === undefined) delete candidate.status;
      else candidate.status = old.status;
    }
    def.prepareForUpdate?.(candidate, old, { now: ctx.now, user: ctx.principal.user });
  }
  const obj = validateObject(def, candidate, old);
  await admit(ctx, def, obj, old, options.subresource);
  if (!options.managedFieldsDone) {
    recordManagedFields(def, old, obj, {
      manager: options.manager,
      operation: options.operation ?? "Update",
      now: ctx.now,
      subresource: options.subresource,
    });
  }
  const expected = options.expectedRevision ?? Number(old.metadata.resourceVersion);
  const oldRevision = Number(old.metadata.resourceVersion);
  if (ctx.dryRun) return { outcome: "unchanged", object: { ...obj, metadata: { ...obj.metadata, resourceVersion: old.metadata.resourceVersion } } };

  // A no-op write keeps the resourceVersion, as kube-apiserver does (no event either).
  const unchanged = { ...obj, metadata: { ...obj.metadata, resourceVersion: old.metadata.resourceVersion } };
  if (expected === oldRevision && deepEqual(unchanged, old)) return { outcome: "unchanged", object: old };

  // The last finalizer removed from an object being deleted completes the delete (for a
  // namespace, its spec.finalizers too: those are removed through /finalize), unless a graceful
  // deletion is still pending: then the pod's node deletes it once its containers have stopped
  // (kube-apiserver's ShouldDeleteDuringUpdate).
  const specFinalizers = def.specFinalizers?.(obj) ?? [];
  const gracePending = (old.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0 && specFinalizers.length === 0 && !gracePending) {
    return { outcome: "delete", object: obj, expectedRevision: expected };
  }
  return { outcome: "update", object: obj, expectedRevision: expected };
}

/** Validates and stores `next` as the new state of `old` (prepareUpdate, then its write). */
export async function commitUpdate(ctx: WriteContext, def: ResourceDef, old: KubeObject, next: KubeObject, options: UpdateOptions): Promise<KubeObject> {
  const prepared = await prepareUpdate(ctx, def, old, next, options);
  switch (prepared.outcome) {
    case "unchanged":
      return prepared.object;
    case "delete":
      return deleteObject(ctx, def, keyOf(def, prepared.object.metadata.namespace, prepared.object.metadata.name ?? ""), prepared.expectedRevision);
    case "update":
      return updateObject(ctx, def, prepared.object, prepared.expectedRevision, old);
  }
}

export interface ReplaceOptions {
  manager: string;
  /** "status" or "finalize": only that part of the object changes. */
  subresource?: string;
  /** A missing object is created (the kind's AllowCreateOnUpdate, for the main resource only). */
  allowCreate?: boolean;
  /** Throws unless the writer may create (a PUT that creates is authorized as a create too). */
  authorizeCreate?: () => Promise<void>;
}

/**
 * PUT: `input` replaces the stored object of its name. Its resourceVersion, when set, is a
 * precondition (a stale one is a 409); without one, a write that lost the race is redone on
 * the new state (GuaranteedUpdate). Returns what was stored and whether it was a create.
 */
export async function replaceObject(ctx: WriteContext, def: ResourceDef, input: KubeObject, options: ReplaceOptions): Promise<{ object: KubeObject; created: boolean }> {
  const name = input.metadata.name ?? "";
  const ref = { group: def.group, resource: def.plural };
  const key = keyOf(def, input.metadata.namespace, name);
  const wanted = revisionOf(input);
  if (wanted === -1) throw badRequest(`metadata.resourceVersion: Invalid value: "${input.metadata.resourceVersion}": must be a positive integer`);
  return guaranteedUpdate(async () => {
    const stored = await readObject(ctx, def, key);
    if (!stored) {
      if (!options.allowCreate) throw notFound(ref, name);
      await options.authorizeCreate?.();
      const obj = await admitNew(ctx, def, structuredClone(input), options.manager, input.metadata.namespace);
      return { object: ctx.dryRun ? obj : await createObject(ctx, def, obj).catch(createRaceLost), created: true };
    }
    if (wanted !== undefined && wanted !== stored.revision) throw conflict(ref, name);
    const object = await commitUpdate(ctx, def, stored.value, structuredClone(input), {
      manager: options.manager,
      subresource: options.subresource,
      expectedRevision: stored.revision,
    });
    return { object, created: false };
  }, wanted === undefined);
}
