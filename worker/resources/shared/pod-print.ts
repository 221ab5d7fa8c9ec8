// What `kubectl get pods` shows, computed as the server-side printer printPod does
// (pkg/printers/internalversion/printers.go), and the pod's QoS class (GetPodQOS).
import { parseQuantity } from "../../../shared/quantity";
import { since } from "./print-cells";
import { asArray, asRecord, str, type Json } from "../../../shared/json";
import type { KubeObject } from "../types";

function records(v: unknown): Json[] {
  return (asArray(v) ?? []).map((x) => asRecord(x) ?? {});
}

const QOS_RESOURCES = ["cpu", "memory"];

/** QoS class from requests and limits (after defaulting), as GetPodQOS computes it. */
export function qosClass(spec: Json): "Guaranteed" | "Burstable" | "BestEffort" {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const c of [...records(spec.initContainers), ...records(spec.containers)]) {
    const res = asRecord(c.resources) ?? {};
    for (const [name, q] of Object.entries(asRecord(res.requests) ?? {})) {
      const v = parseQuantity(q) ?? 0;
      if (QOS_RESOURCES.includes(name) && v !== 0) requests.set(name, (requests.get(name) ?? 0) + v);
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(asRecord(res.limits) ?? {})) {
      const v = parseQuantity(q) ?? 0;
      if (QOS_RESOURCES.includes(name) && v !== 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + v);
      }
    }
    if (!QOS_RESOURCES.every((r) => found.has(r))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || Math.abs(lim - req) > 1e-12 * Math.max(1, lim)) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string };
    running?: unknown;
    terminated?: { reason?: string; exitCode?: number; signal?: number };
  };
  lastState?: { terminated?: { finishedAt?: string } };
}

function statuses(v: unknown): ContainerStatus[] {
  return records(v) as ContainerStatus[];
}

function conditionTrue(status: Json, type: string): boolean {
  return records(status.conditions).some((c) => c.type === type && c.status === "True");
}

function terminatedReason(t: { reason?: string; exitCode?: number; signal?: number }, prefix: string): string {
  if (t.reason) return `${prefix}${t.reason}`;
  if (t.signal) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

/** Later RFC 3339 timestamp of two (they compare as strings when both are UTC "Z"). */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** The READY, STATUS and RESTARTS cells of printPod. */
export function podStatusCells(pod: KubeObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = asRecord(pod.spec) ?? {};
  const status = asRecord(pod.status) ?? {};
  const phase = str(status.phase) ?? "";
  let reason = str(status.reason) || phase;
  if (records(status.conditions).some((c) => c.type === "PodScheduled" && c.reason === "SchedulingGated")) reason = "SchedulingGated";

  const initSpecs = records(spec.initContainers);
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === "Always").map((c) => str(c.name) ?? ""));
  let total = records(spec.containers).length + sidecars.size;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: string | undefined;
  let lastSidecarRestart: string | undefined;

  let initializing = false;
  const initStatuses = statuses(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const finished = cs.lastState?.terminated?.finishedAt;
    restarts += cs.restartCount ?? 0;
    lastRestart = later(lastRestart, finished);
    const sidecar = sidecars.has(cs.name ?? "");
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    const t = cs.state?.terminated;
    if (t && t.exitCode === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (t) reason = terminatedReason(t, "Init:");
    else if (cs.state?.waiting?.reason && cs.state.waiting.reason !== "PodInitializing") reason = `Init:${cs.state.waiting.reason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, "Initialized")) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const containerStatuses = statuses(status.containerStatuses);
    for (let i = containerStatuses.length - 1; i >= 0; i--) {
      const cs = containerStatuses[i]!;
      restarts += cs.restartCount ?? 0;
      lastRestart = later(lastRestart, cs.lastState?.terminated?.finishedAt);
      const waiting = cs.state?.waiting?.reason;
      const t = cs.state?.terminated;
      if (waiting) reason = waiting;
      else if (t) reason = terminatedReason(t, "");
      else if (cs.ready && cs.state?.running !== undefined && cs.state.running !== null) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) reason = conditionTrue(status, "Ready") ? "Running" : "NotReady";
  }

  if (pod.metadata.deletionTimestamp && status.reason === "NodeLost") reason = "Unknown";
  else if (pod.metadata.deletionTimestamp && phase !== "Succeeded" && phase !== "Failed") reason = "Terminating";

  total = Math.max(total, 0);
  const restartText = restarts !== 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

/** The READINESS GATES cell: "<none>", else true gates over all gates. */
export function readinessGatesCell(pod: KubeObject): string {
  const gates = records(asRecord(pod.spec)?.readinessGates).map((g) => str(g.conditionType) ?? "");
  if (gates.length === 0) return "<none>";
  const conditions = records(asRecord(pod.status)?.conditions);
  const trueCount = gates.filter((g) => conditions.find((c) => c.type === g)?.status === "True").length;
  return `${trueCount}/${gates.length}`;
}

/** The IP cell: the first of status.podIPs (status.podIP when a writer set only that). */
export function podIPCell(pod: KubeObject): string {
  const status = asRecord(pod.status) ?? {};
  return str(records(status.podIPs)[0]?.ip) || str(status.podIP) || "<none>";
}
