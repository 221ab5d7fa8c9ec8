// Volume binder and provisioner tables: best-fit binding, pre-binding, provisioning, reclaim.
import { describe, expect, it } from "vitest";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import { volumesController } from "../../../worker/controllers/volumes";
import { NOW, REF, node, obj } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

function run(objects: SnapshotEntry[]): Action[] {
  return reconcileOnce(volumesController, snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG).actions;
}

const pv = (name: string, size: string, extra: Record<string, unknown> = {}, status = { phase: "Available" }) =>
  obj(REF.pvs, "PersistentVolume", name, { spec: { capacity: { storage: size }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Retain", hostPath: { path: `/data/${name}` }, ...extra }, status });
const pvc = (name: string, size: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) =>
  obj(REF.pvcs, "PersistentVolumeClaim", name, { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } }, ...extra }, status: { phase: "Pending" } }, { namespace: "default", ...meta });

describe("volume binder", () => {
  it("binds a claim to the smallest volume that fits", () => {
    const actions = run([pv("big", "100Gi"), pv("small", "1Gi"), pv("fits", "5Gi"), pv("rwx", "5Gi", { accessModes: ["ReadWriteMany"] }), pv("classy", "5Gi", { storageClassName: "fast" }), pvc("data", "2Gi")]);
    expect(actions).toEqual([
      expect.objectContaining({ type: "update", ref: REF.pvs, object: expect.objectContaining({ metadata: expect.objectContaining({ name: "fits" }), spec: expect.objectContaining({ claimRef: expect.objectContaining({ name: "data", namespace: "default", uid: "uid-data" }) }) }) }),
    ]);
  });

  it("finishes the bind over the next passes, then is idle", () => {
    const claimed = pv("fits", "5Gi", { claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "data", uid: "uid-data" } });
    expect(run([claimed, pvc("data", "2Gi")])).toEqual([
      expect.objectContaining({ type: "update", ref: REF.pvcs, object: expect.objectContaining({ spec: expect.objectContaining({ volumeName: "fits" }) }) }),
      expect.objectContaining({ type: "updateStatus", ref: REF.pvs, object: expect.objectContaining({ status: { phase: "Bound" } }) }),
    ]);
    const boundPv = pv("fits", "5Gi", { claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "data", uid: "uid-data" } }, { phase: "Bound" });
    const named = pvc("data", "2Gi", { volumeName: "fits" });
    expect(run([boundPv, named])).toEqual([
      expect.objectContaining({ type: "updateStatus", ref: REF.pvcs, object: expect.objectContaining({ status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "5Gi" } } }) }),
    ]);
    const done = pvc("data", "2Gi", { volumeName: "fits" });
    done.object.status = { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "5Gi" } };
    expect(run([boundPv, done])).toEqual([]);
  });

  it("honours claimRef pre-binding and label selectors", () => {
    const pre = pv("reserved", "50Gi", { claimRef: { namespace: "default", name: "data" } });
    expect(run([pv("fits", "5Gi"), pre, pvc("data", "2Gi")])[0]).toMatchObject({ type: "update", object: { metadata: { name: "reserved" }, spec: { claimRef: { uid: "uid-data" } } } });
    const labelled = obj(REF.pvs, "PersistentVolume", "ssd", { spec: { capacity: { storage: "9Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/x" } } }, { labels: { tier: "ssd" } });
    expect(run([pv("fits", "5Gi"), labelled, pvc("data", "2Gi", { selector: { matchLabels: { tier: "ssd" } } })])[0]).toMatchObject({ object: { metadata: { name: "ssd" } } });
  });

  it("reclaims released volumes by policy", () => {
    const gone = { kind: "PersistentVolumeClaim", namespace: "default", name: "old", uid: "uid-old" };
    expect(run([pv("keep", "1Gi", { claimRef: gone }, { phase: "Bound" })])).toEqual([expect.objectContaining({ type: "updateStatus", object: expect.objectContaining({ status: { phase: "Released" } }) })]);
    expect(run([pv("drop", "1Gi", { claimRef: gone, persistentVolumeReclaimPolicy: "Delete" }, { phase: "Bound" })])).toEqual([{ type: "delete", ref: REF.pvs, name: "drop", uid: "uid-drop" }]);
    const recycled = run([pv("reuse", "1Gi", { claimRef: gone, persistentVolumeReclaimPolicy: "Recycle" }, { phase: "Bound" })]);
    expect(recycled[0]?.type === "update" && recycled[0].object.spec).not.toHaveProperty("claimRef");
  });
});

describe("provisioning", () => {
  const localPath = obj(REF.storageclasses, "StorageClass", "local-path", { provisioner: "edgeplane.io/local-path", volumeBindingMode: "WaitForFirstConsumer", reclaimPolicy: "Delete" });

  it("waits for the first consumer, once, then provisions on the selected node", () => {
    const waiting = run([localPath, pvc("data", "1Gi", { storageClassName: "local-path" })]);
    expect(waiting).toEqual([
      expect.objectContaining({ type: "update", object: expect.objectContaining({ metadata: expect.objectContaining({ annotations: { "volume.kubernetes.io/storage-provisioner": "edgeplane.io/local-path" } }) }) }),
      expect.objectContaining({ type: "event", reason: "WaitForFirstConsumer" }),
    ]);
    const annotated = pvc("data", "1Gi", { storageClassName: "local-path" }, { annotations: { "volume.kubernetes.io/storage-provisioner": "edgeplane.io/local-path" } });
    expect(run([localPath, annotated])).toEqual([]);

    const selected = pvc("data", "1Gi", { storageClassName: "local-path" }, { annotations: { "volume.kubernetes.io/selected-node": "n2" } });
    const actions = run([localPath, node("n2"), selected]);
    expect(actions[0]).toEqual({
      type: "create",
      ref: REF.pvs,
      object: {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: "pvc-uid-data", annotations: { "pv.kubernetes.io/provisioned-by": "edgeplane.io/local-path" } },
        spec: {
          capacity: { storage: "1Gi" },
          accessModes: ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Delete",
          storageClassName: "local-path",
          volumeMode: "Filesystem",
          claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: "default", name: "data", uid: "uid-data" },
          hostPath: { path: "/var/lib/edgeplane/local-path/pvc-uid-data", type: "DirectoryOrCreate" },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["n2"] }] }] } },
        },
      },
    });
    expect(actions[1]).toMatchObject({ type: "event", reason: "ProvisioningSucceeded" });
  });

  it("provisions NFS directories under the class path", () => {
    const nfs = obj(REF.storageclasses, "StorageClass", "nfs", { provisioner: "edgeplane.io/nfs", parameters: { server: "10.0.0.5", path: "/exports/" } });
    const actions = run([nfs, pvc("data", "1Gi", { storageClassName: "nfs", accessModes: ["ReadWriteMany"] })]);
    expect(actions[0]).toMatchObject({ type: "create", object: { spec: { nfs: { server: "10.0.0.5", path: "/exports/default-data-pvc-uid-data" }, accessModes: ["ReadWriteMany"] } } });
  });
});
