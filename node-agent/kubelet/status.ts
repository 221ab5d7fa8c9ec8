// PodStatus from what the agent observed, as a pure function (kubelet's generateAPIPodStatus
// and getPhase): container states, phase, conditions with stable lastTransitionTime.
import type { ContainerState, ContainerStateTerminated, ContainerStatus, Pod, PodCondition, PodStatus } from "./types";

/** One spec container as observed: its newest Docker container, the one before, and the worker's verdict. */
export interface ObservedContainer {
  name: string;
  image: string;
  imageID: string;
  restartCount: number;
  containerID?: string;
  running?: { startedAt: string };
  terminated?: ContainerStateTerminated;
  previous?: ContainerStateTerminated;
  /** Why it is not running (ContainerCreating, PodInitializing, CrashLoopBackOff, ErrImagePull…). */
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started: boolean;
}

export interface PodObservation {
  pod: Pod;
  hostIP: string;
  podIP: string;
  startTime: string;
  init: ObservedContainer[];
  containers: ObservedContainer[];
  now: string;
}

export function terminatedReason(exitCode: number, oomKilled: boolean): string {
  if (oomKilled) return "OOMKilled";
  return exitCode === 0 ? "Completed" : "Error";
}

function stateOf(c: ObservedContainer): { state: ContainerState; lastState: ContainerState } {
  if (c.running) return { state: { running: c.running }, lastState: c.previous ? { terminated: c.previous } : {} };
  if (c.waiting) {
    const last = c.terminated ?? c.previous;
    return { state: { waiting: c.waiting }, lastState: last ? { terminated: last } : {} };
  }
  if (c.terminated) return { state: { terminated: c.terminated }, lastState: c.previous ? { terminated: c.previous } : {} };
  return { state: { waiting: { reason: "ContainerCreating" } }, lastState: {} };
}

export function containerStatus(c: ObservedContainer): ContainerStatus {
  const { state, lastState } = stateOf(c);
  const status: ContainerStatus = {
    name: c.name,
    state,
    lastState,
    ready: c.ready && state.running !== undefined,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
    started: state.running !== undefined && c.started,
  };
  if (c.containerID) status.containerID = c.containerID;
  return status;
}

/** kubelet's getPhase over container statuses, with restartPolicy. */
export function podPhase(pod: Pod, init: ContainerStatus[], containers: ContainerStatus[]): string {
  const policy = pod.spec.restartPolicy ?? "Always";
  for (const s of init) {
    if (s.state.terminated?.exitCode === 0) continue;
    if (s.state.terminated && policy === "Never") return "Failed";
    if (s.state.waiting && s.lastState.terminated && s.lastState.terminated.exitCode !== 0 && policy === "Never") return "Failed";
    return "Pending";
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of containers) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

function condition(type: string, ok: boolean, previous: PodCondition[] | undefined, now: string, reason?: string, message?: string): PodCondition {
  const status = ok ? "True" : "False";
  const before = previous?.find((c) => c.type === type);
  const out: PodCondition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
  };
  if (reason) out.reason = reason;
  if (message) out.message = message;
  return out;
}

export function computePodStatus(o: PodObservation): PodStatus {
  const previous = o.pod.status?.conditions;
  const init = o.init.map(containerStatus);
  const containers = o.containers.map(containerStatus);
  const phase = podPhase(o.pod, init, containers);
  const initPending = init.filter((s) => s.state.terminated?.exitCode !== 0).map((s) => s.name);
  const initialized = initPending.length === 0 || phase === "Succeeded";
  const unready = containers.filter((s) => !s.ready).map((s) => s.name);
  const completed = phase === "Succeeded" || phase === "Failed";
  const ready = unready.length === 0 && !completed;
  const notReadyReason = completed ? "PodCompleted" : "ContainersNotReady";
  const notReadyMessage = completed ? undefined : `containers with unready status: [${unready.join(" ")}]`;
  const scheduled = previous?.find((c) => c.type === "PodScheduled");
  const conditions: PodCondition[] = [
    condition("Initialized", initialized, previous, o.now, initialized ? undefined : "ContainersNotInitialized", initialized ? undefined : `containers with incomplete status: [${initPending.join(" ")}]`),
    condition("Ready", ready, previous, o.now, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
    condition("ContainersReady", ready, previous, o.now, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
    scheduled ?? { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: o.pod.metadata.creationTimestamp ?? o.now },
  ];
  const status: PodStatus = {
    phase,
    conditions,
    hostIP: o.hostIP,
    hostIPs: [{ ip: o.hostIP }],
    startTime: o.startTime,
    containerStatuses: containers,
  };
  if (o.podIP) {
    status.podIP = o.podIP;
    status.podIPs = [{ ip: o.podIP }];
  }
  if (init.length > 0) status.initContainerStatuses = init;
  if (o.pod.status?.qosClass) status.qosClass = o.pod.status.qosClass;
  return status;
}

/** Stable JSON (keys sorted) for "did anything change" comparisons. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
