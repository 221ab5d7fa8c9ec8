// The Overview's figures, as pure functions of the few fields it keeps per object: each watched
// object is cut down to a small summary as it arrives (10,000 pods must not sit in the tab whole),
// and the page's numbers are recomputed from those summaries. Nothing here touches the DOM.
import { milliCpu, parseQuantity } from "../../shared/quantity";
import { podRequestsOf } from "../../shared/pod-requests";
import { humanDuration } from "../../shared/human-duration";

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const recs = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(rec) : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown, fallback = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
const bytes = (q: unknown): number => parseQuantity(q) ?? 0;

export const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"] as const;
export type Phase = (typeof PHASES)[number];

export interface PodSummary {
  namespace: string;
  name: string;
  phase: Phase;
  /** spec.nodeName; "" while unscheduled. */
  node: string;
  /** Requests in millicores and bytes (resourcehelper.PodRequests). */
  cpu: number;
  memory: number;
}

/** A pod as the Overview keeps it; its requests are what the scheduler counts (shared/pod-requests.ts). */
export function summarizePod(object: unknown): PodSummary | undefined {
  const pod = rec(object);
  const meta = rec(pod.metadata);
  const spec = rec(pod.spec);
  if (!str(meta.uid)) return undefined;
  const { cpu, memory } = podRequestsOf(spec);
  const phase = str(rec(pod.status).phase);
  return {
    namespace: str(meta.namespace),
    name: str(meta.name),
    // A pod the API has not given a phase yet is Pending (the phase's zero value upstream).
    phase: phase === "" ? "Pending" : (PHASES as readonly string[]).includes(phase) ? (phase as Phase) : "Unknown",
    node: str(spec.nodeName),
    cpu,
    memory,
  };
}

export interface NodeSummary {
  name: string;
  /** kubectl's STATUS: Ready, NotReady or Unknown (no Ready condition yet). */
  readiness: "Ready" | "NotReady" | "Unknown";
  unschedulable: boolean;
  /** Allocatable millicores, bytes and pods. */
  cpu: number;
  memory: number;
  pods: number;
}

export function summarizeNode(object: unknown): NodeSummary | undefined {
  const node = rec(object);
  const meta = rec(node.metadata);
  if (!str(meta.uid)) return undefined;
  const status = rec(node.status);
  const ready = recs(status.conditions).find((c) => c.type === "Ready");
  const allocatable = rec(status.allocatable);
  return {
    name: str(meta.name),
    readiness: !ready ? "Unknown" : ready.status === "True" ? "Ready" : "NotReady",
    unschedulable: rec(node.spec).unschedulable === true,
    cpu: milliCpu(allocatable.cpu),
    memory: bytes(allocatable.memory),
    pods: parseQuantity(allocatable.pods) ?? 0,
  };
}

/** kubectl get nodes' STATUS column. */
export function nodeStatusText(n: NodeSummary): string {
  return n.unschedulable ? `${n.readiness},SchedulingDisabled` : n.readiness;
}

export interface Usage {
  cpu: number;
  memory: number;
  pods: number;
}

export interface PodStats {
  /** In the namespace shown (all when ""). */
  phases: Record<Phase, number>;
  /** Non-terminal pods per node, in the namespace shown. */
  perNode: Map<string, number>;
  /** Non-terminal pods in the namespace shown that no node has yet. */
  unscheduled: number;
  /** Requests of every non-terminal pod bound to each node, whatever its namespace: what the node carries. */
  placed: Map<string, Usage>;
}

const isTerminal = (p: PodSummary) => p.phase === "Succeeded" || p.phase === "Failed";

/** One pass over the pods: a 10,000-pod cluster costs a millisecond or so per recompute. */
export function podStats(pods: Iterable<PodSummary>, namespace: string): PodStats {
  const phases: Record<Phase, number> = { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
  const perNode = new Map<string, number>();
  const placed = new Map<string, Usage>();
  let unscheduled = 0;
  for (const p of pods) {
    const shown = namespace === "" || p.namespace === namespace;
    if (shown) phases[p.phase]++;
    if (isTerminal(p)) continue;
    if (!p.node) {
      if (shown) unscheduled++;
      continue;
    }
    if (shown) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
    const u = placed.get(p.node);
    if (u) {
      u.cpu += p.cpu;
      u.memory += p.memory;
      u.pods++;
    } else {
      placed.set(p.node, { cpu: p.cpu, memory: p.memory, pods: 1 });
    }
  }
  return { phases, perNode, unscheduled, placed };
}

export interface Rollout {
  kind: "Deployment" | "StatefulSet";
  namespace: string;
  name: string;
  replicas: number;
  updated: number;
  /** Available (Deployment) or ready (StatefulSet) replicas. */
  ready: number;
  inProgress: boolean;
}

/** What kubectl rollout status waits for (deployment and statefulset viewers in polymorphichelpers). */
function summarizeRollout(kind: Rollout["kind"], object: unknown): Rollout | undefined {
  const o = rec(object);
  const meta = rec(o.metadata);
  if (!str(meta.uid)) return undefined;
  const spec = rec(o.spec);
  const status = rec(o.status);
  const replicas = num(spec.replicas, 1);
  const updated = num(status.updatedReplicas);
  const behind = num(status.observedGeneration) < num(meta.generation);
  let ready: number;
  let inProgress: boolean;
  if (kind === "Deployment") {
    ready = num(status.availableReplicas);
    // Old replicas still terminating count too: kubectl says "old replicas are pending termination".
    inProgress = behind || updated < replicas || ready < replicas || num(status.replicas) > updated;
  } else {
    ready = num(status.readyReplicas);
    const revisionsDiffer = str(status.updateRevision) !== "" && str(status.currentRevision) !== str(status.updateRevision);
    inProgress = behind || updated < replicas || ready < replicas || revisionsDiffer;
  }
  return { kind, namespace: str(meta.namespace), name: str(meta.name), replicas, updated, ready, inProgress };
}

// By the watch it came from: list items need not carry their kind (kube-apiserver leaves it out).
export const summarizeDeployment = (object: unknown) => summarizeRollout("Deployment", object);
export const summarizeStatefulSet = (object: unknown) => summarizeRollout("StatefulSet", object);

export interface WarningEvent {
  namespace: string;
  /** kubectl's OBJECT column: kind/name, the kind in lower case. */
  object: string;
  reason: string;
  message: string;
  /** When it last happened, in ms since the epoch (0 if the event says nothing). */
  at: number;
  count: number;
}

export function summarizeEvent(object: unknown): WarningEvent | undefined {
  const e = rec(object);
  const meta = rec(e.metadata);
  if (!str(meta.uid)) return undefined;
  const involved = rec(e.involvedObject);
  const series = rec(e.series);
  const kind = str(involved.kind).toLowerCase();
  const name = str(involved.name);
  const when = str(series.lastObservedTime) || str(e.lastTimestamp) || str(e.eventTime) || str(meta.creationTimestamp);
  const at = Date.parse(when);
  return {
    namespace: str(meta.namespace),
    object: name ? `${kind}/${name}` : kind,
    reason: str(e.reason),
    message: str(e.message).trim(),
    at: Number.isNaN(at) ? 0 : at,
    count: num(series.count, num(e.count, 1)) || 1,
  };
}

/** The `count` newest, newest first: one pass, no sort of the whole set. */
export function newest(events: Iterable<WarningEvent>, count: number): WarningEvent[] {
  const top: WarningEvent[] = [];
  for (const e of events) {
    if (top.length === count && e.at <= top[top.length - 1]!.at) continue;
    let i = top.length;
    while (i > 0 && top[i - 1]!.at < e.at) i--;
    top.splice(i, 0, e);
    if (top.length > count) top.pop();
  }
  return top;
}

/** kubectl's age (apimachinery's HumanDuration): 45s, 3m20s, 5h, 3d4h. */
export function age(at: number, now: number): string {
  return at ? humanDuration(now - at) : "unknown";
}

/** Millicores as kubectl shows a CPU quantity: 250m, 2, 1.5. */
export function formatCpu(milli: number): string {
  return milli % 1000 === 0 || milli >= 10_000 ? String(Math.round(milli / 1000)) : milli < 1000 ? `${milli}m` : String(Math.round(milli / 100) / 10);
}

const BINARY = ["", "Ki", "Mi", "Gi", "Ti", "Pi"];

/** Bytes in binary units, at most one decimal: 512Mi, 1.5Gi. */
export function formatBytes(n: number): string {
  let i = 0;
  while (n >= 1024 && i < BINARY.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Math.round(n * 10) / 10}${BINARY[i]}`;
}
