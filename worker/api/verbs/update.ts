// PUT: replace an object (or only its status) from the request body, through the write service.
import type { KubeObject } from "../../resources/types";
import { authorizeRequest } from "../auth";
import { fieldManagerOf } from "../admission";
import { decodeObject, readObjectBody, withWarnings } from "../body";
import type { ApiContext } from "../context";
import { checkTypeMeta } from "../object-meta";
import { respondObject } from "../respond";
import { badRequest, conflict } from "../../../shared/status-error";
import { writeContextOf } from "../write/context";
import { getObject, keyOf, revisionOf } from "../write/store-writes";
import { commitUpdate, replaceObject } from "../write/update";
import { userAgentManager } from "./create";
import { putScale } from "./scale";

export async function updateVerb(ctx: ApiContext): Promise<Response> {
  const { def, version, namespace, name, subresource } = ctx.target;
  if (!name) throw badRequest("PUT requires a name");
  if (subresource === "scale") {
    return putScale(ctx);
  }
  // /finalize writes the finalizers a kind keeps in spec (a Namespace's).
  if (subresource === "finalize" && def.specFinalizers) return putFinalize(ctx);
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
  const write = writeContextOf(ctx);
  const { object, created } = await replaceObject(write, def, input, {
    manager: fieldManagerOf(ctx, userAgentManager(ctx)),
    subresource,
    allowCreate: !subresource && def.allowCreateOnUpdate === true,
    authorizeCreate: () => authorizeRequest(ctx.store, ctx.principal, { verb: "create", group: def.group, resource: def.plural, namespace, name, request: ctx.request }),
  });
  return withWarnings(respondObject(ctx, object, created ? 201 : 200), [...warnings, ...write.warnings]);
}

/**
 * PUT namespaces/{name}/finalize: the only way spec.finalizers changes (upstream's
 * namespace finalize strategy). Emptied on a terminating namespace, it completes the delete.
 */
async function putFinalize(ctx: ApiContext): Promise<Response> {
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
  const updated = await commitUpdate(writeContextOf(ctx), def, stored.value, next, {
    manager: fieldManagerOf(ctx, userAgentManager(ctx)),
    subresource: "finalize",
    expectedRevision: stored.revision,
  });
  return respondObject(ctx, updated);
}
