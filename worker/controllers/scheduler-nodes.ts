// The scheduler's per-node bookkeeping and predicate helpers: free resources, host ports,
// taints vs tolerations and node selector terms (pkg/scheduler/framework/plugins: NodeResourcesFit,
// NodePorts, TaintToleration, NodeAffinity, VolumeBinding's PV node affinity).
import type { KubeObject } from "../resources/types";
import { milliCpu } from "../../shared/quantity";
import { podRequestsOf, type PodRequests } from "../../shared/pod-requests";
import { conditionOf, isDeleting, isTerminal, quantity, stringMap } from "./controller-util";
import { records, rec, str, strings, type Json } from "../../shared/json";

export type { PodRequests } from "../../shared/pod-requests";

export interface Taint {
  key: string;
  value: string;
  effect: string;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface NodeInfo {
  name: string;
  node: KubeObject;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  allocCpu: number;
  allocMemory: number;
  allocPods: number;
  usedCpu: number;
  usedMemory: number;
  usedPods: number;
  scoreCpu: number;
  scoreMemory: number;
  /** `protocol/port` → host IPs bound. */
  ports: Map<string, Set<string>>;
}

/**
 * A pod's requests, parsed once per object: every pass adds up all bound pods' requests, and
 * parsing their quantities was most of a pass on a large cluster. The informer replaces a
 * changed object rather than mutating it, so the object is the key.
 */
const requestsCache = new WeakMap<KubeObject, PodRequests>();

export function podRequests(pod: KubeObject): PodRequests {
  let requests = requestsCache.get(pod);
  if (!requests) requestsCache.set(pod, (requests = Object.freeze(podRequestsOf(pod.spec))));
  return requests;
}


export function podHostPorts(pod: KubeObject): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...records(rec(pod.spec).containers), ...records(rec(pod.spec).initContainers)]) {
    for (const p of records(c.ports)) {
      const port = typeof p.hostPort === "number" ? p.hostPort : 0;
      if (port > 0) out.push({ ip: str(p.hostIP) || "0.0.0.0", protocol: str(p.protocol) ?? "TCP", port });
    }
  }
  return out;
}

/** NodePorts plugin: the same protocol/port on the same IP, or either side on 0.0.0.0. */
export function portsConflict(node: NodeInfo, wanted: readonly HostPort[]): boolean {
  for (const w of wanted) {
    const ips = node.ports.get(`${w.protocol}/${w.port}`);
    if (!ips) continue;
    if (w.ip === "0.0.0.0" || ips.has("0.0.0.0") || ips.has(w.ip)) return true;
  }
  return false;
}

export function addPod(node: NodeInfo, req: PodRequests, ports: readonly HostPort[]): void {
  node.usedCpu += req.cpu;
  node.usedMemory += req.memory;
  node.usedPods += 1;
  node.scoreCpu += req.scoreCpu;
  node.scoreMemory += req.scoreMemory;
  for (const p of ports) {
    const key = `${p.protocol}/${p.port}`;
    let ips = node.ports.get(key);
    if (!ips) node.ports.set(key, (ips = new Set()));
    ips.add(p.ip);
  }
}

/** A pod that holds node resources: bound, not finished (terminating pods still hold theirs). */
export function holdsResources(pod: KubeObject): boolean {
  return !!str(rec(pod.spec).nodeName) && !isTerminal(pod);
}

export function nodeTaints(node: KubeObject): Taint[] {
  return records(rec(node.spec).taints).map((t) => ({ key: str(t.key) ?? "", value: str(t.value) ?? "", effect: str(t.effect) ?? "" }));
}

/**
 * Taints the scheduler sees, including those implied by the Ready condition (the node lifecycle
 * controller adds them upstream; a node it has not reached yet must not take pods either).
 */
export function schedulingTaints(node: KubeObject): Taint[] {
  const taints = nodeTaints(node);
  const ready = str(conditionOf(node, "Ready")?.status) ?? "Unknown";
  const implied = ready === "False" ? "node.kubernetes.io/not-ready" : ready === "True" ? undefined : "node.kubernetes.io/unreachable";
  if (implied && !taints.some((t) => t.key === implied && t.effect === "NoSchedule")) taints.push({ key: implied, value: "", effect: "NoSchedule" });
  return taints;
}

export function newNodeInfo(node: KubeObject): NodeInfo {
  const status = rec(node.status);
  const alloc = { ...rec(status.capacity), ...rec(status.allocatable) };
  return {
    name: node.metadata.name ?? "",
    node,
    labels: node.metadata.labels ?? {},
    taints: schedulingTaints(node),
    unschedulable: rec(node.spec).unschedulable === true,
    allocCpu: milliCpu(alloc.cpu),
    allocMemory: quantity(alloc.memory),
    allocPods: quantity(alloc.pods),
    usedCpu: 0,
    usedMemory: 0,
    usedPods: 0,
    scoreCpu: 0,
    scoreMemory: 0,
    ports: new Map(),
  };
}

/** v1helper.ToleratesTaint. */
export function tolerates(tolerations: readonly Json[], taint: Taint): boolean {
  return tolerations.some((t) => {
    const effect = str(t.effect) ?? "";
    if (effect !== "" && effect !== taint.effect) return false;
    const key = str(t.key) ?? "";
    const op = str(t.operator) ?? "Equal";
    if (key === "") return op === "Exists";
    if (key !== taint.key) return false;
    return op === "Exists" || (str(t.value) ?? "") === taint.value;
  });
}

export function untoleratedTaint(tolerations: readonly Json[], taints: readonly Taint[]): Taint | undefined {
  return taints.find((t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(tolerations, t));
}

function matchRequirement(req: Json, value: string | undefined): boolean {
  const values = strings(req.values);
  switch (req.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      if (value === undefined || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0] ?? "")) return false;
      const a = BigInt(value);
      const b = BigInt(values[0] ?? "0");
      return req.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** nodeaffinity.NodeSelector: terms are ORed, a term's expressions ANDed, an empty term matches nothing. */
export function matchNodeSelectorTerms(terms: readonly Json[], name: string, labels: Record<string, string>): boolean {
  return terms.some((term) => {
    const exprs = records(term.matchExpressions);
    const fields = records(term.matchFields);
    if (exprs.length === 0 && fields.length === 0) return false;
    return (
      exprs.every((e) => matchRequirement(e, Object.hasOwn(labels, str(e.key) ?? "") ? labels[str(e.key) ?? ""] : undefined)) &&
      fields.every((f) => str(f.key) === "metadata.name" && matchRequirement(f, name))
    );
  });
}

/** What a pod asks of a node's labels: spec.nodeSelector and required node affinity. */
export function nodeSelectionOf(pod: KubeObject): { selector: Record<string, string>; terms: Json[] | undefined } {
  const spec = rec(pod.spec);
  const required = rec(rec(rec(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution);
  return { selector: stringMap(spec.nodeSelector), terms: Array.isArray(required.nodeSelectorTerms) ? records(required.nodeSelectorTerms) : undefined };
}

export function matchesNodeSelection(sel: { selector: Record<string, string>; terms: Json[] | undefined }, info: NodeInfo): boolean {
  for (const [k, v] of Object.entries(sel.selector)) if (info.labels[k] !== v) return false;
  return sel.terms === undefined || matchNodeSelectorTerms(sel.terms, info.name, info.labels);
}

export function schedulable(pod: KubeObject): boolean {
  const spec = rec(pod.spec);
  return !str(spec.nodeName) && !isDeleting(pod) && !isTerminal(pod) && (str(spec.schedulerName) ?? "default-scheduler") === "default-scheduler";
}
