// The StatefulSet controller (pkg/controller/statefulset: stateful_set_control.go and
// stateful_set_utils.go) as a pure reconcile: stable pod names and claims per ordinal, ordered
// or parallel creation and deletion, ControllerRevisions, and rolling updates from the top down.
import { deepEqual } from "../../shared/deep-equal";
import type { KubeObject } from "../resources/types";
import type { Action, Controller, ReconcileResult, Snapshot } from "./types";
import { CONTROLLER_REVISIONS, PODS, PVCS, STATEFUL_SETS, claimObjects, clone, computeHash, controllerRefOf, inNamespace, isPodAvailable, isPodRunningAndReady, isTerminating, minDelay, msUntilAvailable, newControllerRef, podPhase, selectorOf, type CreateBudget } from "./workload-util";
import { num, rec, str, type Json } from "../../shared/json";

export const REVISION_LABEL = "controller-revision-hash";
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

interface SetPass {
  set: KubeObject;
  spec: Json;
  name: string;
  namespace: string | undefined;
  snapshot: Snapshot;
  now: Date;
  actions: Action[];
  events: Action[];
  budget: CreateBudget;
}

function ordinalOf(setName: string, pod: KubeObject): number | undefined {
  const name = pod.metadata.name ?? "";
  if (!name.startsWith(`${setName}-`)) return undefined;
  const rest = name.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

function event(p: SetPass, reason: string, message: string): void {
  p.events.push({ type: "event", regarding: p.set, eventType: "Normal", reason, message });
}

/** The revision payload upstream stores: a patch replacing spec.template. */
function revisionData(template: unknown): Json {
  return { spec: { template: { ...clone(rec(template)), $patch: "replace" } } };
}

function templateOf(revision: KubeObject): Json {
  const t = { ...rec(rec(rec(revision.data).spec).template) };
  delete t.$patch;
  return t;
}

function claimTemplates(p: SetPass): Json[] {
  return Array.isArray(p.spec.volumeClaimTemplates) ? p.spec.volumeClaimTemplates.map(rec) : [];
}

function claimName(p: SetPass, claim: Json, ordinal: number): string {
  return `${str(rec(claim.metadata).name) ?? ""}-${p.name}-${ordinal}`;
}

function retention(p: SetPass): { whenDeleted: string; whenScaled: string } {
  const r = rec(p.spec.persistentVolumeClaimRetentionPolicy);
  return { whenDeleted: str(r.whenDeleted) ?? "Retain", whenScaled: str(r.whenScaled) ?? "Retain" };
}

function ownerRef(o: KubeObject) {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? "", uid: o.metadata.uid ?? "" };
}

/** newStatefulSetPod: template, identity (name, hostname, subdomain, labels) and storage. */
function newPod(p: SetPass, ordinal: number, revision: KubeObject): KubeObject {
  const template = templateOf(revision);
  const meta = rec(template.metadata);
  const podName = `${p.name}-${ordinal}`;
  const spec = clone(rec(template.spec));
  const claims = claimTemplates(p);
  const claimNames = new Set(claims.map((c) => str(rec(c.metadata).name)));
  const volumes = (Array.isArray(spec.volumes) ? spec.volumes.map(rec) : []).filter((v) => !claimNames.has(str(v.name)));
  for (const c of claims) {
    volumes.push({ name: str(rec(c.metadata).name), persistentVolumeClaim: { claimName: claimName(p, c, ordinal) } });
  }
  if (volumes.length) spec.volumes = volumes;
  spec.hostname = podName;
  if (typeof p.spec.serviceName === "string" && p.spec.serviceName) spec.subdomain = p.spec.serviceName;
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName,
      namespace: p.namespace,
      labels: {
        ...(rec(meta.labels) as Record<string, string>),
        [POD_NAME_LABEL]: podName,
        [POD_INDEX_LABEL]: String(ordinal),
        [REVISION_LABEL]: revision.metadata.name ?? "",
      },
      ownerReferences: [newControllerRef(p.set)],
    },
    spec,
  };
  if (meta.annotations) pod.metadata.annotations = clone(meta.annotations as Record<string, string>);
  return pod;
}

/** createPersistentVolumeClaims / updateClaimOwnerRefs for one ordinal. */
function ensureClaims(p: SetPass, ordinal: number): void {
  const policy = retention(p);
  const selectorLabels = rec(rec(p.spec.selector).matchLabels) as Record<string, string>;
  for (const c of claimTemplates(p)) {
    const name = claimName(p, c, ordinal);
    const existing = p.snapshot.get(PVCS, p.namespace, name);
    const wantSetRef = policy.whenDeleted === "Delete";
    if (existing) {
      const refs = existing.metadata.ownerReferences ?? [];
      if (wantSetRef && !isTerminating(existing) && !refs.some((r) => r.uid === p.set.metadata.uid)) {
        p.actions.push({ type: "update", ref: PVCS, object: { ...clone(existing), metadata: { ...clone(existing.metadata), ownerReferences: [...refs, ownerRef(p.set)] } } });
      }
      continue;
    }
    const meta = rec(c.metadata);
    const claim: KubeObject = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, namespace: p.namespace, labels: { ...(rec(meta.labels) as Record<string, string>), ...selectorLabels } },
      spec: clone(rec(c.spec)),
    };
    if (meta.annotations) claim.metadata.annotations = clone(meta.annotations as Record<string, string>);
    if (wantSetRef) claim.metadata.ownerReferences = [ownerRef(p.set)];
    p.actions.push({ type: "create", ref: PVCS, object: claim });
    event(p, "SuccessfulCreate", `create Claim ${name} Pod ${p.name}-${ordinal} in StatefulSet ${p.name} success`);
  }
}

function deletePod(p: SetPass, pod: KubeObject): void {
  p.actions.push({ type: "delete", ref: PODS, namespace: p.namespace, name: pod.metadata.name ?? "", uid: pod.metadata.uid });
  event(p, "SuccessfulDelete", `delete Pod ${pod.metadata.name ?? ""} in StatefulSet ${p.name} successful`);
}

/** getStatefulSetRevisions: reuse an equal revision (renumbered if older), or create one. */
function revisions(p: SetPass, owned: KubeObject[]): { current: KubeObject; update: KubeObject; collided: boolean; history: KubeObject[] } {
  const history = owned.sort((a, b) => num(a.revision) - num(b.revision));
  const data = revisionData(p.spec.template);
  const collisionCount = num(rec(p.set.status).collisionCount);
  const next = num(history.at(-1)?.revision) + 1;
  const equal = history.filter((r) => deepEqual(r.data, data));
  const lastEqual = equal.at(-1);
  let update: KubeObject;
  let collided = false;
  if (lastEqual && lastEqual === history.at(-1)) {
    update = lastEqual;
  } else if (lastEqual) {
    update = { ...clone(lastEqual), revision: next };
    p.actions.push({ type: "update", ref: CONTROLLER_REVISIONS, object: update });
  } else {
    const name = `${p.name}-${computeHash(data, collisionCount || undefined)}`;
    update = {
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: { name, namespace: p.namespace, labels: clone(rec(rec(rec(p.spec.template).metadata).labels) as Record<string, string>), ownerReferences: [newControllerRef(p.set)] },
      data,
      revision: next,
    };
    if (p.snapshot.get(CONTROLLER_REVISIONS, p.namespace, name)) collided = true;
    else p.actions.push({ type: "create", ref: CONTROLLER_REVISIONS, object: update });
  }
  const currentName = str(rec(p.set.status).currentRevision);
  const current = history.find((r) => r.metadata.name === currentName) ?? update;
  return { current, update, collided, history };
}

function isHealthy(p: SetPass, pod: KubeObject | undefined): boolean {
  return pod !== undefined && !isTerminating(pod) && isPodRunningAndReady(pod) && isPodAvailable(pod, num(p.spec.minReadySeconds), p.now);
}

/** updateStatefulSet's ordered walk; returns early wherever upstream waits. */
function step(p: SetPass, pods: KubeObject[], current: KubeObject, update: KubeObject): void {
  const start = num(rec(p.spec.ordinals).start);
  const count = Math.max(0, num(p.spec.replicas, 1));
  const monotonic = p.spec.podManagementPolicy !== "Parallel";
  const strategy = rec(p.spec.updateStrategy);
  const rolling = str(strategy.type) !== "OnDelete";
  const partition = Math.max(0, num(rec(strategy.rollingUpdate).partition));
  const replicas: (KubeObject | undefined)[] = new Array<KubeObject | undefined>(count).fill(undefined);
  const condemned: KubeObject[] = [];
  for (const pod of pods) {
    const ord = ordinalOf(p.name, pod) ?? -1;
    if (ord >= start && ord < start + count) replicas[ord - start] = pod;
    else condemned.push(pod);
  }
  condemned.sort((a, b) => (ordinalOf(p.name, b) ?? 0) - (ordinalOf(p.name, a) ?? 0));
  const firstUnhealthy = [...replicas, ...[...condemned].reverse()].find((pod) => pod !== undefined && !isHealthy(p, pod));
  const currentReplicas = num(rec(p.set.status).currentReplicas);

  for (let i = 0; i < count; i++) {
    const pod = replicas[i];
    const ord = start + i;
    if (pod && (podPhase(pod) === "Failed" || podPhase(pod) === "Succeeded") && !isTerminating(pod)) {
      // Replaced with the same name and claims once this incarnation is gone.
      deletePod(p, pod);
      if (monotonic) return;
      continue;
    }
    if (!pod) {
      if (p.budget.creates <= 0) return;
      p.budget.creates--;
      const useCurrent = rolling && (strategy.rollingUpdate === undefined ? i < currentReplicas : i < partition);
      const revision = useCurrent ? current : update;
      ensureClaims(p, ord);
      p.actions.push({ type: "create", ref: PODS, object: newPod(p, ord, revision) });
      event(p, "SuccessfulCreate", `create Pod ${p.name}-${ord} in StatefulSet ${p.name} successful`);
      if (monotonic) return;
      continue;
    }
    if (isTerminating(pod)) {
      if (monotonic) return;
      continue;
    }
    if (!isHealthy(p, pod) && monotonic) return;
    ensureClaims(p, ord);
    const labels = pod.metadata.labels ?? {};
    if (labels[POD_NAME_LABEL] !== pod.metadata.name || labels[POD_INDEX_LABEL] !== String(ord)) {
      const fixed = clone(pod);
      fixed.metadata.labels = { ...labels, [POD_NAME_LABEL]: pod.metadata.name ?? "", [POD_INDEX_LABEL]: String(ord) };
      p.actions.push({ type: "update", ref: PODS, object: fixed });
    }
  }

  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return;
      continue;
    }
    if (!isHealthy(p, pod) && monotonic && pod !== firstUnhealthy) return;
    if (retention(p).whenScaled === "Delete") {
      const ord = ordinalOf(p.name, pod) ?? -1;
      for (const c of claimTemplates(p)) {
        const claim = p.snapshot.get(PVCS, p.namespace, claimName(p, c, ord));
        const refs = claim?.metadata.ownerReferences ?? [];
        if (claim && !refs.some((r) => r.uid === pod.metadata.uid)) {
          p.actions.push({ type: "update", ref: PVCS, object: { ...clone(claim), metadata: { ...clone(claim.metadata), ownerReferences: [...refs, ownerRef(pod)] } } });
        }
      }
    }
    deletePod(p, pod);
    if (monotonic) return;
  }

  if (!rolling) return;
  for (let target = count - 1; target >= partition; target--) {
    const pod = replicas[target];
    if (!pod) return;
    if (pod.metadata.labels?.[REVISION_LABEL] !== update.metadata.name && !isTerminating(pod)) {
      deletePod(p, pod);
      return;
    }
    if (!isHealthy(p, pod)) return;
  }
}

function reconcileStatefulSet(snapshot: Snapshot, set: KubeObject, now: Date, budget: CreateBudget): ReconcileResult {
  if (isTerminating(set)) return { actions: [] };
  const p: SetPass = {
    set, spec: rec(set.spec), name: set.metadata.name ?? "", namespace: set.metadata.namespace,
    snapshot, now, actions: [], events: [], budget,
  };
  const selector = selectorOf(p.spec.selector);
  const claimed = claimObjects(set, PODS, inNamespace(snapshot, PODS, p.namespace), selector, (pod) => ordinalOf(p.name, pod) !== undefined);
  p.actions.push(...claimed.actions);
  const pods = claimed.owned;
  const ownedRevisions = inNamespace(snapshot, CONTROLLER_REVISIONS, p.namespace).filter((r) => controllerRefOf(r)?.uid === set.metadata.uid);
  const { current, update, collided, history } = revisions(p, [...ownedRevisions]);
  const oldStatus = rec(set.status);
  if (collided) {
    const status = { ...oldStatus, collisionCount: num(oldStatus.collisionCount) + 1 };
    return { actions: [...p.actions, { type: "updateStatus", ref: STATEFUL_SETS, object: { ...clone(set), status } }] };
  }
  step(p, pods, current, update);

  const minReady = num(p.spec.minReadySeconds);
  const live = pods.filter((pod) => !isTerminating(pod));
  const status: Json = {
    observedGeneration: set.metadata.generation,
    replicas: pods.length,
    readyReplicas: pods.filter(isPodRunningAndReady).length,
    availableReplicas: pods.filter((pod) => isPodRunningAndReady(pod) && isPodAvailable(pod, minReady, now)).length,
    currentReplicas: live.filter((pod) => pod.metadata.labels?.[REVISION_LABEL] === current.metadata.name).length,
    updatedReplicas: live.filter((pod) => pod.metadata.labels?.[REVISION_LABEL] === update.metadata.name).length,
    currentRevision: current.metadata.name,
    updateRevision: update.metadata.name,
    collisionCount: num(oldStatus.collisionCount),
  };
  if (str(rec(p.spec.updateStrategy).type) !== "OnDelete" && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  if (Array.isArray(oldStatus.conditions)) status.conditions = oldStatus.conditions;
  const norm = (s: Json) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== 0 && v !== undefined));
  if (!deepEqual(norm(oldStatus), norm(status))) {
    p.actions.push({ type: "updateStatus", ref: STATEFUL_SETS, object: { ...clone(set), status } });
  }

  // truncateHistory: keep revisionHistoryLimit revisions beyond the live ones.
  const liveNames = new Set([status.currentRevision, status.updateRevision, ...pods.map((pod) => pod.metadata.labels?.[REVISION_LABEL])]);
  const nonLive = history.filter((r) => !liveNames.has(r.metadata.name));
  const limit = num(p.spec.revisionHistoryLimit, 10);
  for (const r of nonLive.slice(0, Math.max(0, nonLive.length - limit))) {
    p.actions.push({ type: "delete", ref: CONTROLLER_REVISIONS, namespace: p.namespace, name: r.metadata.name ?? "", uid: r.metadata.uid });
  }

  let requeueAfterMs: number | undefined;
  for (const pod of pods) requeueAfterMs = minDelay(requeueAfterMs, msUntilAvailable(pod, minReady, now));
  const actions = [...p.actions, ...p.events];
  return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
}

export const statefulSetController: Controller = {
  name: "statefulset-controller",
  watches: [STATEFUL_SETS, PODS, PVCS, CONTROLLER_REVISIONS],
  reconcile({ snapshot, now, config }) {
    const actions: Action[] = [];
    let requeueAfterMs: number | undefined;
    const budget: CreateBudget = { creates: config.maxCreatesPerPass };
    for (const set of snapshot.list(STATEFUL_SETS)) {
      const result = reconcileStatefulSet(snapshot, set, now, budget);
      actions.push(...result.actions);
      requeueAfterMs = minDelay(requeueAfterMs, result.requeueAfterMs);
    }
    return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
  },
};
