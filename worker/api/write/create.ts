// Create: a new object through the namespace check, defaults, validation, admission and
// managedFields, then one CAS insert. POST, PUT or apply of an absent object, the bulk path and
// the controller loop all create through here.
import type { KubeObject, ResourceDef } from "../../resources/types";
import { requireActiveNamespace } from "../namespace-lifecycle";
import { admit } from "../admission-plugins";
import { recordManagedFields } from "../managed";
import { checkNamespace, initCreateMeta } from "../object-meta";
import { validateObject } from "../validate";
import type { WriteContext } from "./context";
import { createObject } from "./store-writes";

/**
 * The object a create would store. `namespace`: the one the request names (a namespaced URL),
 * which the object's own must match.
 */
export async function admitNew(ctx: WriteContext, def: ResourceDef, input: KubeObject, manager: string, namespace: string | undefined): Promise<KubeObject> {
  checkNamespace(def, input, namespace);
  await requireActiveNamespace(ctx, def, input.metadata.namespace, input.metadata.name ?? input.metadata.generateName);
  initCreateMeta(def, input, ctx.now);
  def.prepareForCreate?.(input, { now: ctx.now, user: ctx.principal.user, defaultTolerationSeconds: defaultTolerationSeconds(ctx) });
  const obj = validateObject(def, input);
  await admit(ctx, def, obj, null);
  recordManagedFields(def, null, obj, { manager, operation: "Update", now: ctx.now });
  return obj;
}

/** Admits and stores `input` (a dry run stops before the store); returns what was stored. */
export async function createNew(ctx: WriteContext, def: ResourceDef, input: KubeObject, manager: string, namespace: string | undefined): Promise<KubeObject> {
  const obj = await admitNew(ctx, def, input, manager, namespace);
  return ctx.dryRun ? obj : createObject(ctx, def, obj);
}

/** POD_EVICTION_TIMEOUT_SECONDS shortens the default toleration new pods get (300 s). */
function defaultTolerationSeconds(ctx: WriteContext): number | undefined {
  const seconds = Number(ctx.env.POD_EVICTION_TIMEOUT_SECONDS);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
}
