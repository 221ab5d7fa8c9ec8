// Finding the container a stream is for: the pod's (namespace, name, and uid when the request
// names one) containers of that name, through the runtime's list, newest first.
import type { ManagedContainer } from "../runtime/labels";
import type { PodRuntime } from "../runtime/types";

export interface StreamTarget {
  namespace: string;
  pod: string;
  uid?: string;
}

async function podContainers(runtime: PodRuntime, target: StreamTarget): Promise<ManagedContainer[]> {
  const listed = await runtime.list(target.uid);
  return listed.filter((c) => c.pod.namespace === target.namespace && c.pod.name === target.pod);
}

/**
 * The container's instances, newest first (highest restartCount, then creation time): [0] is the
 * current one, and kubelet's `previous` is the next one that has exited.
 */
export async function containerInstances(runtime: PodRuntime, target: StreamTarget, container: string): Promise<ManagedContainer[]> {
  const all = await podContainers(runtime, target);
  return all.filter((c) => c.type === "container" && c.containerName === container).sort((a, b) => b.restartCount - a.restartCount || b.createdMs - a.createdMs);
}

export async function currentContainer(runtime: PodRuntime, target: StreamTarget, container: string): Promise<ManagedContainer | undefined> {
  return (await containerInstances(runtime, target, container))[0];
}

export async function previousContainer(runtime: PodRuntime, target: StreamTarget, container: string): Promise<ManagedContainer | undefined> {
  const [, ...older] = await containerInstances(runtime, target, container);
  return older.find((c) => c.state !== "running");
}

/** The pod's running sandbox: its network is the pod's. */
export async function runningSandbox(runtime: PodRuntime, target: StreamTarget): Promise<ManagedContainer | undefined> {
  const all = await podContainers(runtime, target);
  return all.find((c) => c.type === "podsandbox" && c.state === "running");
}
