// Garbage collector tables: background, foreground and orphan cascades, as a full pass and
// incrementally from the changes the informer journals.
import { describe, expect, it } from "vitest";
import { collectGarbage, garbageCollectorController } from "../../../worker/controllers/garbage-collector";
import { FEED_RESYNC_MS } from "../../../worker/controllers/informer";
import type { CacheChange } from "../../../worker/controllers/types";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import { NOW, REF, obj, pod } from "./cluster-fixtures";
import { FakeStore } from "../fake-store";
import { BUILT_IN_KIND_INFOS, informerFor, snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

function run(objects: SnapshotEntry[]): Action[] {
  return reconcileOnce(garbageCollectorController, snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG).actions;
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
    expect(done[0]).toMatchObject({ type: "update", ref: REF.replicasets, object: { metadata: { name: "web" } } });
    // An emptied list is left out, as kube-apiserver stores it.
    expect(done[0]!.type === "update" && "finalizers" in done[0]!.object.metadata).toBe(false);
  });

  it("orphan: removes the owner references, then the finalizer", () => {
    const owner = rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["orphan"] });
    const actions = run([owner, pod("p", { owner: "web" })]);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ type: "update", ref: REF.pods, object: { metadata: { name: "p" } } });
    expect(actions[0]?.type === "update" && actions[0].object.metadata.ownerReferences).toBeUndefined();
    const released = run([owner, pod("p")]);
    expect(released).toEqual([expect.objectContaining({ type: "update", ref: REF.replicasets })]);
    expect(released[0]!.type === "update" && "finalizers" in released[0]!.object.metadata).toBe(false);
  });
});

describe("garbage collector, incremental (only what changed since the last pass)", () => {
  const cm = obj(REF.configmaps, "ConfigMap", "cfg", {}, { namespace: "default" });
  const created = (e: SnapshotEntry): CacheChange => ({ ref: e.ref, current: e.object });
  const removed = (e: SnapshotEntry): CacheChange => ({ ref: e.ref, previous: e.object });
  const incremental = (objects: SnapshotEntry[], changes: CacheChange[]) => collectGarbage(snapshotOf(objects), BUILT_IN_KIND_INFOS, changes);

  const rows: { name: string; objects: SnapshotEntry[]; changes: CacheChange[]; expect: string[] }[] = [
    { name: "an unrelated change leaves an orphan it was not told about", objects: [pod("p", { owner: "web" }), cm], changes: [created(cm)], expect: [] },
    { name: "the owner's delete reaches its dependents", objects: [pod("p", { owner: "web" })], changes: [removed(rs())], expect: ["delete pods/p Background"] },
    { name: "a dependent created for a missing owner", objects: [pod("p", { owner: "web" })], changes: [created(pod("p", { owner: "web" }))], expect: ["delete pods/p Background"] },
    { name: "a dependent of a live owner", objects: [rs(), pod("p", { owner: "web" })], changes: [created(pod("p", { owner: "web" }))], expect: [] },
    {
      name: "an owner turning foreground-deleting takes its dependents with it",
      objects: [rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["foregroundDeletion"] }), pod("p", { owner: "web" })],
      changes: [created(rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["foregroundDeletion"] }))],
      expect: ["delete pods/p Foreground"],
    },
    {
      name: "the last blocking dependent's delete frees its foreground owner",
      objects: [rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["foregroundDeletion"] })],
      changes: [removed(pod("p", { owner: "web" }))],
      expect: ["update replicasets/web"],
    },
    {
      name: "a dependent let go by an orphaning owner frees it",
      objects: [rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["orphan"] }), pod("p")],
      changes: [{ ref: REF.pods, previous: pod("p", { owner: "web" }).object, current: pod("p").object }],
      expect: ["update replicasets/web"],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const got = incremental(row.objects, row.changes).map((a) =>
        a.type === "delete" ? `delete ${a.ref.resource}/${a.name} ${a.propagationPolicy}` : a.type === "update" ? `update ${a.ref.resource}/${a.object.metadata.name}` : a.type,
      );
      expect(got).toEqual(row.expect);
    });
  }

  it("decides as a full pass does when every object is reported as changed", () => {
    const fg = rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["foregroundDeletion"] });
    const scenarios: SnapshotEntry[][] = [
      [pod("p", { owner: "web" }), pod("q", { owner: "gone" }), cm],
      [fg, pod("p", { owner: "web" }), pod("q", { owner: "web", deleting: "2025-01-01T00:09:30Z" })],
      [rs({ deletionTimestamp: "2025-01-01T00:09:00Z", finalizers: ["orphan"] }), pod("p", { owner: "web" })],
      [rs(), pod("p", { owner: "web" })],
    ];
    for (const objects of scenarios) {
      const full = collectGarbage(snapshotOf(objects), BUILT_IN_KIND_INFOS);
      expect(incremental(objects, objects.map(created))).toEqual(expect.arrayContaining(full));
      expect(incremental(objects, objects.map(created))).toHaveLength(full.length);
    }
  });

  it("reads the informer's journal: a full first pass, then only the changes", async () => {
    const store = new FakeStore();
    const key = (resource: string, name: string, group = "") => ({ group, resource, namespace: "default", name });
    await store.create(key("pods", "p"), pod("p", { owner: "web" }).object);
    const informer = informerFor(garbageCollectorController);
    await informer.sync(store);
    const reconcile = (at: Date) => reconcileOnce(garbageCollectorController, informer, at, DEFAULT_CONTROLLER_CONFIG).actions;
    expect(reconcile(NOW)).toHaveLength(1); // first pass: everything, the orphan included
    await store.create(key("configmaps", "cfg"), cm.object);
    await informer.sync(store);
    expect(reconcile(NOW)).toEqual([]); // a ConfigMap changed: nothing else is looked at
    await store.create(key("pods", "q"), pod("q", { owner: "gone" }).object);
    await informer.sync(store);
    expect(reconcile(NOW).map((a) => a.type === "delete" && a.name)).toEqual(["q"]);
    expect(reconcile(new Date(NOW.getTime() + FEED_RESYNC_MS)).map((a) => a.type === "delete" && a.name)).toEqual(["p", "q"]); // the periodic resync
  });
});
