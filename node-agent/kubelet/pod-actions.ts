// What a pod's sync should do, decided from the pod spec and what the runtime holds, with no I/O
// (kubelet's computePodActions): whether the sandbox is kept or made anew, then which container
// comes next (the first unfinished init container, else every app container that is not running
// and may run), each as a start of a created one, a (re)create, or a wait in crash-loop back-off.
// pod-worker.ts applies the plan.
import { backoffRemaining, type BackoffEntry } from "./backoff";
import { finishedMs, isFinished, isRunning, terminatedOf, type Seen } from "./observe";
import type { Container, Pod } from "./types";

/** The runtime's containers of one pod: its sandboxes, and per spec container its instances, newest first. */
export interface Observed {
  sandboxes: Seen[];
  byName: Map<string, Seen[]>;
}

export type SandboxPlan =
  /** The running sandbox stays. */
  | { keep: Seen }
  /**
   * A new one: the old sandboxes are removed and the containers still running in them stopped
   * first. `changed`: there was one (kubelet's SandboxChanged event); `fresh`: nothing of the
   * pod exists yet, so its containers may be created while the sandbox starts.
   */
  | { create: true; remove: string[]; stop: string[]; changed: boolean; fresh: boolean };

export function planSandbox(observed: Observed): SandboxPlan {
  const running = observed.sandboxes.find(isRunning);
  if (running) return { keep: running };
  const stop = [...observed.byName.values()].flatMap((list) => list.filter(isRunning).map((s) => s.managed.id));
  return {
    create: true,
    remove: observed.sandboxes.map((s) => s.managed.id),
    stop,
    changed: observed.sandboxes.length > 0,
    fresh: observed.sandboxes.length === 0 && observed.byName.size === 0,
  };
}

export type ContainerStep =
  /** Created but never started (the agent stopped in between): start it. */
  | { action: "start-created"; container: Container; init: boolean; id: string }
  /** None yet, or the last one finished and may run again: create it with this restart count. */
  | { action: "create"; container: Container; init: boolean; restartCount: number; current?: Seen }
  /** It crashed too recently: wait `remainingMs` (its back-off is `delayMs`). */
  | { action: "back-off"; container: Container; init: boolean; remainingMs: number; delayMs: number };

export interface ContainerPlan {
  steps: ContainerStep[];
  /** Every init container completed (so the app containers' steps are the ones planned). */
  initDone: boolean;
  /** An init container failed under restartPolicy Never: the pod has failed, nothing more starts. */
  initFailed: boolean;
  /** App containers that are running (their waiting reason is over). */
  running: string[];
}

export interface PlanState {
  now: number;
  /** Crash-loop back-off per container name. */
  backoff: ReadonlyMap<string, BackoffEntry>;
  /** Whether a liveness probe killed this container instance (OnFailure restarts it whatever its exit code). */
  killedByLiveness(id: string): boolean;
}

/** restartPolicy: Always restarts every exit; OnFailure a failure (or a liveness kill); Never none. */
export function shouldRestart(pod: Pod, current: Seen, state: PlanState): boolean {
  const policy = pod.spec.restartPolicy ?? "Always";
  if (policy === "Always") return true;
  if (policy === "Never") return false;
  return terminatedOf(current).exitCode !== 0 || state.killedByLiveness(current.managed.id);
}

function step(container: Container, init: boolean, current: Seen | undefined, state: PlanState): ContainerStep {
  if (!current) return { action: "create", container, init, restartCount: 0 };
  if (current.info?.status === "created" && !current.info.error) return { action: "start-created", container, init, id: current.managed.id };
  const entry = state.backoff.get(container.name);
  const remainingMs = backoffRemaining(entry, finishedMs(current), state.now);
  if (remainingMs > 0) return { action: "back-off", container, init, remainingMs, delayMs: entry?.delayMs ?? 0 };
  return { action: "create", container, init, restartCount: current.managed.restartCount + 1, current };
}

function initSucceeded(current: Seen): boolean {
  return isFinished(current) && (current.info?.exitCode ?? 1) === 0 && current.info?.status !== "created";
}

/** The container steps of one sync, init containers in order first (one at a time), then the app containers. */
export function planContainers(pod: Pod, byName: ReadonlyMap<string, Seen[]>, state: PlanState): ContainerPlan {
  const steps: ContainerStep[] = [];
  for (const container of pod.spec.initContainers ?? []) {
    const current = byName.get(container.name)?.[0];
    if (current && isRunning(current)) return { steps, initDone: false, initFailed: false, running: [] };
    if (current && initSucceeded(current)) continue;
    if (current && isFinished(current) && pod.spec.restartPolicy === "Never") return { steps, initDone: false, initFailed: true, running: [] };
    steps.push(step(container, true, current, state));
    return { steps, initDone: false, initFailed: false, running: [] };
  }
  const running: string[] = [];
  for (const container of pod.spec.containers) {
    const current = byName.get(container.name)?.[0];
    if (current && isRunning(current)) {
      running.push(container.name);
      continue;
    }
    if (current && isFinished(current) && !shouldRestart(pod, current, state)) continue;
    steps.push(step(container, false, current, state));
  }
  return { steps, initDone: true, initFailed: false, running };
}

/** Instances beyond the newest two per container (current + the one `logs --previous` reads) that are not running. */
export function planPrune(byName: ReadonlyMap<string, Seen[]>): string[] {
  return [...byName.values()].flatMap((list) => list.slice(2).filter((s) => !isRunning(s)).map((s) => s.managed.id));
}
