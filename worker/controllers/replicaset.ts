// The ReplicaSet controller (pkg/controller/replicaset/replica_set.go) as a pure reconcile:
// claim the pods the selector picks, create or delete to reach spec.replicas (least valuable
// pods first), and recompute status every pass, writing it only when it changed.
import { deepEqual } from "../../shared/deep-equal";
import { matchLabels } from "../../shared/selectors";
import type { KubeObject } from "../resources/types";
import type { Action, Controller, ReconcileResult, Snapshot } from "./types";
import { PODS, REPLICA_SETS, claimObjects, type CreateBudget, clone, inNamespace, isPodActive, isPodAvailable, isPodReady, isTerminating, leastValuableFirst, minDelay, msUntilAvailable, newControllerRef, selectorOf } from "./workload-util";
import { num, rec } from "../../shared/json";

/** controller.GetPodFromTemplate for a ReplicaSet: the server picks the name suffix. */
export function podFromTemplate(rs: KubeObject): KubeObject {
  const template = rec(rec(rs.spec).template);
  const meta = rec(template.metadata);
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${rs.metadata.name ?? ""}-`,
      namespace: rs.metadata.namespace,
      ownerReferences: [newControllerRef(rs)],
    },
    spec: clone(rec(template.spec)),
  };
  if (meta.labels) pod.metadata.labels = clone(meta.labels as Record<string, string>);
  if (meta.annotations) pod.metadata.annotations = clone(meta.annotations as Record<string, string>);
  if (Array.isArray(meta.finalizers)) pod.metadata.finalizers = clone(meta.finalizers as string[]);
  return pod;
}

/** Template labels all present on the pod (status.fullyLabeledReplicas). */
function fullyLabeled(pod: KubeObject, templateLabels: Record<string, string>): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(templateLabels).every(([k, v]) => labels[k] === v);
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration?: number;
  conditions?: unknown[];
}

function calculateStatus(rs: KubeObject, active: readonly KubeObject[], now: Date): ReplicaSetStatus {
  const spec = rec(rs.spec);
  const templateLabels = (rec(rec(spec.template).metadata).labels ?? {}) as Record<string, string>;
  const minReady = num(spec.minReadySeconds);
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => fullyLabeled(p, templateLabels)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
  };
  if (rs.metadata.generation !== undefined) status.observedGeneration = rs.metadata.generation;
  const old = rec(rs.status);
  if (Array.isArray(old.conditions) && old.conditions.length) status.conditions = old.conditions;
  return status;
}

/** Compare the fields this controller owns, so absent zeroes on the stored status are no change. */
function statusEqual(old: unknown, next: ReplicaSetStatus): boolean {
  const o = rec(old);
  return (
    num(o.replicas) === next.replicas &&
    num(o.fullyLabeledReplicas) === next.fullyLabeledReplicas &&
    num(o.readyReplicas) === next.readyReplicas &&
    num(o.availableReplicas) === next.availableReplicas &&
    o.observedGeneration === next.observedGeneration &&
    deepEqual(o.conditions ?? [], next.conditions ?? [])
  );
}

export function reconcileReplicaSet(
  snapshot: Snapshot,
  rs: KubeObject,
  now: Date,
  budget: CreateBudget,
): ReconcileResult {
  const actions: Action[] = [];
  if (isTerminating(rs)) return { actions };
  const spec = rec(rs.spec);
  const selector = selectorOf(spec.selector);
  const claimed = claimObjects(rs, PODS, inNamespace(snapshot, PODS, rs.metadata.namespace), selector);
  actions.push(...claimed.actions);
  const active = claimed.owned.filter(isPodActive);
  const desired = Math.max(0, num(spec.replicas, 1));
  const events: Action[] = [];
  const templateLabels = rec(rec(spec.template).metadata).labels as Record<string, string> | undefined;

  if (selector === null || selector.length === 0 || !matchLabels(selector, templateLabels)) {
    // Validation normally rejects this; a set that can never see its own pods must not create forever.
    if (rs.metadata.generation !== num(rec(rs.status).observedGeneration, -1)) {
      events.push({
        type: "event",
        regarding: rs,
        eventType: "Warning",
        reason: "SelectorMismatch",
        message: "spec.selector does not match the template's labels; no pods will be created",
      });
    }
  } else if (active.length < desired) {
    const count = Math.min(desired - active.length, budget.creates);
    budget.creates -= count;
    for (let i = 0; i < count; i++) {
      const pod = podFromTemplate(rs);
      // The server picks the suffix from generateName, so the event is recorded after the create.
      actions.push({
        type: "create",
        ref: PODS,
        object: pod,
        event: { regarding: rs, eventType: "Normal", reason: "SuccessfulCreate", message: "Created pod: {name}" },
      });
    }
  } else if (active.length > desired) {
    for (const pod of leastValuableFirst(active).slice(0, active.length - desired)) {
      const name = pod.metadata.name ?? "";
      actions.push({ type: "delete", ref: PODS, namespace: rs.metadata.namespace, name, uid: pod.metadata.uid });
      events.push({ type: "event", regarding: rs, eventType: "Normal", reason: "SuccessfulDelete", message: `Deleted pod: ${name}` });
    }
  }

  const status = calculateStatus(rs, active, now);
  if (!statusEqual(rs.status, status)) {
    actions.push({ type: "updateStatus", ref: REPLICA_SETS, object: { ...clone(rs), status: { ...rec(rs.status), ...status } } });
  }
  actions.push(...events);

  let requeueAfterMs: number | undefined;
  const minReady = num(spec.minReadySeconds);
  for (const pod of active) requeueAfterMs = minDelay(requeueAfterMs, msUntilAvailable(pod, minReady, now));
  return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
}

export const replicaSetController: Controller = {
  name: "replicaset-controller",
  watches: [REPLICA_SETS, PODS],
  reconcile({ snapshot, now, config }) {
    const actions: Action[] = [];
    let requeueAfterMs: number | undefined;
    const budget: CreateBudget = { creates: config.maxCreatesPerPass };
    for (const rs of snapshot.list(REPLICA_SETS)) {
      const result = reconcileReplicaSet(snapshot, rs, now, budget);
      actions.push(...result.actions);
      requeueAfterMs = minDelay(requeueAfterMs, result.requeueAfterMs);
    }
    // A spent budget may have left pods uncreated; the pass after next sees (and makes) them.
    const backlog = budget.creates <= 0;
    const result: ReconcileResult = requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
    return backlog ? { ...result, backlog } : result;
  },
};
