// The Deployment controller's sync steps (pkg/controller/deployment/sync.go and progress.go): one
// pass's working copies, finding and creating the new ReplicaSet, scaling, cleanup and status.
import type { KubeObject } from "../resources/types";
import {
  ANNOTATIONS_NOT_COPIED,
  DESIRED_REPLICAS_ANNOTATION,
  HASH_LABEL,
  MAX_REPLICAS_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  annotationInt,
  byCreation,
  calculateStatus,
  equalIgnoringHash,
  getCondition,
  isComplete,
  isProgressing,
  isRollingUpdate,
  isSubset,
  maxSurge,
  msToDeadline,
  newCondition,
  progressDeadlineSeconds,
  removeCondition,
  replicasOf,
  revisionOf,
  setCondition,
  specOf,
  specReplicas,
} from "./deployment-util";
import type { Action, Snapshot } from "./types";
import { REPLICA_SETS, clone, computeHash, isTerminating, newControllerRef } from "./workload-util";
import { num, rec, type Json } from "../../shared/json";

/** One pass over one Deployment: working copies plus what to write at the end. */
export interface DeploymentPass {
  snapshot: Snapshot;
  d: KubeObject;
  now: Date;
  /** Owned ReplicaSets by name, as this pass has changed them. */
  rss: Map<string, KubeObject>;
  created: Set<string>;
  /** The Deployment's status as upstream's in-memory `d.Status` (conditions set on the way). */
  status: Json;
  annotations: Record<string, string>;
  deletes: Action[];
  events: Action[];
  /** Stop after the status write (a hash collision was found). */
  collided: boolean;
}

export function event(pass: DeploymentPass, reason: string, message: string, type: "Normal" | "Warning" = "Normal"): void {
  pass.events.push({ type: "event", regarding: pass.d, eventType: type, reason, message });
}

function setAnnotation(rs: KubeObject, key: string, value: string): void {
  rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), [key]: value };
}

function setReplicasAnnotations(pass: DeploymentPass, rs: KubeObject): void {
  const desired = replicasOf(pass.d);
  if (annotationInt(rs, DESIRED_REPLICAS_ANNOTATION) !== desired) setAnnotation(rs, DESIRED_REPLICAS_ANNOTATION, String(desired));
  const max = desired + maxSurge(pass.d);
  if (annotationInt(rs, MAX_REPLICAS_ANNOTATION) !== max) setAnnotation(rs, MAX_REPLICAS_ANNOTATION, String(max));
}

/** scaleReplicaSet: size and replica annotations, with a ScalingReplicaSet event when the size moves. */
export function scaleRS(pass: DeploymentPass, rs: KubeObject, newScale: number, operation: string): void {
  const old = replicasOf(rs);
  rs.spec = { ...specOf(rs), replicas: newScale };
  setReplicasAnnotations(pass, rs);
  if (old !== newScale) event(pass, "ScalingReplicaSet", `Scaled ${operation} replica set ${rs.metadata.name ?? ""} from ${old} to ${newScale}`);
}

/** scaleReplicaSetAndRecordEvent: nothing when the size is already right. */
export function scaleRSAndRecord(pass: DeploymentPass, rs: KubeObject, newScale: number): boolean {
  const old = replicasOf(rs);
  if (old === newScale) return false;
  scaleRS(pass, rs, newScale, old > newScale ? "down" : "up");
  return true;
}

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: KubeObject, all: readonly KubeObject[], newRS: KubeObject): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = specReplicas(all);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  return replicasOf(newRS) + Math.max(0, Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS)));
}

function setDeploymentRevision(pass: DeploymentPass, revision: string | undefined): void {
  if (revision !== undefined && pass.annotations[REVISION_ANNOTATION] !== revision) pass.annotations[REVISION_ANNOTATION] = revision;
}

/** SetNewReplicaSetAnnotations: copied annotations, revision bump (with history on a rollback), replica annotations on create. */
function setNewRSAnnotations(pass: DeploymentPass, rs: KubeObject, newRevision: number, exists: boolean): void {
  for (const [k, v] of Object.entries(pass.d.metadata.annotations ?? {})) {
    if (!ANNOTATIONS_NOT_COPIED.has(k) && rs.metadata.annotations?.[k] !== v) setAnnotation(rs, k, v);
  }
  const oldRevision = rs.metadata.annotations?.[REVISION_ANNOTATION];
  if (oldRevision !== undefined && !/^\d+$/.test(oldRevision)) return;
  if (Number(oldRevision ?? "0") < newRevision) {
    setAnnotation(rs, REVISION_ANNOTATION, String(newRevision));
    if (oldRevision !== undefined) {
      const history = rs.metadata.annotations?.[REVISION_HISTORY_ANNOTATION];
      setAnnotation(rs, REVISION_HISTORY_ANNOTATION, history ? `${history},${oldRevision}` : oldRevision);
    }
  }
  if (!exists) setReplicasAnnotations(pass, rs);
}

/** FindNewReplicaSet: the oldest owned set whose template equals the Deployment's (ignoring the hash label). */
function findNewRS(pass: DeploymentPass, hash: string): KubeObject | undefined {
  const template = specOf(pass.d).template;
  const sorted = [...pass.rss.values()].sort(byCreation);
  const equal = sorted.find((rs) => equalIgnoringHash(specOf(rs).template, template));
  if (equal) return equal;
  // The server may have defaulted the stored copy differently; the name and hash label still identify it.
  return sorted.find(
    (rs) => rs.metadata.labels?.[HASH_LABEL] === hash && rs.metadata.name === `${pass.d.metadata.name ?? ""}-${hash}` && isSubset(template, specOf(rs).template),
  );
}

/** getAllReplicaSetsAndSyncRevision: find (or create) the new ReplicaSet; the others are old. */
export function getAllReplicaSets(pass: DeploymentPass, createIfMissing: boolean): { newRS?: KubeObject; oldRSs: KubeObject[] } {
  const { d } = pass;
  const hash = computeHash(specOf(d).template, pass.status.collisionCount === undefined ? undefined : num(pass.status.collisionCount));
  const found = findNewRS(pass, hash);
  const oldRSs = [...pass.rss.values()].filter((rs) => rs !== found);
  const newRevision = Math.max(0, ...oldRSs.map(revisionOf)) + 1;
  const deadline = progressDeadlineSeconds(d);
  if (found) {
    setNewRSAnnotations(pass, found, newRevision, true);
    const minReady = num(specOf(d).minReadySeconds);
    if (num(specOf(found).minReadySeconds) !== minReady) found.spec = { ...specOf(found), minReadySeconds: minReady };
    setDeploymentRevision(pass, found.metadata.annotations?.[REVISION_ANNOTATION]);
    if (deadline !== undefined && !getCondition(pass.status, "Progressing")) {
      setCondition(pass.status, newCondition("Progressing", "True", "FoundNewReplicaSet", `Found new replica set "${found.metadata.name ?? ""}"`, pass.now));
    }
    return { newRS: found, oldRSs };
  }
  if (!createIfMissing) return { oldRSs };
  const name = `${d.metadata.name ?? ""}-${hash}`;
  if (pass.snapshot.get(REPLICA_SETS, d.metadata.namespace, name)) {
    // Another object holds the name this template hashes to: bump collisionCount and rehash next pass.
    pass.status.collisionCount = num(pass.status.collisionCount) + 1;
    pass.collided = true;
    return { oldRSs };
  }
  const template = clone(rec(specOf(d).template));
  const meta = rec(template.metadata);
  meta.labels = { ...rec(meta.labels), [HASH_LABEL]: hash };
  template.metadata = meta;
  const selector = clone(rec(specOf(d).selector));
  selector.matchLabels = { ...rec(selector.matchLabels), [HASH_LABEL]: hash };
  const newRS: KubeObject = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace: d.metadata.namespace,
      labels: clone(meta.labels as Record<string, string>),
      ownerReferences: [newControllerRef(d)],
    },
    spec: { replicas: 0, minReadySeconds: num(specOf(d).minReadySeconds), selector, template },
  };
  const replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  newRS.spec = { ...specOf(newRS), replicas };
  setNewRSAnnotations(pass, newRS, newRevision, false);
  pass.rss.set(name, newRS);
  pass.created.add(name);
  if (replicas > 0) event(pass, "ScalingReplicaSet", `Scaled up replica set ${name} from 0 to ${replicas}`);
  setDeploymentRevision(pass, String(newRevision));
  if (deadline !== undefined) {
    const cond = newCondition("Progressing", "True", "NewReplicaSetCreated", `Created new replica set "${name}"`, pass.now);
    removeCondition(pass.status, "Progressing");
    setCondition(pass.status, cond);
  }
  return { newRS, oldRSs };
}

const active = (rs: KubeObject) => replicasOf(rs) > 0;

/** scale(): a scaling event outside a rollout, proportionally across the active sets (sync.go). */
function scale(pass: DeploymentPass, newRS: KubeObject | undefined, oldRSs: KubeObject[]): void {
  const { d } = pass;
  const desired = replicasOf(d);
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  const activeRSs = all.filter(active);
  if (activeRSs.length <= 1) {
    const target = activeRSs[0] ?? newRS ?? [...oldRSs].sort(byCreation).at(-1);
    if (target && replicasOf(target) !== desired) scaleRSAndRecord(pass, target, desired);
    return;
  }
  if (newRS && newRS.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] === String(desired) && num(rec(newRS.status).availableReplicas) === desired && replicasOf(newRS) === desired) {
    for (const old of oldRSs.filter(active)) scaleRSAndRecord(pass, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(activeRSs);
  const newer = (a: KubeObject, b: KubeObject) => replicasOf(b) - replicasOf(a) || byCreation(b, a);
  const older = (a: KubeObject, b: KubeObject) => replicasOf(b) - replicasOf(a) || byCreation(a, b);
  activeRSs.sort(toAdd > 0 ? newer : older);
  const operation = toAdd > 0 ? "up" : toAdd < 0 ? "down" : "";
  const sizes = new Map<KubeObject, number>();
  let added = 0;
  for (const rs of activeRSs) {
    let proportion = 0;
    if (toAdd !== 0 && toAdd !== added) {
      const annotated = annotationInt(rs, MAX_REPLICAS_ANNOTATION) ?? num(pass.status.replicas);
      const fraction = desired === 0 ? -replicasOf(rs) : Math.round((replicasOf(rs) * (desired + maxSurge(d))) / (annotated || 1)) - replicasOf(rs);
      proportion = toAdd > 0 ? Math.min(fraction, toAdd - added) : Math.max(fraction, toAdd - added);
    }
    sizes.set(rs, replicasOf(rs) + proportion);
    added += proportion;
  }
  activeRSs.forEach((rs, i) => {
    let size = sizes.get(rs) ?? replicasOf(rs);
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
    scaleRS(pass, rs, size, operation);
  });
}

/** isScalingEvent: an active set's desired-replicas annotation disagrees with spec.replicas. */
export function isScalingEvent(pass: DeploymentPass): boolean {
  const { newRS, oldRSs } = getAllReplicaSets(pass, false);
  return [...oldRSs, ...(newRS ? [newRS] : [])]
    .filter(active)
    .some((rs) => {
      const v = annotationInt(rs, DESIRED_REPLICAS_ANNOTATION);
      return v !== undefined && v !== replicasOf(pass.d);
    });
}

/** cleanupDeployment: delete old sets at zero beyond revisionHistoryLimit, lowest revision first. */
export function cleanupDeployment(pass: DeploymentPass, oldRSs: readonly KubeObject[]): void {
  const limit = num(specOf(pass.d).revisionHistoryLimit, 10);
  const cleanable = oldRSs.filter((rs) => !isTerminating(rs) && !pass.created.has(rs.metadata.name ?? ""));
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  const sorted = [...cleanable].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  for (const rs of sorted.slice(0, diff)) {
    const st = rec(rs.status);
    if (num(st.replicas) !== 0 || replicasOf(rs) !== 0) continue;
    if (num(rs.metadata.generation) > num(st.observedGeneration, num(rs.metadata.generation))) continue;
    pass.deletes.push({ type: "delete", ref: REPLICA_SETS, namespace: rs.metadata.namespace, name: rs.metadata.name ?? "", uid: rs.metadata.uid });
  }
}

/** syncRolloutStatus: status with the Progressing condition moved on (progress, completion, timeout). */
export function rolloutStatus(pass: DeploymentPass, newRS: KubeObject | undefined, all: readonly KubeObject[]): Json {
  const { d } = pass;
  const next = calculateStatus(d, all, newRS, pass.status, pass.now);
  const deadline = progressDeadlineSeconds(d);
  if (deadline === undefined) {
    removeCondition(next, "Progressing");
    return next;
  }
  const current = getCondition(pass.status, "Progressing");
  const completeAlready = next.replicas === next.updatedReplicas && current?.reason === "NewReplicaSetAvailable";
  if (completeAlready) return next;
  const rsName = newRS?.metadata.name ?? "";
  if (isComplete(d, next)) {
    setCondition(next, newCondition("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "${rsName}" has successfully progressed.`, pass.now));
  } else if (isProgressing(rec(d.status), next)) {
    const cond = newCondition("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "${rsName}" is progressing.`, pass.now);
    if (current?.status === "True") cond.lastTransitionTime = current.lastTransitionTime;
    removeCondition(next, "Progressing");
    setCondition(next, cond);
  } else if ((msToDeadline(d, pass.status, pass.now) ?? 1) <= 0 || current?.reason === "ProgressDeadlineExceeded") {
    setCondition(next, newCondition("Progressing", "False", "ProgressDeadlineExceeded", `ReplicaSet "${rsName}" has timed out progressing.`, pass.now));
  }
  return next;
}

/** checkPausedConditions: Progressing Unknown while paused, "resumed" after. */
export function checkPaused(pass: DeploymentPass): void {
  if (progressDeadlineSeconds(pass.d) === undefined) return;
  const cond = getCondition(pass.status, "Progressing");
  if (cond?.reason === "ProgressDeadlineExceeded") return;
  const pausedCond = cond?.reason === "DeploymentPaused";
  if (specOf(pass.d).paused === true && !pausedCond) {
    setCondition(pass.status, newCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", pass.now));
  } else if (specOf(pass.d).paused !== true && pausedCond) {
    setCondition(pass.status, newCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", pass.now));
  }
}

/** sync(): scaling only (paused deployments and scaling events); cleanup when paused. */
export function syncOnly(pass: DeploymentPass): Json {
  const { newRS, oldRSs } = getAllReplicaSets(pass, false);
  scale(pass, newRS, oldRSs);
  if (specOf(pass.d).paused === true) cleanupDeployment(pass, oldRSs);
  return calculateStatus(pass.d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS, pass.status, pass.now);
}

