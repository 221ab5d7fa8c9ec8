// Garbage collector tables: background, foreground and orphan cascades.
import { describe, expect, it } from "vitest";
import { garbageCollectorController } from "../../../worker/controllers/garbage-collector";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import { NOW, REF, obj, pod } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry } from "./snapshot";

function run(objects: SnapshotEntry[]): Action[] {
  return garbageCollectorController.reconcile(snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG).actions;
}

const rs = (meta: Record<string, unknown> = {}) => obj(REF.replicasets, "ReplicaSet", "web", { spec: {} }, { namespace: "default", ...meta });

describe("garbage collector", () => {
  it("does nothing while owners exist", () => {
    expect(run([rs(), pod("p", { owner: "web" })])).toEqual([]);
  });

  it("deletes dependents whose owners are all gone (background)", () => {
    expect(run([pod("p", { owner: "web" })])).toEqual([
      { type: "delete", ref: REF.pods, namespace: "default", name: "p", uid: "uid-p", propagationPolicy: "Background" },
    ]);
  });

  it("leaves dependents of kinds it cannot see", () => {
    const p = pod("p");
    p.object.metadata.ownerReferences = [{ apiVersion: "batch/v1", kind: "Job", name: "j", uid: "uid-j", controller: true }];
    expect(run([p])).toEqual([]);
  });

  it("drops a dangling reference when another owner lives", () => {
    const p = pod("p", { owner: "web" });
    p.object.metadata.ownerReferences = [...(p.object.metadata.ownerReferences ?? []), { apiVersion: "apps/v1", kind: "ReplicaSet", name: "old", uid: "uid-old" }];
    const actions = run([rs(), p]);
    expect(actions).toHaveLength(1);
    expect(actions[0]?.type === "update" && actions[0].object.metadata.ownerReferences?.map((r) => r.name)).toEqual(["web"]);
  });

  it("foreground: deletes dependents, then removes the finalizer when no blocking one remains", () => {
    const owner = rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["foregroundDeletion"] });
    expect(run([owner, pod("p", { owner: "web" })])).toEqual([
      { type: "delete", ref: REF.pods, namespace: "default", name: "p", uid: "uid-p", propagationPolicy: "Foreground" },
    ]);
    expect(run([owner, pod("p", { owner: "web", deleting: "2025-01-01T00:09:30Z" })])).toEqual([]);
    const done = run([owner]);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ type: "update", ref: REF.replicasets, object: { metadata: { name: "web", finalizers: [] } } });
  });

  it("orphan: removes the owner references, then the finalizer", () => {
    const owner = rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["orphan"] });
    const actions = run([owner, pod("p", { owner: "web" })]);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ type: "update", ref: REF.pods, object: { metadata: { name: "p" } } });
    expect(actions[0]?.type === "update" && actions[0].object.metadata.ownerReferences).toBeUndefined();
    expect(run([owner, pod("p")])).toEqual([expect.objectContaining({ type: "update", ref: REF.replicasets, object: expect.objectContaining({ metadata: expect.objectContaining({ finalizers: [] }) }) })]);
  });
});
