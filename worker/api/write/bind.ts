// Binding: how the scheduler assigns a pod to a node (spec.nodeName is otherwise immutable), the
// one place the PodScheduled condition is written, for the binding verb and the bulk path alike.
import { timestamp } from "../../../shared/time";
import type { KubeObject, ResourceDef } from "../../resources/types";
import type { ObjectKey } from "../../store/types";
import { conflict } from "../../../shared/status-error";
import type { WriteContext } from "./context";
import { getObject, updateObject } from "./store-writes";

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

/** pods/binding: assigns the pod at `key` to `nodeName`; a pod bound already or being deleted is a 409. */
export async function bindPod(ctx: WriteContext, def: ResourceDef, key: ObjectKey, nodeName: string): Promise<KubeObject> {
  const stored = await getObject(ctx, def, key);
  const refused = bindingRefused(stored.value);
  if (refused) throw conflict({ group: "", resource: "pods/binding" }, key.name, refused);
  if (ctx.dryRun) return boundPod(stored.value, nodeName, ctx.now);
  return updateObject(ctx, def, boundPod(stored.value, nodeName, ctx.now), stored.revision);
}
