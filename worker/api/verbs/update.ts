// PUT: replace an object (or only its status) under a resourceVersion precondition.
// Also the common tail of PATCH: the patched object goes through the same checks.
import type { KubeObject, ResourceDef } from "../../resources/types";
import { deepEqual } from "../../lib/deep-equal";
import { fieldManagerOf, isDryRun } from "../admission";
import { decodeObject, readObjectBody, withWarnings } from "../body";
import type { ApiContext } from "../context";
import { recordManagedFields } from "../managed";
import { admitNodeWrite } from "../node-restriction";
import { checkTypeMeta, keepSystemMeta } from "../object-meta";
import { allocateServiceAddresses } from "../service-allocation";
import { respondObject } from "../respond";
import { badRequest, conflict, notFound } from "../status-error";
import { validateObject } from "../validate";
import { createObject, deleteObject, getObject, keyOf, revisionOf, updateObject } from "../writes";
import { admitNew, userAgentManager } from "./create";
import { createRaceLost, guaranteedUpdate } from "./guaranteed-update";
import { putScale } from "./scale";

/** Kinds kube-apiserver lets PUT create (AllowCreateOnUpdate in their strategies). */
const CREATE_ON_UPDATE = new Set(["/endpoints", "/events", "coordination.k8s.io/leases", "discovery.k8s.io/endpointslices"]);

export interface UpdateOptions {
  manager: string;
  subresource?: string;
  /** PATCH computed `next` from the live object and holds its revision; PUT reads it from the body. */
  expectedRevision?: number;
  operation?: "Apply" | "Update";
  /** Apply already computed managedFields. */
  managedFieldsDone?: boolean;
}

/**
 * Validates and stores `next` as the new state of `old`. Status-only writes keep the
 * rest of the object; main-resource writes keep status when the kind has a status subresource.
 */
export async function commitUpdate(
  ctx: ApiContext,
  def: ResourceDef,
  old: KubeObject,
  next: KubeObject,
  options: UpdateOptions,
): Promise<KubeObject> {
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
  if (def.group === "" && def.plural === "nodes") admitNodeWrite(ctx.principal, old, obj);
  // A Service turned into NodePort/LoadBalancer gets its node ports now, as on create.
  if (def.group === "" && def.plural === "services" && options.subresource !== "status") await allocateServiceAddresses(ctx.store, obj);
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
  if (isDryRun(ctx)) return { ...obj, metadata: { ...obj.metadata, resourceVersion: old.metadata.resourceVersion } };

  // A no-op write keeps the resourceVersion, as kube-apiserver does (no event either).
  const unchanged = { ...obj, metadata: { ...obj.metadata, resourceVersion: old.metadata.resourceVersion } };
  if (expected === oldRevision && deepEqual(unchanged, old)) return old;

  // The last finalizer removed from an object being deleted completes the delete (for a
  // namespace, its spec.finalizers too: those are removed through /finalize), unless a graceful
  // deletion is still pending: then the pod's node deletes it once its containers have stopped
  // (kube-apiserver's ShouldDeleteDuringUpdate).
  const specFinalizers = def.group === "" && def.plural === "namespaces" ? ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) : [];
  const gracePending = (old.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0 && specFinalizers.length === 0 && !gracePending) {
    return deleteObject(ctx, def, keyOf(def, obj.metadata.namespace, obj.metadata.name ?? ""), expected);
  }
  return updateObject(ctx, def, obj, expected);
}

export async function updateVerb(ctx: ApiContext): Promise<Response> {
  const { def, version, namespace, name, subresource } = ctx.target;
  if (!name) throw badRequest("PUT requires a name");
  if (subresource === "scale") {
    return putScale(ctx);
  }
  if (subresource === "finalize" && def.group === "" && def.plural === "namespaces") return finalizeNamespace(ctx);
  if (subresource && subresource !== "status") throw badRequest(`the server does not support subresource "${subresource}" for update`);
  const decoded = decodeObject(ctx, def, checkTypeMeta(def, version, await readObjectBody(ctx)));
  const input = decoded.obj;
  const warnings = decoded.warnings;
  if (input.metadata.name && input.metadata.name !== name) {
    throw badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
  }
  input.metadata.name = name;
  if (def.namespaced) {
    if (input.metadata.namespace && input.metadata.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    input.metadata.namespace = namespace;
  }
  const manager = fieldManagerOf(ctx, userAgentManager(ctx));
  const key = keyOf(def, namespace, name);
  const wanted = revisionOf(input);
  if (wanted === -1) throw badRequest(`metadata.resourceVersion: Invalid value: "${input.metadata.resourceVersion}": must be a positive integer`);
  // Every kind here allows an unconditional update (AllowUnconditionalUpdate): a PUT without a
  // resourceVersion replaces whatever is stored when it lands, retried if another write lands first.
  return guaranteedUpdate(async () => {
    const stored = await ctx.store.get(key);
    if (!stored) {
      if (subresource || !CREATE_ON_UPDATE.has(`${def.group}/${def.plural}`)) {
        throw notFound({ group: def.group, resource: def.plural }, name);
      }
      const obj = await admitNew(ctx, def, structuredClone(input), manager);
      const created = isDryRun(ctx) ? obj : await createObject(ctx, def, obj).catch(createRaceLost);
      return withWarnings(respondObject(ctx, created, 201), warnings);
    }
    if (wanted !== undefined && wanted !== stored.revision) throw conflict({ group: def.group, resource: def.plural }, name);
    const updated = await commitUpdate(ctx, def, stored.value, structuredClone(input), {
      manager,
      subresource,
      expectedRevision: stored.revision,
    });
    return withWarnings(respondObject(ctx, updated), warnings);
  }, wanted === undefined);
}

/**
 * PUT namespaces/{name}/finalize: the only way spec.finalizers changes (upstream's
 * namespace finalize strategy). Emptied on a terminating namespace, it completes the delete.
 */
async function finalizeNamespace(ctx: ApiContext): Promise<Response> {
  const { def, name } = ctx.target;
  const body = await readObjectBody(ctx);
  const stored = await getObject(ctx, def, keyOf(def, undefined, name ?? ""));
  const finalizers = (body.spec as { finalizers?: unknown } | undefined)?.finalizers;
  if (finalizers !== undefined && !(Array.isArray(finalizers) && finalizers.every((f) => typeof f === "string"))) {
    throw badRequest("spec.finalizers must be a list of strings");
  }
  const next: KubeObject = { ...stored.value, spec: { ...((stored.value.spec as object | undefined) ?? {}), finalizers: finalizers ?? [] } };
  const wanted = revisionOf(body);
  if (wanted !== undefined && wanted !== stored.revision) throw conflict({ group: def.group, resource: def.plural }, name ?? "");
  const updated = await commitUpdate(ctx, def, stored.value, next, {
    manager: fieldManagerOf(ctx, userAgentManager(ctx)),
    subresource: "finalize",
    expectedRevision: stored.revision,
  });
  return respondObject(ctx, updated);
}
