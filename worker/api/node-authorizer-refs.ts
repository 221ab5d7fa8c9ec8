// The objects a pod references (Kubernetes' VisitPodSecretNames / VisitPodConfigmapNames and the
// pod's claims): the edges of the Node authorizer's graph from a pod to what its node may read.
import type { KubeObject } from "../resources/types";

export type ReferencedKind = "configmaps" | "secrets" | "persistentvolumeclaims";

export type PodReferences = Record<ReferencedKind, Set<string>>;

function rec(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function arr(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(rec).filter((v): v is Record<string, unknown> => v !== undefined) : [];
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Volume sources whose `secretRef.name` names a Secret (upstream's VisitPodSecretNames list). */
const SECRET_REF_VOLUMES = ["cephfs", "cinder", "flexVolume", "rbd", "iscsi", "scaleIO", "storageos"] as const;

function addVolume(refs: PodReferences, podName: string, volume: Record<string, unknown>): void {
  const add = (kind: ReferencedKind, name: unknown) => {
    const n = str(name);
    if (n) refs[kind].add(n);
  };
  add("configmaps", rec(volume.configMap)?.name);
  add("secrets", rec(volume.secret)?.secretName);
  add("persistentvolumeclaims", rec(volume.persistentVolumeClaim)?.claimName);
  // A generic ephemeral volume's claim is named <pod>-<volume> (the ephemeral-volume controller).
  if (rec(volume.ephemeral) && str(volume.name)) add("persistentvolumeclaims", `${podName}-${String(volume.name)}`);
  for (const source of arr(rec(volume.projected)?.sources)) {
    add("configmaps", rec(source.configMap)?.name);
    add("secrets", rec(source.secret)?.name);
  }
  for (const kind of SECRET_REF_VOLUMES) add("secrets", rec(rec(volume[kind])?.secretRef)?.name);
  add("secrets", rec(volume.azureFile)?.secretName);
  add("secrets", rec(rec(volume.csi)?.nodePublishSecretRef)?.name);
}

function addContainer(refs: PodReferences, container: Record<string, unknown>): void {
  for (const env of arr(container.env)) {
    const from = rec(env.valueFrom);
    const cm = str(rec(from?.configMapKeyRef)?.name);
    if (cm) refs.configmaps.add(cm);
    const secret = str(rec(from?.secretKeyRef)?.name);
    if (secret) refs.secrets.add(secret);
  }
  for (const source of arr(container.envFrom)) {
    const cm = str(rec(source.configMapRef)?.name);
    if (cm) refs.configmaps.add(cm);
    const secret = str(rec(source.secretRef)?.name);
    if (secret) refs.secrets.add(secret);
  }
}

/** Names of the ConfigMaps, Secrets and PersistentVolumeClaims (in the pod's namespace) a pod uses. */
export function podReferences(pod: KubeObject): PodReferences {
  const refs: PodReferences = { configmaps: new Set(), secrets: new Set(), persistentvolumeclaims: new Set() };
  const spec = rec(pod.spec) ?? {};
  for (const volume of arr(spec.volumes)) addVolume(refs, pod.metadata.name ?? "", volume);
  for (const field of ["initContainers", "containers", "ephemeralContainers"]) {
    for (const container of arr(spec[field])) addContainer(refs, container);
  }
  for (const pull of arr(spec.imagePullSecrets)) {
    const name = str(pull.name);
    if (name) refs.secrets.add(name);
  }
  return refs;
}

/** The node a pod is bound to ("" when unscheduled). */
export function podNodeName(pod: KubeObject): string {
  return str(rec(pod.spec)?.nodeName) ?? "";
}
