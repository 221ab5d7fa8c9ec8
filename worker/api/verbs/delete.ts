// DELETE and DELETECOLLECTION: DeleteOptions read from the body and the query, then the write
// service's delete (write/delete.ts) for each object.
import type { KubeObject } from "../../resources/types";
import type { ApiContext } from "../context";
import { query } from "../context";
import { bodyTypeOf, decodeBody, decodeProtobufBody, isPlainObject, readBodyBytes } from "../negotiate";
import { respondJson, respondObject } from "../respond";
import { badRequest, StatusError } from "../../../shared/status-error";
import { listFilterFrom, readPage } from "./list";
import { keyOf } from "../write/store-writes";
import { writeContextOf, type WriteContext } from "../write/context";
import { deleteByKey, deleteOne, type DeleteOptions, type PropagationPolicy } from "../write/delete";
import { apiVersionOf } from "../../resources/meta";

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
  const dryRun: unknown = options.dryRun;
  if (dryRun !== undefined && (!Array.isArray(dryRun) || dryRun.some((v) => v !== "All"))) {
    throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(dryRun)}: supported values: "All"`);
  }
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

/** The write context of a delete: a dry run asked for in the query or in DeleteOptions. */
function deleteContext(ctx: ApiContext, options: DeleteOptions): WriteContext {
  const write = writeContextOf(ctx);
  return (options.dryRun?.length ?? 0) > 0 ? { ...write, dryRun: true } : write;
}

export async function deleteVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name, subresource } = ctx.target;
  if (subresource) throw badRequest(`the server does not support subresource "${subresource}" for delete`);
  if (!name) return deleteCollection(ctx);
  const options = await readDeleteOptions(ctx);
  const { object, gone } = await deleteByKey(deleteContext(ctx, options), def, keyOf(def, namespace, name), options);
  // kube-apiserver answers 200 with the object; 202 when deletion continues in the background.
  return respondObject(ctx, { ...object, apiVersion: apiVersionOf(def), kind: def.kind }, gone ? 200 : 202);
}

async function deleteCollection(ctx: ApiContext): Promise<Response> {
  const { def } = ctx.target;
  const options = await readDeleteOptions(ctx);
  const write = deleteContext(ctx, options);
  const filter = listFilterFrom(ctx);
  const page = await readPage(ctx.store, def, filter, Number.MAX_SAFE_INTEGER);
  const deleted: KubeObject[] = [];
  for (const obj of page.items) {
    try {
      deleted.push((await deleteOne(write, def, obj, options)).object);
    } catch (e) {
      // Another client removed or changed it meanwhile; deletecollection is best effort, as upstream.
      if (!(e instanceof StatusError) || (e.code !== 404 && e.code !== 409)) throw e;
    }
  }
  return respondJson({ apiVersion: apiVersionOf(def), kind: def.listKind, metadata: { resourceVersion: String(page.revision) }, items: deleted });
}
