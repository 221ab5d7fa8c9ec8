// Delete: DeleteOptions' preconditions, grace periods and propagation policy, recorded as the
// finalizers the garbage collector honours. The DELETE verbs and the controller loop delete here.
import { timestamp } from "../../../shared/time";
import type { KubeObject, ResourceDef } from "../../resources/types";
import { StoreError, type ObjectKey } from "../../store/types";
import { unreadableStub } from "../../store/codec";
import { conflict, notFound } from "../../../shared/status-error";
import type { WriteContext } from "./context";
import { deleteObject, keyOf, updateObject } from "./store-writes";

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** DeleteOptions.dryRun, as kubectl delete --dry-run=server sends it (in the body, not the query). */
  dryRun?: string[];
}

const FOREGROUND_FINALIZER = "foregroundDeletion";
const ORPHAN_FINALIZER = "orphan";

/**
 * Deletes one object. Finalizers (including the ones a propagation policy adds) turn the
 * delete into setting deletionTimestamp; a pod bound to a node is left for its node to stop.
 * Returns the object and whether it is gone.
 */
export async function deleteOne(
  ctx: WriteContext,
  def: ResourceDef,
  live: KubeObject,
  options: DeleteOptions,
): Promise<{ object: KubeObject; gone: boolean }> {
  const name = live.metadata.name ?? "";
  const ref = { group: def.group, resource: def.plural };
  const pre = options.preconditions;
  if (pre?.uid && pre.uid !== live.metadata.uid) {
    throw conflict(ref, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${live.metadata.uid}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion) {
    throw conflict(ref, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${live.metadata.resourceVersion}`);
  }
  const revision = Number(live.metadata.resourceVersion);
  const finalizers = [...(live.metadata.finalizers ?? [])];
  if (options.propagationPolicy === "Foreground" && !finalizers.includes(FOREGROUND_FINALIZER)) finalizers.push(FOREGROUND_FINALIZER);
  if (options.propagationPolicy === "Orphan" && !finalizers.includes(ORPHAN_FINALIZER)) finalizers.push(ORPHAN_FINALIZER);

  // A namespace is emptied by the namespace controller first (spec.finalizers ["kubernetes"]).
  const specFinalizers = def.specFinalizers?.(live) ?? [];
  if (specFinalizers.length > 0 && !live.metadata.deletionTimestamp) {
    if (ctx.dryRun) return { object: live, gone: false };
    const next: KubeObject = {
      ...live,
      metadata: { ...live.metadata, deletionTimestamp: timestamp(ctx.now), deletionGracePeriodSeconds: 0, ...(finalizers.length ? { finalizers } : {}) },
    };
    def.markTerminating?.(next);
    return { object: await updateObject(ctx, def, next, revision), gone: false };
  }
  if (specFinalizers.length > 0) return { object: live, gone: false };
  const pending = pendingGracefulDelete(live, finalizers, options);
  if (pending) {
    if (ctx.dryRun) return { object: live, gone: pending === "now" };
    if (pending === "unchanged") return { object: live, gone: false };
    if (pending === "now") return { object: await deleteObject(ctx, def, keyOf(def, live.metadata.namespace, name), revision), gone: true };
    return { object: await updateObject(ctx, def, pending, revision), gone: false };
  }
  const gracefulSeconds = options.gracePeriodSeconds === 0 || live.metadata.deletionTimestamp ? undefined : def.checkGracefulDelete?.(live, options.gracePeriodSeconds);
  const graceful = gracefulSeconds !== undefined;
  if (ctx.dryRun) return { object: live, gone: finalizers.length === 0 && !graceful };

  if (finalizers.length > 0 || graceful) {
    const grace = gracefulSeconds ?? 0;
    if (live.metadata.deletionTimestamp && finalizers.length === (live.metadata.finalizers ?? []).length) {
      return { object: live, gone: false };
    }
    const next: KubeObject = {
      ...live,
      metadata: {
        ...live.metadata,
        finalizers: finalizers.length > 0 ? finalizers : undefined,
        deletionTimestamp: live.metadata.deletionTimestamp ?? timestamp(new Date(ctx.now.getTime() + grace * 1000)),
        deletionGracePeriodSeconds: grace,
      },
    };
    if (!next.metadata.finalizers) delete next.metadata.finalizers;
    return { object: await updateObject(ctx, def, next, revision), gone: false };
  }
  return { object: await deleteObject(ctx, def, keyOf(def, live.metadata.namespace, name), revision), gone: true };
}

/**
 * kube-apiserver's BeforeDelete for an object whose graceful deletion is already under way (a
 * pod its node is stopping): a second delete changes nothing, unless it asks for a shorter grace
 * period (the node's final delete asks for 0) or adds a propagation finalizer. Grace 0 with no
 * finalizers left deletes now. Undefined when no graceful deletion is pending.
 */
function pendingGracefulDelete(live: KubeObject, finalizers: string[], options: DeleteOptions): KubeObject | "unchanged" | "now" | undefined {
  const grace = live.metadata.deletionGracePeriodSeconds ?? 0;
  const since = live.metadata.deletionTimestamp;
  if (!since || grace <= 0) return undefined;
  const wanted = options.gracePeriodSeconds;
  const shorter = wanted !== undefined && wanted < grace;
  const addedFinalizer = finalizers.length !== (live.metadata.finalizers ?? []).length;
  if (!shorter && !addedFinalizer) return "unchanged";
  if (shorter && wanted === 0 && finalizers.length === 0) return "now";
  const newGrace = shorter ? wanted : grace;
  const deletionTimestamp = shorter ? timestamp(new Date(Date.parse(since) - (grace - newGrace) * 1000)) : since;
  return { ...live, metadata: { ...live.metadata, deletionTimestamp, deletionGracePeriodSeconds: newGrace, ...(finalizers.length ? { finalizers } : {}) } };
}

/** DELETE of the object at `key`, as deleteOne does it. */
export async function deleteByKey(ctx: WriteContext, def: ResourceDef, key: ObjectKey, options: DeleteOptions): Promise<{ object: KubeObject; gone: boolean }> {
  let stored;
  try {
    stored = await ctx.store.get(key);
  } catch (error) {
    // A row that cannot be read (no configured key opens it) has no finalizers or grace period
    // anyone could honour: it is removed as it is, the way out of it (kube-apiserver's unsafe
    // deletion of a corrupt object, without its extra option).
    if (!(error instanceof StoreError && error.code === "Unreadable")) throw error;
    if (options.preconditions?.uid !== undefined || options.preconditions?.resourceVersion !== undefined) {
      throw conflict({ group: def.group, resource: def.plural }, key.name, "Precondition failed: the stored object cannot be read, so its uid and resourceVersion cannot be checked");
    }
    if (ctx.dryRun) return { object: unreadableStub(key, 0), gone: true };
    return { object: await deleteObject(ctx, def, key), gone: true };
  }
  if (!stored) throw notFound({ group: def.group, resource: def.plural }, key.name);
  return deleteOne(ctx, def, stored.value, options);
}
