// Namespace controller tables: Terminating, emptying, finalize; default ServiceAccounts.
import { describe, expect, it } from "vitest";
import type { CacheChange } from "../../../worker/controllers/types";
import { namespaceController, reconcileNamespaces } from "../../../worker/controllers/namespace";
import { DEFAULT_CONTROLLER_CONFIG } from "../../../worker/controllers/types";
import { NOW, REF, obj, pod } from "./cluster-fixtures";
import { FakeStore } from "../fake-store";
import { BUILT_IN_KIND_INFOS, informerFor, snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

function run(objects: SnapshotEntry[]) {
  return reconcileOnce(namespaceController, snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG);
}

const ns = (name: string, terminating?: "new" | "terminating") =>
  obj(REF.namespaces, "Namespace", name, {
    spec: { finalizers: ["kubernetes"] },
    status: { phase: terminating === "terminating" ? "Terminating" : "Active" },
  }, terminating ? { deletionTimestamp: "2025-01-01T00:09:00Z" } : {});
const sa = (namespace: string) => obj(REF.serviceaccounts, "ServiceAccount", "default", {}, { namespace, uid: `sa-${namespace}` });

describe("namespace controller", () => {
  it("creates the default ServiceAccount in active namespaces only", () => {
    expect(run([ns("a"), ns("b"), sa("b"), ns("c", "terminating")]).actions.filter((a) => a.type === "create")).toEqual([
      { type: "create", ref: REF.serviceaccounts, object: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "a" } } },
    ]);
  });

  it("marks a deleted namespace Terminating first", () => {
    expect(run([ns("gone", "new")]).actions).toEqual([
      expect.objectContaining({ type: "updateStatus", ref: REF.namespaces, object: expect.objectContaining({ status: { phase: "Terminating" } }) }),
    ]);
  });

  it("empties a terminating namespace of every kind, then finalizes it", () => {
    const cm = obj(REF.configmaps, "ConfigMap", "cfg", {}, { namespace: "gone" });
    const result = run([ns("gone", "terminating"), sa("gone"), cm, pod("p", { ns: "gone" }), pod("q", { ns: "gone", deleting: "2025-01-01T00:09:00Z" }), pod("keep")]);
    expect(result.actions.map((a) => a.type === "delete" && `${a.ref.resource}/${a.name}`)).toEqual(["pods/p", "configmaps/cfg", "serviceaccounts/default"]);
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    const done = run([ns("gone", "terminating"), pod("keep")]);
    expect(done.actions).toEqual([expect.objectContaining({ type: "update", ref: REF.namespaces, object: expect.objectContaining({ spec: { finalizers: [] } }) })]);
  });

  it("finalizes an emptied namespace only once API isolates that cached it active cannot admit more", () => {
    const justDeleted = obj(REF.namespaces, "Namespace", "gone", { spec: { finalizers: ["kubernetes"] }, status: { phase: "Terminating" } }, { deletionTimestamp: new Date(NOW.getTime() - 500).toISOString() });
    const early = run([justDeleted]);
    expect(early.actions).toEqual([]);
    expect(early.requeueAfterMs).toBe(1_500);
    const later = reconcileOnce(namespaceController, snapshotOf([justDeleted]), new Date(NOW.getTime() + 1_500), DEFAULT_CONTROLLER_CONFIG);
    expect(later.actions).toEqual([expect.objectContaining({ type: "update", subresource: "finalize" })]);
  });
});

describe("namespace controller, incremental", () => {
  const created = (e: SnapshotEntry): CacheChange => ({ ref: e.ref, current: e.object });
  const actionsFor = (objects: SnapshotEntry[], changes: CacheChange[]) =>
    reconcileNamespaces(snapshotOf(objects), BUILT_IN_KIND_INFOS, DEFAULT_CONTROLLER_CONFIG, NOW, changes).actions.map((a) => `${a.type} ${a.type === "create" || a.type === "update" || a.type === "updateStatus" ? a.object.metadata.namespace ?? a.object.metadata.name : a.type === "delete" ? a.name : ""}`);

  it("looks at an active namespace only when it or its default ServiceAccount changed", () => {
    const objects = [ns("a"), ns("b")];
    expect(actionsFor(objects, [created(pod("p", { ns: "a" }))])).toEqual([]);
    expect(actionsFor(objects, [created(ns("b"))])).toEqual(["create b"]);
    expect(actionsFor(objects, [{ ref: REF.serviceaccounts, previous: sa("a").object }])).toEqual(["create a"]);
  });

  it("keeps emptying a terminating namespace whatever changed", () => {
    expect(actionsFor([ns("gone", "terminating"), pod("p", { ns: "gone" })], [])).toEqual(["delete p"]);
  });

  it("reads the informer's journal: everything first, then only the changes", async () => {
    const store = new FakeStore();
    await store.create({ group: "", resource: "namespaces", namespace: "", name: "a" }, ns("a").object);
    const informer = informerFor(namespaceController);
    await informer.sync(store);
    expect(reconcileOnce(namespaceController, informer, NOW, DEFAULT_CONTROLLER_CONFIG).actions).toHaveLength(1);
    await store.create({ group: "", resource: "configmaps", namespace: "a", name: "cfg" }, obj(REF.configmaps, "ConfigMap", "cfg", {}, { namespace: "a" }).object);
    await informer.sync(store);
    expect(reconcileOnce(namespaceController, informer, NOW, DEFAULT_CONTROLLER_CONFIG).actions).toEqual([]);
  });
});
