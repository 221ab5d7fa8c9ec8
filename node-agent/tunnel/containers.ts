// Finding a pod's Docker containers by the dockershim labels every agent-created container carries
// (see the node-agent contracts); an agent only ever looks at containers with its own node label.
import type Dockerode from "dockerode";

export const LABEL_NODE = "io.edgeplane.node";
export const LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const LABEL_POD_NAME = "io.kubernetes.pod.name";
export const LABEL_CONTAINER_NAME = "io.kubernetes.container.name";
export const LABEL_DOCKER_TYPE = "io.kubernetes.docker.type";
export const LABEL_RESTART_COUNT = "io.kubernetes.container.restartCount";
export const LABEL_POD_UID = "io.kubernetes.pod.uid";

export interface PodRef {
  node: string;
  namespace: string;
  pod: string;
  uid?: string;
}

function podFilters(ref: PodRef, type: "container" | "podsandbox"): string[] {
  return [
    `${LABEL_NODE}=${ref.node}`,
    `${LABEL_POD_NAMESPACE}=${ref.namespace}`,
    `${LABEL_POD_NAME}=${ref.pod}`,
    `${LABEL_DOCKER_TYPE}=${type}`,
    ...(ref.uid ? [`${LABEL_POD_UID}=${ref.uid}`] : []),
  ];
}

function restartCount(info: Dockerode.ContainerInfo): number {
  const n = Number(info.Labels[LABEL_RESTART_COUNT] ?? "0");
  return Number.isFinite(n) ? n : 0;
}

/**
 * The container's instances, newest first (highest restartCount, then creation time): [0] is the
 * current one, and kubelet's `previous` is the next one that has exited.
 */
export async function containerInstances(docker: Dockerode, ref: PodRef, container: string): Promise<Dockerode.ContainerInfo[]> {
  const label = [...podFilters(ref, "container"), `${LABEL_CONTAINER_NAME}=${container}`];
  const list = await docker.listContainers({ all: true, filters: { label } });
  return list.sort((a, b) => restartCount(b) - restartCount(a) || b.Created - a.Created);
}

export async function currentContainer(docker: Dockerode, ref: PodRef, container: string): Promise<Dockerode.ContainerInfo | undefined> {
  return (await containerInstances(docker, ref, container))[0];
}

export async function previousContainer(docker: Dockerode, ref: PodRef, container: string): Promise<Dockerode.ContainerInfo | undefined> {
  const [, ...older] = await containerInstances(docker, ref, container);
  return older.find((c) => c.State !== "running");
}

function ipOf(info: Dockerode.ContainerInspectInfo): string | undefined {
  // Docker 20.10 still reports the default bridge's address at the top level; the types dropped it.
  const legacy = (info.NetworkSettings as { IPAddress?: unknown }).IPAddress;
  if (typeof legacy === "string" && legacy) return legacy;
  for (const net of Object.values(info.NetworkSettings.Networks ?? {})) {
    if (net.IPAddress) return net.IPAddress;
  }
  return undefined;
}

/** The pod IP: the sandbox's address on the node's bridge (app containers share its namespace). */
export async function podIP(docker: Dockerode, ref: PodRef): Promise<string | undefined> {
  for (const type of ["podsandbox", "container"] as const) {
    const list = await docker.listContainers({ filters: { label: podFilters(ref, type) } });
    for (const c of list) {
      const ip = ipOf(await docker.getContainer(c.Id).inspect());
      if (ip) return ip;
    }
  }
  return undefined;
}
