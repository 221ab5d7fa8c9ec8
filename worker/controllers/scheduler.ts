// kube-scheduler as a pure pass: every pending pod is filtered against every node (node-static
// predicates cached per distinct pod constraints), scored by least-allocated + owner spreading,
// and bound; node usage is computed once per pass and updated as pods are placed. A pod found
// Unschedulable waits, as in kube-scheduler's unschedulable queue, until something that could
// make room or a place for it changes.
import type { KubeObject } from "../resources/types";
import { canonicalJson, isDeleting, NODES, nsName, PODS, PVCS, PVS, STORAGE_CLASSES, timeMs, withCondition } from "./controller-util";
import { records, rec, str, type Json } from "../../shared/json";
import {
  addPod,
  holdsResources,
  matchesNodeSelection,
  matchNodeSelectorTerms,
  newNodeInfo,
  nodeSelectionOf,
  podHostPorts,
  podRequests,
  portsConflict,
  schedulable,
  tolerates,
  untoleratedTaint,
  type NodeInfo,
} from "./scheduler-nodes";
import type { Action, CacheChange, Controller, ReconcileResult, ResourceRef, Snapshot } from "./types";

export const SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node";
/** PodTopologySpread's default weight relative to NodeResourcesFit (1). */
const SPREAD_WEIGHT = 2;
const MAX_NODE_SCORE = 100;
/** When the write budget ran out, come back soon for the rest of the queue. */
const BACKLOG_REQUEUE_MS = 100;

const REASON_UNSCHEDULABLE = "node(s) were unschedulable";
const REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
const REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
const REASON_VOLUME_AFFINITY = "node(s) had volume node affinity conflict";

interface PodVolumes {
  /** Set when the pod can go nowhere (a missing claim, an unbound Immediate claim). */
  blocker?: string;
  /** PV node affinity terms, each list one volume's OR-terms; all must match. */
  terms: Json[][];
  /** Unbound WaitForFirstConsumer claims: annotated with the chosen node before the binding. */
  delayed: KubeObject[];
}

function podVolumes(snapshot: Snapshot, pod: KubeObject): PodVolumes {
  const out: PodVolumes = { terms: [], delayed: [] };
  const ns = pod.metadata.namespace;
  for (const v of records(rec(pod.spec).volumes)) {
    const claimName = str(rec(v.persistentVolumeClaim).claimName);
    if (!claimName) continue;
    const pvc = snapshot.get(PVCS, ns, claimName);
    if (!pvc) return { ...out, blocker: `persistentvolumeclaim "${claimName}" not found` };
    if (isDeleting(pvc)) return { ...out, blocker: `persistentvolumeclaim "${claimName}" is being deleted` };
    const volumeName = str(rec(pvc.spec).volumeName);
    if (volumeName) {
      const pv = snapshot.get(PVS, undefined, volumeName);
      const required = rec(rec(rec(pv?.spec).nodeAffinity).required);
      if (Array.isArray(required.nodeSelectorTerms)) out.terms.push(records(required.nodeSelectorTerms));
      continue;
    }
    const className = str(rec(pvc.spec).storageClassName) ?? "";
    const sc = className ? snapshot.get(STORAGE_CLASSES, undefined, className) : undefined;
    if (str(sc?.volumeBindingMode) !== "WaitForFirstConsumer") return { ...out, blocker: "pod has unbound immediate PersistentVolumeClaims" };
    const selected = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (selected) out.terms.push([{ matchFields: [{ key: "metadata.name", operator: "In", values: [selected] }] }]);
    else out.delayed.push(pvc);
  }
  return out;
}

/** Codes for the node-static predicates (everything but ports and resources), cached per pod signature. */
class StaticFilter {
  private readonly cache = new Map<string, { pre: Int32Array; vol: Uint8Array }>();
  readonly reasons: string[] = [""];
  private readonly reasonIds = new Map<string, number>();

  constructor(private readonly nodes: readonly NodeInfo[]) {}

  private reasonId(reason: string): number {
    let id = this.reasonIds.get(reason);
    if (id === undefined) {
      id = this.reasons.push(reason) - 1;
      this.reasonIds.set(reason, id);
    }
    return id;
  }

  codes(pod: KubeObject, volumeTerms: Json[][]): { pre: Int32Array; vol: Uint8Array } {
    const spec = rec(pod.spec);
    const tolerations = records(spec.tolerations);
    const selection = nodeSelectionOf(pod);
    const key = canonicalJson([tolerations, selection.selector, selection.terms ?? null, volumeTerms]);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const pre = new Int32Array(this.nodes.length);
    const vol = new Uint8Array(this.nodes.length);
    const unschedulableTaint = { key: "node.kubernetes.io/unschedulable", value: "", effect: "NoSchedule" };
    this.nodes.forEach((info, i) => {
      if (info.unschedulable && !tolerates(tolerations, unschedulableTaint)) pre[i] = this.reasonId(REASON_UNSCHEDULABLE);
      else {
        const taint = untoleratedTaint(tolerations, info.taints);
        if (taint) pre[i] = this.reasonId(`node(s) had untolerated taint {${taint.key}: ${taint.value}}`);
        else if (!matchesNodeSelection(selection, info)) pre[i] = this.reasonId(REASON_AFFINITY);
      }
      if (volumeTerms.some((terms) => !matchNodeSelectorTerms(terms, info.name, info.labels))) vol[i] = 1;
    });
    const entry = { pre, vol };
    this.cache.set(key, entry);
    return entry;
  }
}

/** generic_scheduler's FitError message: reasons counted, sorted as strings, joined. */
export function unschedulableMessage(total: number, counts: Map<string, number>): string {
  if (total === 0) return "no nodes available to schedule pods";
  const parts = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
  return `0/${total} nodes are available: ${parts.join(", ")}.`;
}

function priorityOf(pod: KubeObject): number {
  const p = rec(pod.spec).priority;
  return typeof p === "number" ? p : 0;
}

/** The scheduling queue's order: priority, then age, then name (deterministic). */
function queueOrder(a: KubeObject, b: KubeObject): number {
  const byPriority = priorityOf(b) - priorityOf(a);
  if (byPriority !== 0) return byPriority;
  const byAge = (timeMs(a.metadata.creationTimestamp) ?? 0) - (timeMs(b.metadata.creationTimestamp) ?? 0);
  if (byAge !== 0) return byAge;
  return nsName(a) < nsName(b) ? -1 : nsName(a) > nsName(b) ? 1 : 0;
}

function controllerUid(pod: KubeObject): string | undefined {
  return pod.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

function leastAllocated(used: number, alloc: number): number {
  if (alloc <= 0 || used > alloc) return 0;
  return ((alloc - used) * MAX_NODE_SCORE) / alloc;
}

function unschedulable(pod: KubeObject, message: string, now: Date, actions: Action[], events: Action[]): boolean {
  const conditions = withCondition(pod, { type: "PodScheduled", status: "False", reason: "Unschedulable", message, lastProbeTime: null }, now);
  if (!conditions) return false;
  actions.push({ type: "updateStatus", ref: PODS, object: { ...pod, status: { ...rec(pod.status), conditions } } });
  events.push({ type: "event", regarding: pod, eventType: "Warning", reason: "FailedScheduling", message });
  return true;
}

/**
 * Writes one pass may make: bindings (one bulk batch, cheap) and the other writes, a pod's
 * Unschedulable status or a claim's selected node (each its own API write).
 */
export interface SchedulerBudget {
  binds: number;
  others: number;
}

const same = (a: ResourceRef, b: ResourceRef) => a.group === b.group && a.resource === b.resource;

/** The pod's last attempt found no node (its PodScheduled condition says so). */
function markedUnschedulable(pod: KubeObject): boolean {
  return records(rec(pod.status).conditions).some((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
}

/** A pod change that can let another pod fit: one going, gone, or finished (its resources are free). */
function freesResources(change: CacheChange): boolean {
  const { previous, current } = change;
  if (!current) return true;
  if (!previous) return false;
  return (isDeleting(current) && !isDeleting(previous)) || rec(current.status).phase !== rec(previous.status).phase;
}

/**
 * Which pending pods this pass tries, from what changed since the last (kube-scheduler's queueing
 * hints): every one after a change to a node, a volume, a claim, a storage class or a pod that freed
 * resources, and on a full pass; otherwise the pods that changed and those never found
 * Unschedulable. undefined: all of them.
 */
export function podsToTry(changes: readonly CacheChange[] | "all"): ((pod: KubeObject) => boolean) | undefined {
  if (changes === "all") return undefined;
  const changedPods = new Set<string>();
  for (const change of changes) {
    if (same(change.ref, NODES) || same(change.ref, PVS) || same(change.ref, PVCS) || same(change.ref, STORAGE_CLASSES)) return undefined;
    if (!same(change.ref, PODS)) continue;
    if (freesResources(change)) return undefined;
    const uid = (change.current ?? change.previous)?.metadata.uid;
    if (uid) changedPods.add(uid);
  }
  return (pod) => changedPods.has(pod.metadata.uid ?? "") || !markedUnschedulable(pod);
}

export function schedule(snapshot: Snapshot, now: Date, budget: SchedulerBudget, tryPod?: (pod: KubeObject) => boolean): ReconcileResult {
  const actions: Action[] = [];
  // Events go after every binding: the loop applies actions in order, and upstream's event
  // recorder is asynchronous too, so a pod's Scheduled event never holds back the next binding.
  const events: Action[] = [];
  const nodes = snapshot.list(NODES).filter((n) => !isDeleting(n)).map(newNodeInfo);
  const byName = new Map(nodes.map((n, i) => [n.name, i]));
  const spread = new Map<string, Int32Array>();
  const pending: KubeObject[] = [];
  for (const pod of snapshot.list(PODS)) {
    if (schedulable(pod)) {
      if (!tryPod || tryPod(pod)) pending.push(pod);
      continue;
    }
    if (!holdsResources(pod)) continue;
    const i = byName.get(str(rec(pod.spec).nodeName) ?? "");
    if (i === undefined) continue;
    addPod(nodes[i]!, podRequests(pod), podHostPorts(pod));
    const owner = controllerUid(pod);
    if (owner && !isDeleting(pod)) {
      let counts = spread.get(owner);
      if (!counts) spread.set(owner, (counts = new Int32Array(nodes.length)));
      counts[i]! += 1;
    }
  }
  pending.sort(queueOrder);
  const filter = new StaticFilter(nodes);
  const feasible = new Int32Array(nodes.length);
  let binds = 0;
  let others = 0;
  for (const pod of pending) {
    if (binds >= budget.binds || others >= budget.others) return { actions: [...actions, ...events], requeueAfterMs: BACKLOG_REQUEUE_MS, backlog: true };
    const volumes = podVolumes(snapshot, pod);
    if (volumes.blocker) {
      if (unschedulable(pod, `0/${nodes.length} nodes are available: ${volumes.blocker}.`, now, actions, events)) others++;
      continue;
    }
    const { pre, vol } = filter.codes(pod, volumes.terms);
    const req = podRequests(pod);
    const ports = podHostPorts(pod);
    const owner = controllerUid(pod);
    const counts = owner ? spread.get(owner) : undefined;
    const failures = new Map<string, number>();
    const fail = (reason: string) => failures.set(reason, (failures.get(reason) ?? 0) + 1);
    let nFeasible = 0;
    let maxCount = 0;
    for (let i = 0; i < nodes.length; i++) {
      const code = pre[i]!;
      if (code !== 0) {
        fail(filter.reasons[code]!);
        continue;
      }
      const n = nodes[i]!;
      if (ports.length > 0 && portsConflict(n, ports)) {
        fail(REASON_PORTS);
        continue;
      }
      let fits = true;
      if (n.usedPods + 1 > n.allocPods) (fits = false), fail("Too many pods");
      if (req.cpu > 0 && n.usedCpu + req.cpu > n.allocCpu) (fits = false), fail("Insufficient cpu");
      if (req.memory > 0 && n.usedMemory + req.memory > n.allocMemory) (fits = false), fail("Insufficient memory");
      if (!fits) continue;
      if (vol[i] === 1) {
        fail(REASON_VOLUME_AFFINITY);
        continue;
      }
      feasible[nFeasible++] = i;
      if (counts && counts[i]! > maxCount) maxCount = counts[i]!;
    }
    if (nFeasible === 0) {
      if (unschedulable(pod, unschedulableMessage(nodes.length, failures), now, actions, events)) others++;
      continue;
    }
    let best = -1;
    let bestScore = -1;
    for (let k = 0; k < nFeasible; k++) {
      const i = feasible[k]!;
      const n = nodes[i]!;
      let score = (leastAllocated(n.scoreCpu + req.scoreCpu, n.allocCpu) + leastAllocated(n.scoreMemory + req.scoreMemory, n.allocMemory)) / 2;
      if (counts) score += (SPREAD_WEIGHT * (maxCount === 0 ? MAX_NODE_SCORE : (MAX_NODE_SCORE * (maxCount - counts[i]!)) / maxCount));
      else score += SPREAD_WEIGHT * MAX_NODE_SCORE;
      // Strictly greater: ties go to the first node in name order, so a pass is reproducible.
      if (score > bestScore) (bestScore = score), (best = i);
    }
    const chosen = nodes[best]!;
    addPod(chosen, req, ports);
    if (owner) {
      let c = counts;
      if (!c) spread.set(owner, (c = new Int32Array(nodes.length)));
      c[best]! += 1;
    }
    for (const pvc of volumes.delayed) {
      others++;
      const annotations = { ...pvc.metadata.annotations, [SELECTED_NODE_ANNOTATION]: chosen.name };
      actions.push({ type: "update", ref: PVCS, object: { ...pvc, metadata: { ...pvc.metadata, annotations } } });
    }
    actions.push({ type: "bind", pod, nodeName: chosen.name });
    events.push({ type: "event", regarding: pod, eventType: "Normal", reason: "Scheduled", message: `Successfully assigned ${nsName(pod)} to ${chosen.name}` });
    binds++;
  }
  return { actions: [...actions, ...events] };
}

export const schedulerController: Controller = {
  name: "scheduler",
  watches: [PODS, NODES, PVCS, PVS, STORAGE_CLASSES],
  incremental: true,
  reconcile: ({ snapshot, changes, now, config }) => schedule(snapshot, now, { binds: config.maxBindsPerPass, others: config.maxCreatesPerPass }, podsToTry(changes)),
};
