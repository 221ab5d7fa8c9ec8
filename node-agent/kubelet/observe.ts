// Docker's view of a pod's containers turned into the kubelet's terms: per spec container the
// newest Docker container (current) and the one before it (lastState), with exit codes and times.
import { timestamp } from "../../shared/time";
import type Dockerode from "dockerode";
import type { ManagedContainer } from "../runtime/labels";
import { terminatedReason } from "./status";
import type { ContainerStateTerminated } from "./types";

export interface Seen {
  managed: ManagedContainer;
  info: Dockerode.ContainerInspectInfo | undefined;
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

/** Docker's nanosecond timestamps → RFC3339 seconds, as the API's metav1.Time; undefined for zero. */
export function rfc3339(time: string | undefined): string | undefined {
  if (!time || time.startsWith("0001-01-01")) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : timestamp(new Date(ms));
}

export function isRunning(seen: Seen): boolean {
  return seen.info?.State.Running === true || (seen.info === undefined && seen.managed.state === "running");
}

/** Exited, dead, or created with a start error: a container that is over. */
export function isFinished(seen: Seen): boolean {
  const state = seen.info?.State;
  if (!state) return seen.managed.state === "exited" || seen.managed.state === "dead";
  if (state.Running || state.Restarting) return false;
  if (state.Status === "created") return Boolean(state.Error);
  return state.Status === "exited" || state.Status === "dead";
}

export function terminatedOf(seen: Seen): ContainerStateTerminated {
  const state = seen.info?.State;
  const exitCode = state?.ExitCode ?? 0;
  const out: ContainerStateTerminated = {
    exitCode: state?.Status === "created" && exitCode === 0 ? 128 : exitCode,
    reason: state?.Status === "created" ? "StartError" : terminatedReason(exitCode, state?.OOMKilled ?? false),
    containerID: `docker://${seen.managed.id}`,
  };
  const started = rfc3339(state?.StartedAt);
  const finished = rfc3339(state?.FinishedAt && state.FinishedAt !== ZERO_TIME ? state.FinishedAt : undefined);
  out.startedAt = started ?? finished ?? timestamp(new Date(seen.managed.createdMs));
  out.finishedAt = finished ?? out.startedAt;
  if (state?.Error) out.message = state.Error;
  return out;
}

export function finishedMs(seen: Seen): number {
  const finished = seen.info?.State.FinishedAt;
  const ms = finished && !finished.startsWith("0001") ? Date.parse(finished) : NaN;
  return Number.isNaN(ms) ? seen.managed.createdMs : ms;
}

export function startedMs(seen: Seen): number {
  const started = seen.info?.State.StartedAt;
  const ms = started && !started.startsWith("0001") ? Date.parse(started) : NaN;
  return Number.isNaN(ms) ? seen.managed.createdMs : ms;
}

/** Newest first: by restart count, then creation time. */
export function byNewest(a: ManagedContainer, b: ManagedContainer): number {
  return b.restartCount - a.restartCount || b.createdMs - a.createdMs;
}
