// The Deployment controller (pkg/controller/deployment: sync.go, rolling.go, recreate.go,
// progress.go) as a pure reconcile. Each pass edits working copies of the owned ReplicaSets and
// emits one write per object that actually changed, then the recomputed status.
import { deepEqual } from "../../shared/deep-equal";
import type { KubeObject } from "../resources/types";
import { isComplete, isRollingUpdate, msToDeadline, specOf, statusCount, statusEqual } from "./deployment-util";
import type { Action, Controller, ReconcileResult, Snapshot } from "./types";
import { DEPLOYMENTS, PODS, REPLICA_SETS, claimObjects, clone, inNamespace, isTerminating, minDelay, podPhase, selectorOf } from "./workload-util";
import { num, rec, type Json } from "../../shared/json";
import { rolloutRecreate, rolloutRolling } from "./deployment-rollout";
import { checkPaused, event, isScalingEvent, syncOnly, type DeploymentPass } from "./deployment-sync";

function reconcileDeployment(snapshot: Snapshot, d: KubeObject, now: Date): ReconcileResult {
  if (isTerminating(d)) return { actions: [] };
  const actions: Action[] = [];
  const selector = selectorOf(specOf(d).selector);
  const pass: DeploymentPass = {
    snapshot, d, now, rss: new Map(), created: new Set(), status: clone(rec(d.status)),
    annotations: { ...(d.metadata.annotations ?? {}) }, deletes: [], events: [], collided: false,
  };
  if (selector === null || selector.length === 0) {
    if (num(rec(d.status).observedGeneration, -1) !== num(d.metadata.generation)) {
      event(pass, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.", "Warning");
      actions.push({ type: "updateStatus", ref: DEPLOYMENTS, object: { ...clone(d), status: { ...pass.status, observedGeneration: d.metadata.generation } } });
    }
    return { actions: [...actions, ...pass.events] };
  }
  const claimed = claimObjects(d, REPLICA_SETS, inNamespace(snapshot, REPLICA_SETS, d.metadata.namespace), selector);
  const originals = new Map<string, KubeObject>();
  for (const rs of claimed.owned) {
    const name = rs.metadata.name ?? "";
    originals.set(name, snapshot.get(REPLICA_SETS, rs.metadata.namespace, name) ?? rs);
    pass.rss.set(name, clone(rs));
  }
  // Releases go out as they are; adoptions are folded into the one update per set below.
  actions.push(...claimed.actions.filter((a) => a.type === "update" && !pass.rss.has(a.object.metadata.name ?? "")));

  checkPaused(pass);
  let status: Json;
  if (specOf(d).paused === true || isScalingEvent(pass)) {
    status = syncOnly(pass);
  } else {
    const oldPodsRunning = (olds: readonly KubeObject[]) =>
      statusCount(olds, "replicas") > 0 ||
      olds.some((rs) => snapshot.ownedBy(rs.metadata.uid ?? "").some(({ ref, object }) => ref.resource === PODS.resource && ref.group === "" && !["Failed", "Succeeded"].includes(podPhase(object))));
    status = isRollingUpdate(d) ? rolloutRolling(pass) : rolloutRecreate(pass, oldPodsRunning);
  }
  if (pass.collided) status = { ...rec(d.status), collisionCount: pass.status.collisionCount };

  for (const [name, rs] of pass.rss) {
    if (pass.created.has(name)) actions.push({ type: "create", ref: REPLICA_SETS, object: rs });
    else if (!deepEqual(originals.get(name), rs)) actions.push({ type: "update", ref: REPLICA_SETS, object: rs });
  }
  actions.push(...pass.deletes);
  const annotate = !deepEqual(pass.annotations, d.metadata.annotations ?? {});
  if (annotate) {
    // The revision annotation is metadata (status writes keep the stored metadata), so it is its own write.
    actions.push({ type: "update", ref: DEPLOYMENTS, object: { ...clone(d), metadata: { ...clone(d.metadata), annotations: pass.annotations } } });
  }
  if (!statusEqual(d.status, status)) {
    const object = { ...clone(d), status };
    // After the annotation write our resourceVersion is stale; this status was computed from the
    // same spec, so it goes without the precondition (the status PUT keeps everything else).
    if (annotate) delete object.metadata.resourceVersion;
    actions.push({ type: "updateStatus", ref: DEPLOYMENTS, object });
  }
  actions.push(...pass.events);
  const wait = msToDeadline(d, status, now);
  return wait !== undefined && wait > 0 && !isComplete(d, status) ? { actions, requeueAfterMs: wait + 1 } : { actions };
}

export const deploymentController: Controller = {
  name: "deployment-controller",
  watches: [DEPLOYMENTS, REPLICA_SETS, PODS],
  reconcile({ snapshot, now }) {
    const actions: Action[] = [];
    let requeueAfterMs: number | undefined;
    for (const d of snapshot.list(DEPLOYMENTS)) {
      const result = reconcileDeployment(snapshot, d, now);
      actions.push(...result.actions);
      requeueAfterMs = minDelay(requeueAfterMs, result.requeueAfterMs);
    }
    return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
  },
};
