// Deployment arithmetic and status (pkg/controller/deployment/util/deployment_util.go and
// progress.go): surge/unavailable fenceposts, replica sums over ReplicaSets, revisions,
// template equality ignoring pod-template-hash, and the Available/Progressing conditions.
import { deepEqual } from "../../shared/deep-equal";
import type { KubeObject } from "../resources/types";
import { timestamp } from "../../shared/time";
import { clone, scaledValue } from "./workload-util";
import { isRecord, num, rec, str, type Json } from "../../shared/json";

export const HASH_LABEL = "pod-template-hash";
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas";
/** Deployment annotations never copied onto its ReplicaSets (annotationsToSkip upstream). */
export const ANNOTATIONS_NOT_COPIED = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  "deprecated.deployment.rollback.to",
]);
const MAX_INT32 = 2_147_483_647;

export function specOf(o: KubeObject): Json {
  return rec(o.spec);
}

export function replicasOf(o: KubeObject): number {
  return num(specOf(o).replicas, 1);
}

export function isRollingUpdate(d: KubeObject): boolean {
  return str(rec(specOf(d).strategy).type) !== "Recreate";
}

/** ResolveFenceposts: surge rounds up, unavailable down; both zero means one unavailable. */
export function fenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const desired = replicasOf(d);
  const rolling = rec(rec(specOf(d).strategy).rollingUpdate);
  const surge = scaledValue(rolling.maxSurge ?? "25%", desired, true) ?? 0;
  const unavailable = scaledValue(rolling.maxUnavailable ?? "25%", desired, false) ?? 0;
  if (surge === 0 && unavailable === 0) return { surge: 0, unavailable: 1 };
  return { surge, unavailable };
}

export function maxSurge(d: KubeObject): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: KubeObject): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicasOf(d));
}

/** Sum of spec.replicas. */
export function specReplicas(rss: readonly KubeObject[]): number {
  return rss.reduce((n, rs) => n + replicasOf(rs), 0);
}

export function statusCount(rss: readonly KubeObject[], field: string): number {
  return rss.reduce((n, rs) => n + num(rec(rs.status)[field]), 0);
}

export function revisionOf(rs: KubeObject): number {
  const v = Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? "0");
  return Number.isInteger(v) ? v : 0;
}

export function annotationInt(rs: KubeObject, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

function withoutHash(template: unknown): Json {
  const t = clone(rec(template));
  const meta = rec(t.metadata);
  if (isRecord(meta.labels)) {
    delete meta.labels[HASH_LABEL];
    if (Object.keys(meta.labels).length === 0) delete meta.labels;
  }
  if (isRecord(t.metadata) && Object.keys(meta).length === 0) delete t.metadata;
  return t;
}

/** EqualIgnoreHash on two pod templates. */
export function equalIgnoringHash(a: unknown, b: unknown): boolean {
  return deepEqual(withoutHash(a), withoutHash(b));
}

/** Every member of `small` is in `big` with the same value (arrays element-wise, same length). */
export function isSubset(small: unknown, big: unknown): boolean {
  if (Array.isArray(small)) {
    return Array.isArray(big) && big.length === small.length && small.every((x, i) => isSubset(x, big[i]));
  }
  if (isRecord(small)) {
    return isRecord(big) && Object.entries(small).every(([k, v]) => v === undefined || isSubset(v, big[k]));
  }
  return small === big;
}

/** Old before new, ties by name (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? "") || Number.MAX_SAFE_INTEGER;
  const tb = Date.parse(b.metadata.creationTimestamp ?? "") || Number.MAX_SAFE_INTEGER;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1;
}


export interface DeploymentCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export function conditionsOf(status: Json): DeploymentCondition[] {
  return Array.isArray(status.conditions) ? (status.conditions as DeploymentCondition[]) : [];
}

export function getCondition(status: Json, type: string): DeploymentCondition | undefined {
  return conditionsOf(status).find((c) => c.type === type);
}

export function newCondition(type: string, status: DeploymentCondition["status"], reason: string, message: string, now: Date): DeploymentCondition {
  const t = timestamp(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** SetDeploymentCondition: same status and reason is no change; same status keeps the transition time. */
export function setCondition(status: Json, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...conditionsOf(status).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: Json, type: string): void {
  status.conditions = conditionsOf(status).filter((c) => c.type !== type);
}

export function progressDeadlineSeconds(d: KubeObject): number | undefined {
  const v = specOf(d).progressDeadlineSeconds;
  const s = v === undefined ? 600 : num(v, MAX_INT32);
  return s >= MAX_INT32 ? undefined : s;
}

/** calculateStatus: counts from the ReplicaSets, conditions carried from `status`, Available recomputed. */
export function calculateStatus(d: KubeObject, all: readonly KubeObject[], newRS: KubeObject | undefined, status: Json, now: Date): Json {
  const available = statusCount(all, "availableReplicas");
  const next: Json = {
    observedGeneration: d.metadata.generation,
    replicas: statusCount(all, "replicas"),
    updatedReplicas: newRS ? statusCount([newRS], "replicas") : 0,
    readyReplicas: statusCount(all, "readyReplicas"),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(all) - available),
    conditions: clone(conditionsOf(status)),
  };
  if (status.collisionCount !== undefined) next.collisionCount = status.collisionCount;
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(next, newCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now));
  } else {
    setCondition(next, newCondition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now));
  }
  return next;
}

/** DeploymentComplete. */
export function isComplete(d: KubeObject, s: Json): boolean {
  const r = replicasOf(d);
  return (
    num(s.updatedReplicas) === r &&
    num(s.replicas) === r &&
    num(s.availableReplicas) === r &&
    num(s.observedGeneration, -1) >= num(d.metadata.generation)
  );
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available than before. */
export function isProgressing(old: Json, next: Json): boolean {
  const oldOld = num(old.replicas) - num(old.updatedReplicas);
  const newOld = num(next.replicas) - num(next.updatedReplicas);
  return (
    num(next.updatedReplicas) > num(old.updatedReplicas) ||
    newOld < oldOld ||
    num(next.readyReplicas) > num(old.readyReplicas) ||
    num(next.availableReplicas) > num(old.availableReplicas)
  );
}

/** Milliseconds until the progress deadline passes (<= 0: passed); undefined when not applicable. */
export function msToDeadline(d: KubeObject, status: Json, now: Date): number | undefined {
  const deadline = progressDeadlineSeconds(d);
  const cond = getCondition(status, "Progressing");
  if (deadline === undefined || !cond || cond.reason === "NewReplicaSetAvailable" || cond.reason === "ProgressDeadlineExceeded") {
    return undefined;
  }
  if (cond.reason === "DeploymentPaused") return undefined;
  const from = Date.parse(cond.lastUpdateTime);
  return Number.isNaN(from) ? undefined : from + deadline * 1000 - now.getTime();
}

/** Status compared with zero-valued and absent fields taken as the same (omitempty). */
export function statusEqual(a: unknown, b: unknown): boolean {
  const norm = (s: unknown) => Object.fromEntries(Object.entries(rec(s)).filter(([, v]) => v !== 0 && v !== undefined && !(Array.isArray(v) && v.length === 0)));
  return deepEqual(norm(a), norm(b));
}
