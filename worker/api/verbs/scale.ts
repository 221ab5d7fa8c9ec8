// The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets and
// StatefulSets: `kubectl scale` patches it; only spec.replicas flows back.
import { selectorString } from "../../../shared/selectors";
import type { KubeObject, ResourceDef } from "../../resources/types";
import { field } from "../../resources/meta";
import { fieldManagerOf } from "../admission";
import { readObjectBody } from "../body";
import type { ApiContext } from "../context";
import { respondObject } from "../respond";
import { badRequest, conflict, invalid, notFound } from "../../../shared/status-error";
import { getObject, keyOf, revisionOf } from "../write/store-writes";
import { userAgentManager } from "./create";
import { guaranteedUpdate } from "../write/guaranteed-update";
import { commitUpdate } from "../write/update";
import { writeContextOf } from "../write/context";

export function toScale(def: ResourceDef, obj: KubeObject): KubeObject {
  const m = obj.metadata;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: Number(field(obj, "spec", "replicas") ?? 0) },
    status: {
      replicas: Number(field(obj, "status", "replicas") ?? 0),
      selector: selectorString(field(obj, "spec", "selector")),
    },
  };
}

function requireScale(def: ResourceDef): void {
  if (!def.subresources.scale) throw notFound({ group: def.group, resource: `${def.plural}/scale` }, "");
}

export async function getScale(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name } = ctx.target;
  requireScale(def);
  const stored = await getObject(ctx, def, keyOf(def, namespace, name ?? ""));
  return respondObject(ctx, toScale(def, stored.value));
}

/** Writes a new desired Scale back into the object, guarded by the Scale's resourceVersion. */
export async function applyScale(ctx: ApiContext, def: ResourceDef, live: KubeObject, scale: KubeObject): Promise<Response> {
  const replicas = field(scale, "spec", "replicas");
  const name = live.metadata.name ?? "";
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid({ group: "autoscaling", resource: "scales", kind: "Scale" }, name, [
      { reason: "FieldValueInvalid", field: "spec.replicas", message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` },
    ]);
  }
  const wanted = revisionOf(scale);
  if (wanted !== undefined && String(wanted) !== live.metadata.resourceVersion) {
    throw conflict({ group: def.group, resource: def.plural }, name);
  }
  const next: KubeObject = { ...live, spec: { ...(live.spec as Record<string, unknown>), replicas } };
  const updated = await commitUpdate(writeContextOf(ctx), def, live, next, {
    manager: fieldManagerOf(ctx, userAgentManager(ctx)),
    subresource: "scale",
  });
  return respondObject(ctx, toScale(def, updated));
}

export async function putScale(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name } = ctx.target;
  requireScale(def);
  const body = await readObjectBody(ctx);
  if (body.kind && body.kind !== "Scale") throw badRequest(`${body.kind} cannot be handled as a Scale`);
  return guaranteedUpdate(async () => {
    const stored = await getObject(ctx, def, keyOf(def, namespace, name ?? ""));
    return applyScale(ctx, def, stored.value, body);
  }, revisionOf(body) === undefined);
}
