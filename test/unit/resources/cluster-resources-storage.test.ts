// PersistentVolumes, claims, StorageClasses, ResourceQuotas and LimitRanges: the notes'
// manifests, upstream defaults, immutable fields and kubectl's columns.
import { describe, expect, it } from "vitest";
import { limitranges } from "../../../worker/resources/core/limitrange";
import { persistentvolumeclaims } from "../../../worker/resources/core/persistentvolumeclaim";
import { persistentvolumes } from "../../../worker/resources/core/persistentvolume";
import { resourcequotas } from "../../../worker/resources/core/resourcequota";
import { storageclasses } from "../../../worker/resources/storage/storageclass";
import type { KubeObject } from "../../../worker/resources/types";
import { NOW, causesOf, create, manifest, update } from "./cluster-resources-harness";

// The notes spell the kind "PersistentStorage"; kube-apiserver would reject that, so the
// manifests below use PersistentVolume and keep every other field as written.
const NFS_PV = `apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-name
spec:
  capacity:
    storage: 5Gi
  volumeMode: Filesystem
  accessModes:
    - ReadWriteOnce
  persistentVolumeReclaimPolicy: Recycle
  storageClassName: slow
  mountOptions:
    - hard
    - nfsvers=4.0
  nfs:
    path: /dir/path/on/nfs/server
    server: nfs-server-ip-address
`;

const GCE_PV = `apiVersion: v1
kind: PersistentVolume
metadata:
  name: test-volume
  labels:
    failure-domain.beta.kubernetes.tio/zone: us-central1-a__us-central1-b
spec:
  capacity:
    storage: 400Gi
  accessModes:
    - ReadWriteOnce
  gcePersistentDisk:
    pdName: my-data-disk
    fsType: ext4
`;

const PVC = `kind: PersistentVolumeClaim
apiVersion: v1
metadata:
  name: pvc-name
spec:
  storageClassName: manual
  volumeMode: Filesystem
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 10Gi
`;

describe("persistentvolumes", () => {
  it("round-trips the notes' NFS and GCE volumes, Pending with defaults", () => {
    const nfs = create(persistentvolumes, manifest(NFS_PV));
    expect(nfs.spec).toEqual(manifest(NFS_PV).spec);
    expect(nfs.status).toEqual({ phase: "Pending", lastPhaseTransitionTime: "2025-01-01T00:00:00Z" });
    expect(persistentvolumes.printRow(nfs, NOW)).toEqual(["pv-name", "5Gi", "RWO", "Recycle", "Pending", "", "slow", "<unset>", "", "0s", "Filesystem"]);
    const gce = create(persistentvolumes, manifest(GCE_PV));
    expect(gce.spec).toMatchObject({ gcePersistentDisk: { pdName: "my-data-disk", fsType: "ext4" }, persistentVolumeReclaimPolicy: "Retain", volumeMode: "Filesystem" });
  });

  it("requires capacity, access modes and one source", () => {
    const pv = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "p" }, spec: {} };
    expect(causesOf(() => create(persistentvolumes, pv))).toEqual([
      { field: "spec.accessModes", reason: "FieldValueRequired", message: "Required value" },
      { field: "spec.capacity", reason: "FieldValueRequired", message: "Required value" },
      { field: "spec", reason: "FieldValueRequired", message: "Required value: must specify a volume type" },
    ]);
    const two = { ...pv, spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/d" }, nfs: { server: "s", path: "/x" } } };
    expect(causesOf(() => create(persistentvolumes, two))).toEqual([{ field: "spec.nfs", reason: "FieldValueForbidden", message: "Forbidden: may not specify more than 1 volume type" }]);
    const local = { ...pv, spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], local: { path: "/mnt" } } };
    expect(causesOf(() => create(persistentvolumes, local))).toEqual([
      { field: "spec.nodeAffinity", reason: "FieldValueRequired", message: "Required value: Local volume requires node affinity" },
    ]);
  });

  it("prints the claim and keeps the source immutable", () => {
    const pv = create(persistentvolumes, manifest(NFS_PV));
    const bound = { ...pv, spec: { ...(pv.spec as object), claimRef: { namespace: "default", name: "pvc-name" } }, status: { phase: "Bound" } };
    expect(persistentvolumes.printRow(bound, NOW).slice(4, 6)).toEqual(["Bound", "default/pvc-name"]);
    const moved = manifest(NFS_PV);
    (moved.spec as { nfs: { path: string } }).nfs.path = "/elsewhere";
    expect(causesOf(() => update(persistentvolumes, pv, moved))[0]).toMatchObject({ field: "spec.persistentvolumesource", reason: "FieldValueForbidden" });
  });
});

describe("persistentvolumeclaims", () => {
  it("round-trips the notes' claim as Pending", () => {
    const pvc = create(persistentvolumeclaims, manifest(PVC), "default");
    expect(pvc.spec).toEqual(manifest(PVC).spec);
    expect(pvc.status).toEqual({ phase: "Pending" });
    expect(persistentvolumeclaims.printRow(pvc, NOW)).toEqual(["pvc-name", "Pending", "", "", "", "manual", "<unset>", "0s", "Filesystem"]);
    const bound = { ...pvc, spec: { ...(pvc.spec as object), volumeName: "pv-name" }, status: { phase: "Bound", capacity: { storage: "10Gi" }, accessModes: ["ReadWriteOnce", "ReadWriteMany"] } };
    expect(persistentvolumeclaims.printRow(bound, NOW).slice(1, 5)).toEqual(["Bound", "pv-name", "10Gi", "RWO,RWX"]);
  });

  it("requires access modes and a storage request", () => {
    const pvc = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "c" }, spec: {} };
    expect(causesOf(() => create(persistentvolumeclaims, pvc, "default"))).toEqual([
      { field: "spec.accessModes", reason: "FieldValueRequired", message: "Required value: at least 1 access mode is required" },
      { field: "spec.resources[storage]", reason: "FieldValueRequired", message: "Required value" },
    ]);
  });

  it("allows only a bound claim to grow", () => {
    const pvc = create(persistentvolumeclaims, manifest(PVC), "default");
    const grow = manifest(PVC);
    (grow.spec as { resources: { requests: { storage: string } } }).resources.requests.storage = "20Gi";
    expect(causesOf(() => update(persistentvolumeclaims, pvc, grow))[0]).toMatchObject({ field: "spec", reason: "FieldValueForbidden" });
    const bound = { ...pvc, status: { phase: "Bound", capacity: { storage: "10Gi" } } };
    expect(update(persistentvolumeclaims, bound, grow).spec).toMatchObject({ resources: { requests: { storage: "20Gi" } } });
    const shrink = manifest(PVC);
    (shrink.spec as { resources: { requests: { storage: string } } }).resources.requests.storage = "5Gi";
    expect(causesOf(() => update(persistentvolumeclaims, bound, shrink))).toEqual([
      { field: "spec.resources.requests.storage", reason: "FieldValueForbidden", message: "Forbidden: field can not be less than status.capacity" },
    ]);
    // A claim bound to a volume bigger than it asked for can still be updated (labels, finalizers).
    const onBigger = { ...pvc, status: { phase: "Bound", capacity: { storage: "100Gi" } } };
    const relabelled = { ...onBigger, metadata: { ...onBigger.metadata, labels: { tier: "db" }, finalizers: [] } };
    expect(update(persistentvolumeclaims, onBigger, relabelled).metadata.labels).toEqual({ tier: "db" });
  });

  it("lets the binder set volumeName once, and never change it", () => {
    const pvc = create(persistentvolumeclaims, manifest(PVC), "default");
    const bind = { ...pvc, spec: { ...(pvc.spec as object), volumeName: "pv-a" } };
    const bound = update(persistentvolumeclaims, pvc, bind);
    expect(bound.spec).toMatchObject({ volumeName: "pv-a" });
    const rebind = { ...bound, spec: { ...(bound.spec as object), volumeName: "pv-b" } };
    expect(causesOf(() => update(persistentvolumeclaims, bound, rebind))[0]).toMatchObject({ field: "spec", reason: "FieldValueForbidden" });
  });
});

describe("storageclasses", () => {
  // The notes write `metadata: [- name: ...]`, a list kube-apiserver refuses; the name is kept.
  const SC = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: storage-class-name
provisioner: kubernetes.io/aws-ebs
parameters:
  type: io1
  iopsPerGB: "10"
  fsType: ext4
`;

  it("round-trips the notes' class with defaults and prints (default)", () => {
    const sc = create(storageclasses, manifest(SC));
    expect(sc).toMatchObject({ provisioner: "kubernetes.io/aws-ebs", parameters: { type: "io1", iopsPerGB: "10", fsType: "ext4" }, reclaimPolicy: "Delete", volumeBindingMode: "Immediate" });
    expect(storageclasses.printRow(sc, NOW)).toEqual(["storage-class-name", "kubernetes.io/aws-ebs", "Delete", "Immediate", false, "0s"]);
    sc.metadata.annotations = { "storageclass.kubernetes.io/is-default-class": "true" };
    expect(storageclasses.printRow(sc, NOW)[0]).toBe("storage-class-name (default)");
  });

  it("forbids changing provisioner, parameters, reclaimPolicy and binding mode", () => {
    const sc = create(storageclasses, manifest(SC));
    const next = { ...manifest(SC), provisioner: "x.io/y", parameters: {}, reclaimPolicy: "Retain", volumeBindingMode: "WaitForFirstConsumer", allowVolumeExpansion: true };
    expect(causesOf(() => update(storageclasses, sc, next))).toEqual([
      { field: "parameters", reason: "FieldValueForbidden", message: "Forbidden: updates to parameters are forbidden." },
      { field: "provisioner", reason: "FieldValueForbidden", message: "Forbidden: updates to provisioner are forbidden." },
      { field: "reclaimPolicy", reason: "FieldValueForbidden", message: "Forbidden: updates to reclaimPolicy are forbidden." },
      { field: "volumeBindingMode", reason: "FieldValueInvalid", message: 'Invalid value: "WaitForFirstConsumer": field is immutable' },
    ]);
    expect(causesOf(() => create(storageclasses, { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "s" } }))).toEqual([
      { field: "provisioner", reason: "FieldValueRequired", message: "Required value" },
    ]);
  });
});

describe("resourcequotas and limitranges", () => {
  it("resets quota status on create and prints used/hard", () => {
    const q = create(resourcequotas, { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q" }, spec: { hard: { pods: "10", "limits.cpu": "4" } }, status: { used: { pods: "99" } } }, "default");
    expect(q.status).toEqual({});
    const withStatus: KubeObject = { ...q, status: { hard: { pods: "10", "requests.cpu": "2", "limits.cpu": "4", "limits.memory": "8Gi" }, used: { pods: "3", "limits.cpu": "500m" } } };
    expect(resourcequotas.printRow(withStatus, NOW)).toEqual(["q", "0s", "pods: 3/10, requests.cpu: 0/2", "limits.cpu: 500m/4, limits.memory: 0/8Gi"]);
  });

  it("prints limit ranges with CREATED AT and checks min ≤ max", () => {
    const lr = create(limitranges, { apiVersion: "v1", kind: "LimitRange", metadata: { name: "l" }, spec: { limits: [{ type: "Container", default: { cpu: "500m" } }] } }, "default");
    expect(limitranges.printRow(lr, NOW)).toEqual(["l", "2025-01-01T00:00:00Z"]);
    const bad = { apiVersion: "v1", kind: "LimitRange", metadata: { name: "l" }, spec: { limits: [{ type: "Node", min: { cpu: "2" }, max: { cpu: "1" } }] } };
    expect(causesOf(() => create(limitranges, bad, "default")).map((c) => [c.field, c.reason])).toEqual([
      ["spec.limits[0].type", "FieldValueNotSupported"],
      ["spec.limits[0].min[cpu]", "FieldValueInvalid"],
    ]);
  });
});
