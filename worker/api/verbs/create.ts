// POST: a new object through defaults, validation and admission, then one CAS insert.
import type { KubeObject, ResourceDef } from "../../resources/types";
import { fieldManagerOf, isDryRun, requireActiveNamespace } from "../admission";
import { admit } from "../admission-plugins";
import { decodeObject, readObjectBody, withWarnings } from "../body";
import type { ApiContext } from "../context";
import { recordManagedFields } from "../managed";
import { checkNamespace, checkTypeMeta, initCreateMeta } from "../object-meta";
import { respondObject } from "../respond";
import { badRequest } from "../../../shared/status-error";
import { validateObject } from "../validate";
import { createObject } from "../writes";

/** Shared by POST and by PUT/apply on an absent object. */
export async function admitNew(ctx: ApiContext, def: ResourceDef, input: KubeObject, manager: string): Promise<KubeObject> {
  checkNamespace(def, input, ctx.target.namespace);
  await requireActiveNamespace(ctx, def, input.metadata.namespace, input.metadata.name ?? input.metadata.generateName);
  initCreateMeta(def, input, ctx.now);
  def.prepareForCreate?.(input, { now: ctx.now, user: ctx.principal.user, defaultTolerationSeconds: defaultTolerationSeconds(ctx) });
  const obj = validateObject(def, input);
  await admit(ctx, def, obj, null);
  recordManagedFields(def, null, obj, { manager, operation: "Update", now: ctx.now });
  return obj;
}

export async function createVerb(ctx: ApiContext): Promise<Response> {
  const { def, version, name, subresource } = ctx.target;
  if (name || subresource) throw badRequest("POST is served only on a collection");
  const { obj: input, warnings } = decodeObject(ctx, def, checkTypeMeta(def, version, await readObjectBody(ctx)));
  const obj = await admitNew(ctx, def, input, fieldManagerOf(ctx, userAgentManager(ctx)));
  const created = isDryRun(ctx) ? obj : await createObject(ctx, def, obj);
  return withWarnings(respondObject(ctx, created, 201), warnings);
}

/** POD_EVICTION_TIMEOUT_SECONDS shortens the default toleration new pods get (300 s). */
function defaultTolerationSeconds(ctx: ApiContext): number | undefined {
  const seconds = Number(ctx.env.POD_EVICTION_TIMEOUT_SECONDS);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
}

/** kube-apiserver names the manager after the client's user agent when none is given. */
export function userAgentManager(ctx: ApiContext): string {
  const ua = ctx.request.headers.get("user-agent") ?? "unknown";
  return ua.split("/")[0]!.slice(0, 128) || "unknown";
}
