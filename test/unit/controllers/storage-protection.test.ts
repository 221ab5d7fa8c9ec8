// pvc-protection and pv-protection: a deleted claim waits for its pods, a deleted volume for its claim.
import { describe, expect, it } from "vitest";
import { PV_PROTECTION_FINALIZER } from "../../../worker/resources/core/persistentvolume";
import { PVC_PROTECTION_FINALIZER } from "../../../worker/resources/core/persistentvolumeclaim";
import { reconcileStorageProtection } from "../../../worker/controllers/storage-protection";
import { REF, obj } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry } from "./snapshot";

const DELETED = "2026-11-25T10:00:00Z";
const claim = (deleting: boolean) =>
  obj(REF.pvcs, "PersistentVolumeClaim", "data", { spec: { volumeName: "vol" }, status: { phase: "Bound" } }, { namespace: "default", finalizers: [PVC_PROTECTION_FINALIZER], ...(deleting ? { deletionTimestamp: DELETED } : {}) });
const volume = (phase: string, deleting: boolean) =>
  obj(REF.pvs, "PersistentVolume", "vol", { spec: { capacity: { storage: "1Gi" } }, status: { phase } }, { finalizers: [PV_PROTECTION_FINALIZER], ...(deleting ? { deletionTimestamp: DELETED } : {}) });
const user = (phase: string, namespace = "default") =>
  obj(REF.pods, "Pod", `user-${phase}-${namespace}`, { spec: { containers: [{ name: "c", image: "i" }], volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] }, status: { phase } }, { namespace });

function run(objects: SnapshotEntry[]) {
  return reconcileStorageProtection(snapshotOf(objects));
}

describe("storage object in use protection", () => {
  it("keeps a deleted claim while a running or pending pod uses it", () => {
    expect(run([claim(true), user("Running")])).toEqual([]);
    expect(run([claim(true), user("Pending")])).toEqual([]);
  });

  it("releases a deleted claim once its pods finished or are gone (pods elsewhere do not count)", () => {
    for (const objects of [[claim(true)], [claim(true), user("Succeeded"), user("Failed")], [claim(true), user("Running", "other")]]) {
      const actions = run(objects);
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ type: "update", ref: REF.pvcs, object: { metadata: { name: "data", finalizers: [] } } });
    }
  });

  it("leaves claims and volumes that are not being deleted alone", () => {
    expect(run([claim(false), volume("Released", false)])).toEqual([]);
  });

  it("keeps a deleted volume while it is Bound, and releases it after", () => {
    expect(run([volume("Bound", true)])).toEqual([]);
    for (const phase of ["Released", "Available", "Failed"]) {
      expect(run([volume(phase, true)])).toEqual([expect.objectContaining({ type: "update", ref: REF.pvs, object: expect.objectContaining({ metadata: expect.objectContaining({ finalizers: [] }) }) })]);
    }
  });
});
