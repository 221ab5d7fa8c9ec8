// dockershim's container labels and names: how the agent finds its pods' containers again after
// a restart (pod uid + container name + restart count), and keeps two agents on one engine apart.

export const LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const LABEL_POD_NAME = "io.kubernetes.pod.name";
export const LABEL_POD_UID = "io.kubernetes.pod.uid";
export const LABEL_CONTAINER_NAME = "io.kubernetes.container.name";
export const LABEL_DOCKER_TYPE = "io.kubernetes.docker.type";
export const LABEL_RESTART_COUNT = "io.kubernetes.container.restartCount";
export const LABEL_NODE = "io.edgeplane.node";
/** Set on init containers so an adopted container is classified without the pod spec. */
export const LABEL_INIT = "io.edgeplane.init";
export const SANDBOX_CONTAINER_NAME = "POD";

export type ContainerType = "podsandbox" | "container";

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** What the agent knows about one of its containers from the runtime's list alone (`docker ps`). */
export interface ManagedContainer {
  id: string;
  type: ContainerType;
  pod: PodRef;
  containerName: string;
  restartCount: number;
  /** The runtime's state: created, running, exited, dead… */
  state: string;
  image: string;
  createdMs: number;
}

export function containerLabels(node: string, pod: PodRef, containerName: string, type: ContainerType, restartCount: number): Record<string, string> {
  return {
    [LABEL_POD_NAMESPACE]: pod.namespace,
    [LABEL_POD_NAME]: pod.name,
    [LABEL_POD_UID]: pod.uid,
    [LABEL_CONTAINER_NAME]: containerName,
    [LABEL_DOCKER_TYPE]: type,
    [LABEL_RESTART_COUNT]: String(restartCount),
    [LABEL_NODE]: node,
  };
}

/** `k8s_<container>_<pod>_<namespace>_<uid>_<restartCount>`, the dockershim name. */
export function containerName(pod: PodRef, name: string, restartCount: number): string {
  return `k8s_${name}_${pod.name}_${pod.namespace}_${pod.uid}_${restartCount}`;
}
