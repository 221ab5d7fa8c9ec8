// POST pods/{name}/binding: how the scheduler assigns a pod to a node (spec.nodeName is
// otherwise immutable). A pod already bound elsewhere is a 409, as upstream answers.
import { timestamp } from "../../../shared/time";
import type { KubeObject } from "../../resources/types";
import { readObjectBody } from "../body";
import type { ApiContext } from "../context";
import { respondJson } from "../respond";
import { badRequest, conflict } from "../../../shared/status-error";
import { getObject, keyOf, updateObject } from "../writes";

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
  reason?: string;
  message?: string;
}

export async function bindingVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name } = ctx.target;
  if (!name) throw badRequest("bindings are served only on pods/{name}/binding");
  const body = await readObjectBody(ctx);
  const target = body.target as { kind?: string; name?: string } | undefined;
  if (!target?.name || (target.kind && target.kind !== "Node")) throw badRequest("target: a Node name is required");
  const stored = await getObject(ctx, def, keyOf(def, namespace, name));
  const pod = stored.value;
  const spec = (pod.spec ?? {}) as { nodeName?: string };
  if (spec.nodeName) {
    throw conflict({ group: "", resource: "pods/binding" }, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
  }
  if (pod.metadata.deletionTimestamp) throw conflict({ group: "", resource: "pods/binding" }, name, "pod is being deleted");
  const status = { ...((pod.status ?? {}) as { conditions?: PodCondition[] }) };
  const conditions = (status.conditions ?? []).filter((c) => c.type !== "PodScheduled");
  conditions.unshift({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: timestamp(ctx.now) });
  const next: KubeObject = { ...pod, spec: { ...spec, nodeName: target.name }, status: { ...status, conditions } };
  await updateObject(ctx, def, next, stored.revision);
  return respondJson({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
}
