// A container's effective securityContext, as kubelet derives it (the pod's fields are defaults
// the container's override), and the runAsNonRoot check against the user the image runs as
// (kubelet's verifyRunAsNonRoot). Pure: the runtime applies the result.
import type { Container, Pod } from "./types";

export interface ContainerSecurity {
  /** "uid" or "uid:gid" for the runtime; undefined: the image's user. */
  user?: string;
  groupAdd: string[];
  capAdd: string[];
  capDrop: string[];
  readOnlyRootfs: boolean;
  /** no_new_privs: allowPrivilegeEscalation=false (never for a privileged container). */
  noNewPrivileges: boolean;
  /** seccomp off (Unconfined); otherwise the runtime's default profile (RuntimeDefault). */
  seccompUnconfined: boolean;
  /** The node's PID and IPC namespaces (pod hostPID, hostIPC), which Pod Security admission allows only at privileged. */
  hostPID: boolean;
  hostIPC: boolean;
}

export function containerSecurity(pod: Pod, container: Container, imageUser = ""): ContainerSecurity {
  const podContext = pod.spec.securityContext ?? {};
  const own = container.securityContext ?? {};
  const uid = own.runAsUser ?? podContext.runAsUser;
  const gid = own.runAsGroup ?? podContext.runAsGroup;
  const groups = [...(podContext.fsGroup !== undefined ? [podContext.fsGroup] : []), ...(podContext.supplementalGroups ?? [])];
  const seccomp = own.seccompProfile?.type ?? podContext.seccompProfile?.type;
  return {
    // A group alone goes with the image's own user (Docker takes "user:group", not ":group").
    user: uid === undefined ? (gid === undefined ? undefined : `${imageUid(imageUser) || "0"}:${gid}`) : gid === undefined ? String(uid) : `${uid}:${gid}`,
    groupAdd: [...new Set(groups)].map(String),
    capAdd: own.capabilities?.add ?? [],
    capDrop: own.capabilities?.drop ?? [],
    readOnlyRootfs: own.readOnlyRootFilesystem === true,
    noNewPrivileges: own.allowPrivilegeEscalation === false && own.privileged !== true,
    seccompUnconfined: seccomp === "Unconfined",
    hostPID: pod.spec.hostPID === true,
    hostIPC: pod.spec.hostIPC === true,
  };
}

/** The user part of an image's configured user ("name", "uid", "uid:gid"); "" means root. */
function imageUid(imageUser: string): string {
  return imageUser.split(":")[0] ?? "";
}

/**
 * Why the container may not start under runAsNonRoot, in kubelet's words, or undefined when it
 * may: a runAsUser of 0, or no runAsUser and an image that runs as root or as a user name that
 * cannot be checked.
 */
export function runAsNonRootError(pod: Pod, container: Container, imageUser: string): string | undefined {
  const nonRoot = container.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
  if (nonRoot !== true) return undefined;
  const where = `(pod: "${pod.metadata.name}_${pod.metadata.namespace ?? "default"}(${pod.metadata.uid ?? ""})", container: ${container.name})`;
  const uid = container.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  if (uid !== undefined) return uid === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  const user = imageUid(imageUser);
  if (user === "" || user === "root" || (/^\d+$/.test(user) && Number(user) === 0)) return `container has runAsNonRoot and image will run as root ${where}`;
  if (!/^\d+$/.test(user)) return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${where}`;
  return undefined;
}
