// The runtime's view of a pod's containers turned into the kubelet's terms: per spec container the
// newest container (current) and the one before it (lastState), with exit codes and times.
import { timestamp } from "../../shared/time";
import type { ManagedContainer } from "../runtime/labels";
import type { ContainerState } from "../runtime/types";
import { terminatedReason } from "./status";
import type { ContainerStateTerminated } from "./types";

export interface Seen {
  managed: ManagedContainer;
  info: ContainerState | undefined;
}

/** A runtime's timestamps (Docker's have nanoseconds) → RFC3339 seconds, as the API's metav1.Time; undefined for zero. */
export function rfc3339(time: string | undefined): string | undefined {
  if (!time || time.startsWith("0001-01-01")) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : timestamp(new Date(ms));
}

export function isRunning(seen: Seen): boolean {
  return seen.info?.running === true || (seen.info === undefined && seen.managed.state === "running");
}

/** Exited, dead, or created with a start error: a container that is over. */
export function isFinished(seen: Seen): boolean {
  const state = seen.info;
  if (!state) return seen.managed.state === "exited" || seen.managed.state === "dead";
  if (state.running || state.restarting) return false;
  if (state.status === "created") return Boolean(state.error);
  return state.status === "exited" || state.status === "dead";
}

export function terminatedOf(seen: Seen): ContainerStateTerminated {
  const state = seen.info;
  const exitCode = state?.exitCode ?? 0;
  const out: ContainerStateTerminated = {
    exitCode: state?.status === "created" && exitCode === 0 ? 128 : exitCode,
    reason: state?.status === "created" ? "StartError" : terminatedReason(exitCode, state?.oomKilled ?? false),
    containerID: `docker://${seen.managed.id}`,
  };
  const started = rfc3339(state?.startedAt);
  const finished = rfc3339(state?.finishedAt);
  out.startedAt = started ?? finished ?? timestamp(new Date(seen.managed.createdMs));
  out.finishedAt = finished ?? out.startedAt;
  if (state?.error) out.message = state.error;
  return out;
}

export function finishedMs(seen: Seen): number {
  const finished = seen.info?.finishedAt;
  const ms = finished ? Date.parse(finished) : NaN;
  return Number.isNaN(ms) ? seen.managed.createdMs : ms;
}

export function startedMs(seen: Seen): number {
  const started = seen.info?.startedAt;
  const ms = started ? Date.parse(started) : NaN;
  return Number.isNaN(ms) ? seen.managed.createdMs : ms;
}

/** Newest first: by restart count, then creation time. */
export function byNewest(a: ManagedContainer, b: ManagedContainer): number {
  return b.restartCount - a.restartCount || b.createdMs - a.createdMs;
}
