// DELETE and DELETECOLLECTION with DeleteOptions: preconditions, grace periods and
// the propagation policy, recorded as the finalizers the garbage collector honours.
import { timestamp } from "../../../shared/time";
import type { KubeObject, ResourceDef } from "../../resources/types";
import { isDryRun } from "../admission";
import type { ApiContext } from "../context";
import { query } from "../context";
import { bodyTypeOf, decodeBody, decodeProtobufBody, isPlainObject, readBodyBytes } from "../negotiate";
import { respondJson, respondObject } from "../respond";
import { badRequest, conflict, StatusError } from "../../../shared/status-error";
import { listFilterFrom, readPage } from "./list";
import { deleteObject, getObject, keyOf, updateObject } from "../writes";
import { apiVersionOf } from "../../resources/meta";

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

const FOREGROUND_FINALIZER = "foregroundDeletion";
const ORPHAN_FINALIZER = "orphan";

export async function readDeleteOptions(ctx: ApiContext): Promise<DeleteOptions> {
  const options: DeleteOptions = {};
  const bytes = await readBodyBytes(ctx.request);
  const isProtobuf = bodyTypeOf(ctx.request.headers.get("content-type") ?? undefined) === "protobuf";
  const text = isProtobuf ? "" : new TextDecoder().decode(bytes);
  if (isProtobuf ? bytes.length > 0 : text.trim() !== "") {
    const body = isProtobuf ? decodeProtobufBody(bytes) : decodeBody(text, "json");
    if (!isPlainObject(body)) throw badRequest("DeleteOptions must be an object");
    Object.assign(options, body);
  }
  const grace = query(ctx, "gracePeriodSeconds");
  if (grace !== undefined) options.gracePeriodSeconds = Number(grace);
  const policy = query(ctx, "propagationPolicy");
  if (policy !== undefined) options.propagationPolicy = policy as PropagationPolicy;
  const orphan = (isPlainObject(options) && (options as Record<string, unknown>).orphanDependents) ?? query(ctx, "orphanDependents");
  if (orphan === true || orphan === "true") options.propagationPolicy ??= "Orphan";
  if (options.propagationPolicy && !["Orphan", "Background", "Foreground"].includes(options.propagationPolicy)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (options.gracePeriodSeconds !== undefined && (!Number.isInteger(options.gracePeriodSeconds) || options.gracePeriodSeconds < 0)) {
    throw badRequest("gracePeriodSeconds: Invalid value: must be a non-negative integer");
  }
  return options;
}

/**
 * Deletes one object. Finalizers (including the ones a propagation policy adds) turn the
 * delete into setting deletionTimestamp; a pod bound to a node is left for its node to stop.
 * Returns the object and whether it is gone.
 */
export async function deleteOne(
  ctx: ApiContext,
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
    if (isDryRun(ctx)) return { object: live, gone: false };
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
    if (isDryRun(ctx)) return { object: live, gone: pending === "now" };
    if (pending === "unchanged") return { object: live, gone: false };
    if (pending === "now") return { object: await deleteObject(ctx, def, keyOf(def, live.metadata.namespace, name), revision), gone: true };
    return { object: await updateObject(ctx, def, pending, revision), gone: false };
  }
  const gracefulSeconds = options.gracePeriodSeconds === 0 || live.metadata.deletionTimestamp ? undefined : def.checkGracefulDelete?.(live, options.gracePeriodSeconds);
  const graceful = gracefulSeconds !== undefined;
  if (isDryRun(ctx)) return { object: live, gone: finalizers.length === 0 && !graceful };

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

export async function deleteVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name, subresource } = ctx.target;
  if (subresource) throw badRequest(`the server does not support subresource "${subresource}" for delete`);
  if (!name) return deleteCollection(ctx);
  const options = await readDeleteOptions(ctx);
  const stored = await getObject(ctx, def, keyOf(def, namespace, name));
  const { object, gone } = await deleteOne(ctx, def, stored.value, options);
  // kube-apiserver answers 200 with the object; 202 when deletion continues in the background.
  return respondObject(ctx, { ...object, apiVersion: apiVersionOf(def), kind: def.kind }, gone ? 200 : 202);
}

async function deleteCollection(ctx: ApiContext): Promise<Response> {
  const { def } = ctx.target;
  const options = await readDeleteOptions(ctx);
  const filter = listFilterFrom(ctx);
  const page = await readPage(ctx.store, def, filter, Number.MAX_SAFE_INTEGER);
  const deleted: KubeObject[] = [];
  for (const obj of page.items) {
    try {
      deleted.push((await deleteOne(ctx, def, obj, options)).object);
    } catch (e) {
      // Another client removed or changed it meanwhile; deletecollection is best effort, as upstream.
      if (!(e instanceof StatusError) || (e.code !== 404 && e.code !== 409)) throw e;
    }
  }
  return respondJson({ apiVersion: apiVersionOf(def), kind: def.listKind, metadata: { resourceVersion: String(page.revision) }, items: deleted });
}
