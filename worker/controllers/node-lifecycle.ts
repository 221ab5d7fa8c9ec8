// The node lifecycle controller (pkg/controller/nodelifecycle) plus its taint-based eviction:
// a node whose Lease went stale turns Unknown and gets the unreachable taints, its pods turn
// not Ready and are deleted when their toleration of the NoExecute taint runs out.
import { timestamp } from "../../shared/time";
import type { KubeObject } from "../resources/types";
import { conditionOf, isDeleting, isTerminal, LEASES, minDefined, NODES, PODS, timeMs, withCondition } from "./controller-util";
import { records, rec, str, type Json } from "../../shared/json";
import { tolerates, type Taint } from "./scheduler-nodes";
import type { Action, Controller, ControllerConfig, LeaseHeartbeats, Snapshot } from "./types";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
const LIFECYCLE_TAINTS = new Set([TAINT_UNREACHABLE, TAINT_NOT_READY]);
const NODE_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/**
 * The newest sign of life: the Lease's renewal or the Ready condition's heartbeat (node
 * creation before either). `byLease` says the tracked lease renewal is that sign, so the
 * NodeLeases alarm, not a requeue, reports its expiry.
 */
function lastHeartbeat(snapshot: Snapshot, node: KubeObject, heartbeats: LeaseHeartbeats | undefined): { ms: number; byLease: boolean } {
  const name = node.metadata.name ?? "";
  const lease = snapshot.get(LEASES, NODE_LEASE_NAMESPACE, name);
  const tracked = heartbeats && Object.hasOwn(heartbeats, name) ? heartbeats[name] : undefined;
  const renew = Math.max(tracked ?? 0, timeMs(rec(lease?.spec).renewTime) ?? timeMs(rec(lease?.spec).acquireTime) ?? 0);
  const heartbeat = timeMs(conditionOf(node, "Ready")?.lastHeartbeatTime) ?? 0;
  const ms = Math.max(renew, heartbeat) || (timeMs(node.metadata.creationTimestamp) ?? 0);
  return { ms, byLease: tracked !== undefined && tracked >= heartbeat };
}

/** Conditions set to Unknown as tryUpdateNodeHealth does; undefined when they already are. */
function unknownConditions(node: KubeObject, now: Date): Json[] | undefined {
  let conditions = records(rec(node.status).conditions);
  let changed = false;
  for (const type of NODE_CONDITIONS) {
    const existing = conditions.find((c) => c.type === type);
    if (existing?.status === "Unknown") continue; // already Unknown, whichever reason said so
    const had = existing !== undefined;
    const next = had
      ? { type, status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." }
      : { type, status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: timestamp(now) };
    const merged = withCondition({ ...node, status: { ...rec(node.status), conditions } }, next, now);
    if (merged) (conditions = merged), (changed = true);
  }
  return changed ? conditions : undefined;
}

/** The lifecycle taints a node should carry for its Ready status; NoExecute keeps its first timeAdded. */
function desiredTaints(node: KubeObject, ready: string, now: Date): Json[] {
  const current = records(rec(node.spec).taints);
  const others = current.filter((t) => !LIFECYCLE_TAINTS.has(str(t.key) ?? ""));
  const key = ready === "True" ? undefined : ready === "False" ? TAINT_NOT_READY : TAINT_UNREACHABLE;
  if (!key) return others;
  const kept = current.find((t) => t.key === key && t.effect === "NoExecute");
  return [...others, { key, effect: "NoSchedule" }, { key, effect: "NoExecute", timeAdded: str(kept?.timeAdded) ?? timestamp(now) }];
}

/** When the taint manager deletes this pod (ms since epoch), or undefined if it tolerates forever. */
function evictionDeadline(pod: KubeObject, taints: readonly Json[], now: Date, config: ControllerConfig): number | undefined {
  const tolerations = records(rec(pod.spec).tolerations);
  let deadline: number | undefined;
  for (const t of taints) {
    if (t.effect !== "NoExecute") continue;
    const taint: Taint = { key: str(t.key) ?? "", value: str(t.value) ?? "", effect: "NoExecute" };
    const since = timeMs(t.timeAdded) ?? now.getTime();
    const matching = tolerations.filter((tol) => tolerates([tol], taint));
    let at: number | undefined;
    if (matching.length === 0) {
      // Without a toleration the DefaultTolerationSeconds admission plugin would have given one of
      // podEvictionTimeout for these two taints; any other NoExecute taint evicts at once.
      at = LIFECYCLE_TAINTS.has(taint.key) ? since + config.podEvictionTimeoutMs : now.getTime();
    } else {
      const seconds = matching.map((tol) => (typeof tol.tolerationSeconds === "number" ? tol.tolerationSeconds : undefined));
      if (seconds.some((s) => s === undefined)) continue;
      at = since + Math.max(0, Math.min(...(seconds as number[]))) * 1000;
    }
    deadline = minDefined(deadline, at);
  }
  return deadline;
}

/**
 * `heartbeats` comes from NodeLeases when the loop has it; without it (tests, NodeLeases
 * unreachable) the snapshot's Lease rows count and every grace deadline is a requeue.
 */
export function reconcileNodes(snapshot: Snapshot, now: Date, config: ControllerConfig, heartbeats?: LeaseHeartbeats): { actions: Action[]; requeueAfterMs?: number } {
  const actions: Action[] = [];
  let requeue: number | undefined;
  // Pods matter only on a node not Ready or with a NoExecute taint: in a healthy cluster a
  // pass does not walk the pods (it runs on every pod change).
  let podsByNode: Map<string, KubeObject[]> | undefined;
  const podsOn = (nodeName: string): KubeObject[] => {
    if (!podsByNode) {
      podsByNode = new Map();
      for (const pod of snapshot.list(PODS)) {
        const on = str(rec(pod.spec).nodeName);
        if (!on || isDeleting(pod) || isTerminal(pod)) continue;
        const list = podsByNode.get(on);
        if (list) list.push(pod);
        else podsByNode.set(on, [pod]);
      }
    }
    return podsByNode.get(nodeName) ?? [];
  };
  for (const node of snapshot.list(NODES)) {
    if (isDeleting(node)) continue;
    const name = node.metadata.name ?? "";
    const alive = lastHeartbeat(snapshot, node, heartbeats);
    const staleAt = alive.ms + config.nodeMonitorGracePeriodMs;
    if (now.getTime() >= staleAt) {
      const conditions = unknownConditions(node, now);
      if (conditions) {
        actions.push({ type: "updateStatus", ref: NODES, object: { ...node, status: { ...rec(node.status), conditions } } });
        actions.push({ type: "event", regarding: node, eventType: "Normal", reason: "NodeNotReady", message: `Node ${name} status is now: NodeNotReady` });
        continue; // taints on the next pass: one write per node per pass
      }
    } else if (!alive.byLease) {
      requeue = minDefined(requeue, staleAt - now.getTime());
    }
    const readyCondition = conditionOf(node, "Ready");
    // A node that never reported is left alone until its grace period (from creation) runs out.
    if (!readyCondition) continue;
    const ready = str(readyCondition.status) ?? "Unknown";
    const taints = desiredTaints(node, ready, now);
    const current = records(rec(node.spec).taints);
    const key = (ts: Json[]) => ts.map((t) => `${t.key}:${t.effect}`).sort().join(",");
    if (key(taints) !== key(current)) {
      const spec = { ...rec(node.spec) };
      if (taints.length) spec.taints = taints;
      else delete spec.taints;
      actions.push({ type: "update", ref: NODES, object: { ...node, spec } });
    }
    if (ready === "True" && !current.some((t) => t.effect === "NoExecute")) continue;
    for (const pod of podsOn(name)) {
      const deadline = evictionDeadline(pod, current, now, config);
      if (deadline !== undefined && deadline <= now.getTime()) {
        actions.push({ type: "delete", ref: PODS, namespace: pod.metadata.namespace, name: pod.metadata.name ?? "", uid: pod.metadata.uid });
        actions.push({ type: "event", regarding: pod, eventType: "Normal", reason: "TaintManagerEviction", message: `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}` });
        continue;
      }
      if (deadline !== undefined) requeue = minDefined(requeue, deadline - now.getTime());
      if (ready === "True") continue;
      // MarkPodsNotReady: the kubelet cannot say so itself any more.
      const podConditions = withCondition(pod, { type: "Ready", status: "False" }, now);
      if (podConditions && str(conditionOf(pod, "Ready")?.status) === "True") {
        actions.push({ type: "updateStatus", ref: PODS, object: { ...pod, status: { ...rec(pod.status), conditions: podConditions } } });
        actions.push({ type: "event", regarding: pod, eventType: "Warning", reason: "NodeNotReady", message: "Node is not ready" });
      }
    }
  }
  return requeue === undefined ? { actions } : { actions, requeueAfterMs: Math.max(1, requeue) };
}

export const nodeLifecycleController: Controller = {
  name: "node-lifecycle",
  watches: [NODES, LEASES, PODS],
  usesHeartbeats: true,
  reconcile: ({ snapshot, now, config, heartbeats }) => reconcileNodes(snapshot, now, config, heartbeats),
};
