// The write service bound for the controller loop: each typed call is authorized as
// system:kube-controller-manager and goes through the same admission, validation, CAS and watch
// publish as the API request it stands for, with no HTTP in between. Creates, bindings and
// event recounts come in runs and go to the bulk path (one store batch per run).
import type { AccessRequest, Principal } from "../api/access";
import { authorizeRequest } from "../api/auth";
import { bulkBind, bulkCreate, bulkRewrite, bulkUpdateStatus, type BulkContext } from "../api/write/bulk";
import type { WriteContext } from "../api/write/context";
import { deleteByKey } from "../api/write/delete";
import { CONTROLLER_USER, getObject, keyOf } from "../api/write/store-writes";
import { commitUpdate, replaceObject } from "../api/write/update";
import type { ControllerWrites, WriteResult } from "../controllers/apply-actions";
import type { ResourceRef } from "../controllers/types";
import type { Env } from "../env";
import type { Registry } from "../resources/registry";
import type { KubeObject, ResourceDef } from "../resources/types";
import { conflict, StatusError } from "../../shared/status-error";
import { openStore } from "../store/open";

export const CONTROLLER_PRINCIPAL: Principal = { user: CONTROLLER_USER, kind: "admin", scope: "" };
/** kube-controller-manager's user agent: what kube-apiserver names its managedFields manager after. */
export const CONTROLLER_AGENT = "kube-controller-manager";

export interface ControllerWritesOptions {
  env: Env;
  registry: Registry;
  waitUntil(promise: Promise<unknown>): void;
  /** Objects a bulk call stored (the informer takes them instead of reading them back). */
  wrote(objects: KubeObject[]): void;
  /** The object as the loop's cache holds it (what a status write's controller read). */
  cached(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined;
}

function failure(error: unknown): WriteResult {
  if (error instanceof StatusError) return { status: error.code, message: error.message };
  return { status: 500, message: error instanceof Error ? error.message : String(error) };
}

export function controllerWrites(options: ControllerWritesOptions): ControllerWrites {
  const { env, registry, waitUntil, wrote, cached } = options;
  const context = (): BulkContext & WriteContext => ({
    env,
    store: openStore(env, registry),
    registry,
    principal: CONTROLLER_PRINCIPAL,
    now: new Date(),
    waitUntil,
    dryRun: false,
    // Admission's warnings have no client here; a refused write is the loop's error.
    warnings: [],
    manager: CONTROLLER_AGENT,
  });
  const defOf = (ref: ResourceRef): ResourceDef => {
    const def = registry.byPlural(ref.group, ref.resource);
    if (!def) throw new StatusError(404, "NotFound", `the server could not find the requested resource (${ref.group}/${ref.resource})`);
    return def;
  };
  /** The controller manager passes authorization like any client (its own rules, upstream). */
  const authorized = async (ctx: WriteContext, access: AccessRequest) => authorizeRequest(ctx.store, ctx.principal, access);
  const one = async (ref: ResourceRef, access: Omit<AccessRequest, "group" | "resource">, write: (ctx: WriteContext, def: ResourceDef) => Promise<WriteResult>): Promise<WriteResult> => {
    try {
      const ctx = context();
      await authorized(ctx, { ...access, group: ref.group, resource: ref.resource });
      return await write(ctx, defOf(ref));
    } catch (e) {
      return failure(e);
    }
  };
  const many = async (ref: ResourceRef, verb: string, count: number, write: (ctx: BulkContext, def: ResourceDef) => Promise<WriteResult[]>, subresource?: string): Promise<WriteResult[]> => {
    try {
      const ctx = context();
      await authorized(ctx, { verb, group: ref.group, resource: ref.resource, subresource });
      const results = await write(ctx, defOf(ref));
      wrote(results.flatMap((r) => (r.object && r.status < 300 ? [r.object] : [])));
      return results;
    } catch (e) {
      // A refusal is each object's answer; anything else (the store is down) fails the pass.
      if (!(e instanceof StatusError)) throw e;
      return new Array<WriteResult>(count).fill(failure(e));
    }
  };
  return {
    update: (ref, object, subresource, metadataOnly) =>
      one(ref, { verb: metadataOnly ? "patch" : "update", namespace: object.metadata.namespace, name: object.metadata.name, subresource }, async (ctx, def) => {
        if (metadataOnly) return { status: 200, object: await writeOwnershipMetadata(ctx, def, object) };
        const { object: stored } = await replaceObject(ctx, def, object, { manager: CONTROLLER_AGENT, subresource });
        return { status: 200, object: stored };
      }),
    delete: (ref, request) =>
      one(ref, { verb: "delete", namespace: request.namespace, name: request.name }, async (ctx, def) => {
        const { object, gone } = await deleteByKey(ctx, def, keyOf(def, request.namespace, request.name), {
          preconditions: request.uid ? { uid: request.uid } : undefined,
          propagationPolicy: request.propagationPolicy,
          gracePeriodSeconds: request.gracePeriodSeconds,
        });
        return { status: gone ? 200 : 202, object };
      }),
    createMany: (ref, objects) => many(ref, "create", objects.length, (ctx, def) => bulkCreate(ctx, def, objects)),
    bindMany: (binds) => many({ group: "", resource: "pods" }, "create", binds.length, (ctx, def) => bulkBind(ctx, def, binds), "binding"),
    updateStatusMany: (ref, objects) =>
      many(ref, "update", objects.length, async (ctx, def) => {
        // The cache holds what each controller read; the object's own resourceVersion must be that
        // one's, as a PUT's precondition must match (else it is stale: a 409, run again).
        const results: WriteResult[] = new Array(objects.length);
        const updates: { old: KubeObject; next: KubeObject }[] = [];
        const at: number[] = [];
        objects.forEach((next, i) => {
          const old = cached(ref, next.metadata.namespace, next.metadata.name ?? "");
          if (!old || old.metadata.resourceVersion !== next.metadata.resourceVersion) {
            results[i] = { status: 409, message: `${ref.resource} ${next.metadata.name ?? ""}: the object has been modified` };
            return;
          }
          updates.push({ old, next });
          at.push(i);
        });
        (await bulkUpdateStatus(ctx, def, updates)).forEach((r, k) => (results[at[k]!] = r));
        return results;
      }, "status"),
    rewriteMany: (ref, objects) => many(ref, "update", objects.length, (ctx, def) => bulkRewrite(ctx, def, objects)),
  };
}

/**
 * The garbage collector's write from a metadata-only cache: `partial`'s ownerReferences and
 * finalizers onto the stored object, which must still be at `partial`'s resourceVersion (else a
 * 409, and the controller runs again on what changed), as kube's collector patches them.
 */
async function writeOwnershipMetadata(ctx: WriteContext, def: ResourceDef, partial: KubeObject): Promise<KubeObject> {
  const ref = { group: def.group, resource: def.plural };
  const name = partial.metadata.name ?? "";
  const stored = await getObject(ctx, def, keyOf(def, partial.metadata.namespace, name));
  if (String(stored.revision) !== partial.metadata.resourceVersion) throw conflict(ref, name);
  const metadata = { ...stored.value.metadata };
  for (const field of ["ownerReferences", "finalizers"] as const) {
    const value = partial.metadata[field];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) delete metadata[field];
    else metadata[field] = value as never;
  }
  return commitUpdate(ctx, def, stored.value, { ...stored.value, metadata }, { manager: CONTROLLER_AGENT, expectedRevision: stored.revision });
}
