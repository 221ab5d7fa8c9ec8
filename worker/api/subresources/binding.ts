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

/** Why a pod cannot be bound (the Binding REST storage's checks), or undefined. */
export function bindingRefused(pod: KubeObject): string | undefined {
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (nodeName) return `pod ${pod.metadata.name ?? ""} is already assigned to node "${nodeName}"`;
  if (pod.metadata.deletionTimestamp) return "pod is being deleted";
  return undefined;
}

/** The pod as a binding writes it: spec.nodeName set, and PodScheduled True first among its conditions. */
export function boundPod(pod: KubeObject, nodeName: string, now: Date): KubeObject {
  const status = { ...((pod.status ?? {}) as { conditions?: PodCondition[] }) };
  const conditions = (status.conditions ?? []).filter((c) => c.type !== "PodScheduled");
  conditions.unshift({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: timestamp(now) });
  return { ...pod, spec: { ...((pod.spec ?? {}) as object), nodeName }, status: { ...status, conditions } };
}

export async function bindingVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name } = ctx.target;
  if (!name) throw badRequest("bindings are served only on pods/{name}/binding");
  const body = await readObjectBody(ctx);
  const target = body.target as { kind?: string; name?: string } | undefined;
  if (!target?.name || (target.kind && target.kind !== "Node")) throw badRequest("target: a Node name is required");
  const stored = await getObject(ctx, def, keyOf(def, namespace, name));
  const refused = bindingRefused(stored.value);
  if (refused) throw conflict({ group: "", resource: "pods/binding" }, name, refused);
  await updateObject(ctx, def, boundPod(stored.value, target.name, ctx.now), stored.revision);
  return respondJson({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
}
