// PATCH in all four flavours kube-apiserver serves: JSON patch, merge patch, strategic
// merge patch and server-side apply. The patched object then takes the update path, and a
// patch that raced another write is re-applied to the newer object, as upstream does.
import type { KubeObject, ResourceDef } from "../../resources/types";
import { jsonSchemaOf } from "../../resources/json-schema";
import { applyPatch, applyServerSide, PatchError } from "../patch";
import { fieldManagerOf } from "../admission";
import { decodeObject, withWarnings } from "../body";
import { withoutNulls } from "../validate";
import type { ApiContext } from "../context";
import { query } from "../context";
import { bodyTypeOf, decodeBody, readBodyText, type BodyType } from "../negotiate";
import { authorizeRequest } from "../auth";
import { checkTypeMeta } from "../object-meta";
import { presentAs, respondObject } from "../respond";
import { badRequest, conflict, invalid, notFound, StatusError, unsupportedMediaType } from "../../../shared/status-error";
import { createObject, keyOf, readObject, revisionOf } from "../write/store-writes";
import { userAgentManager } from "./create";
import { writeContextOf } from "../write/context";
import { admitNew } from "../write/create";
import { applyScale, toScale } from "./scale";
import { createRaceLost, guaranteedUpdate } from "../write/guaranteed-update";
import { commitUpdate } from "../write/update";

function patchErrorToStatus(e: unknown, def: ResourceDef, name: string): unknown {
  if (!(e instanceof PatchError)) return e;
  if (e.code === 409) {
    // Apply conflicts keep kube's bare "Apply failed with N conflicts: …" message and per-field causes.
    return e.causes
      ? new StatusError(409, "Conflict", e.message, { name, group: def.group, kind: def.plural, causes: e.causes })
      : conflict({ group: def.group, resource: def.plural }, name, e.message);
  }
  if (e.code === 422) {
    return invalid({ group: def.group, resource: def.plural, kind: def.kind }, name, [
      { reason: "FieldValueInvalid", message: e.message },
    ]);
  }
  return badRequest(e.message);
}

export async function patchVerb(ctx: ApiContext): Promise<Response> {
  const { def, version, namespace, name, subresource } = ctx.target;
  if (!name) throw badRequest("PATCH requires a name");
  if (subresource && subresource !== "status" && subresource !== "scale") {
    throw badRequest(`the server does not support subresource "${subresource}" for patch`);
  }
  const type = bodyTypeOf(ctx.request.headers.get("content-type") ?? undefined);
  if (type === "json" || type === "yaml" || type === "protobuf") throw unsupportedMediaType(ctx.request.headers.get("content-type") ?? "");
  const patch = decodeBody(await readBodyText(ctx.request), type === "apply-patch" ? "apply-patch" : "json");
  const force = ["true", "1"].includes(query(ctx, "force") ?? "");
  if (force && type !== "apply-patch") throw badRequest("force: Forbidden: may not be specified for non-apply patch");
  const manager =
    type === "apply-patch"
      ? (query(ctx, "fieldManager") ?? (() => { throw badRequest("PATCH requests with apply content type must specify fieldManager"); })())
      : fieldManagerOf(ctx, userAgentManager(ctx));

  // A patch that lost a race is applied again to the newer object, unless the client pinned a version.
  const pinned = typeof patch === "object" && patch !== null && revisionOf({ metadata: (patch as { metadata?: object }).metadata ?? {} } as KubeObject) !== undefined;
  return guaranteedUpdate(async () => {
    const key = keyOf(def, namespace, name);
    const stored = await readObject(ctx, def, key);
    try {
      if (!stored) {
        if (type !== "apply-patch" || subresource) throw notFound({ group: def.group, resource: def.plural }, name);
        return await createByApply(ctx, patch, manager, force);
      }
      if (subresource === "scale") return await patchScale(ctx, stored.value, type, patch);
      const live = presentAs(def, version, stored.value);
      const schema = jsonSchemaOf(def);
      let next: KubeObject;
      let managedFieldsDone = false;
      if (type === "apply-patch") {
        next = applyServerSide(live, patch, { manager, force, schema, apiVersion: live.apiVersion, now: ctx.now, subresource });
        managedFieldsDone = true;
      } else {
        next = applyPatch(type, live, patch, schema) as KubeObject;
      }
      // A patch may set a field to null (a JSON patch `add`): not set, as in a body.
      const decoded = decodeObject(ctx, def, checkTypeMeta(def, version, withoutNulls(next)));
      next = decoded.obj;
      const wanted = revisionOf(next);
      if (wanted !== undefined && wanted !== stored.revision) throw conflict({ group: def.group, resource: def.plural }, name);
      const warnings = type === "apply-patch" ? [] : decoded.warnings;
      const write = writeContextOf(ctx);
      const updated = await commitUpdate(write, def, stored.value, next, {
        manager,
        subresource,
        expectedRevision: stored.revision,
        operation: type === "apply-patch" ? "Apply" : "Update",
        managedFieldsDone,
      });
      return withWarnings(respondObject(ctx, updated), [...warnings, ...write.warnings]);
    } catch (e) {
      throw patchErrorToStatus(e, def, name);
    }
  }, !pinned);
}

async function createByApply(ctx: ApiContext, patch: unknown, manager: string, force: boolean): Promise<Response> {
  const { def, version, name } = ctx.target;
  const applied = applyServerSide(null, patch, { manager, force, schema: jsonSchemaOf(def), apiVersion: def.group ? `${def.group}/${version}` : version, now: ctx.now });
  const input = checkTypeMeta(def, version, applied);
  if (input.metadata.name && input.metadata.name !== name) {
    throw badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
  }
  input.metadata.name = name;
  // An apply that creates is a create: the patch permission that let it in is not enough.
  await authorizeRequest(ctx.store, ctx.principal, { verb: "create", group: def.group, resource: def.plural, namespace: ctx.target.namespace, name, request: ctx.request });
  const managedFields = input.metadata.managedFields;
  const write = writeContextOf(ctx);
  const obj = await admitNew(write, def, input, manager, ctx.target.namespace);
  if (managedFields) obj.metadata.managedFields = managedFields;
  const created = write.dryRun ? obj : await createObject(write, def, obj).catch(createRaceLost);
  return respondObject(ctx, created, 201);
}

async function patchScale(ctx: ApiContext, live: KubeObject, type: BodyType, patch: unknown): Promise<Response> {
  const { def } = ctx.target;
  const scale = toScale(def, live);
  if (type === "apply-patch") throw badRequest("server-side apply is not supported on the scale subresource");
  const next = applyPatch(type, scale, patch, {}) as KubeObject;
  return applyScale(ctx, def, live, next);
}
