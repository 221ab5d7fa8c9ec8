// edgeplane's in-tree provisioners: a claim of a StorageClass whose provisioner is ours becomes
// a PersistentVolume named pvc-<claim uid>, pre-bound to the claim (the binder finishes the bind).
import type { KubeObject } from "../resources/types";
import { rec, str, strings, type Json } from "../../shared/json";

export const LOCAL_PATH_PROVISIONER = "edgeplane.io/local-path";
export const NFS_PROVISIONER = "edgeplane.io/nfs";
export const LOCAL_PATH_ROOT = "/var/lib/edgeplane/local-path";
export const PROVISIONED_BY_ANNOTATION = "pv.kubernetes.io/provisioned-by";

export type Provisioned = { pv: KubeObject } | { error: string } | { waiting: string };

function baseVolume(pvc: KubeObject, sc: KubeObject, source: Json, nodeAffinity?: Json): KubeObject {
  const spec = rec(pvc.spec);
  const name = `pvc-${pvc.metadata.uid ?? ""}`;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: str(sc.provisioner) ?? "" } },
    spec: {
      capacity: { storage: rec(rec(spec.resources).requests).storage ?? "0" },
      accessModes: strings(spec.accessModes),
      persistentVolumeReclaimPolicy: str(sc.reclaimPolicy) ?? "Delete",
      storageClassName: sc.metadata.name,
      volumeMode: str(spec.volumeMode) ?? "Filesystem",
      ...(Array.isArray(sc.mountOptions) ? { mountOptions: sc.mountOptions } : {}),
      claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid },
      ...source,
      ...(nodeAffinity ? { nodeAffinity } : {}),
    },
  };
}

/**
 * The PV for this claim, or why not yet / never. local-path needs the scheduler's choice
 * (volume.kubernetes.io/selected-node); a hostPath the agent creates on that node, pinned there.
 */
export function provision(pvc: KubeObject, sc: KubeObject, selectedNode: KubeObject | undefined, selectedNodeName: string | undefined): Provisioned {
  const provisioner = str(sc.provisioner);
  const name = `pvc-${pvc.metadata.uid ?? ""}`;
  if (provisioner === LOCAL_PATH_PROVISIONER) {
    if (!selectedNodeName) {
      if (str(sc.volumeBindingMode) !== "WaitForFirstConsumer") return { error: `${LOCAL_PATH_PROVISIONER} needs volumeBindingMode WaitForFirstConsumer: a local volume lives on the node its pod runs on` };
      return { waiting: "waiting for first consumer to be created before binding" };
    }
    if (!selectedNode) return { error: `selected node "${selectedNodeName}" not found` };
    const hostname = selectedNode.metadata.labels?.["kubernetes.io/hostname"] ?? selectedNodeName;
    const nodeAffinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [hostname] }] }] } };
    return { pv: baseVolume(pvc, sc, { hostPath: { path: `${LOCAL_PATH_ROOT}/${name}`, type: "DirectoryOrCreate" } }, nodeAffinity) };
  }
  if (provisioner === NFS_PROVISIONER) {
    const params = rec(sc.parameters);
    const server = str(params.server);
    const path = str(params.path);
    if (!server || !path) return { error: `StorageClass "${sc.metadata.name}" needs parameters server and path for ${NFS_PROVISIONER}` };
    const dir = `${path.replace(/\/+$/, "")}/${pvc.metadata.namespace}-${pvc.metadata.name}-${name}`;
    return { pv: baseVolume(pvc, sc, { nfs: { server, path: dir } }) };
  }
  return { waiting: `Waiting for a volume to be created either by the external provisioner '${provisioner ?? ""}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.` };
}

export function isOurProvisioner(sc: KubeObject | undefined): boolean {
  const p = str(sc?.provisioner);
  return p === LOCAL_PATH_PROVISIONER || p === NFS_PROVISIONER;
}
