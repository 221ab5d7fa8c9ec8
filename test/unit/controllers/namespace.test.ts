// Namespace controller tables: Terminating, emptying, finalize; default ServiceAccounts.
import { describe, expect, it } from "vitest";
import { namespaceController } from "../../../worker/controllers/namespace";
import { DEFAULT_CONTROLLER_CONFIG } from "../../../worker/controllers/types";
import { NOW, REF, obj, pod } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry } from "./snapshot";

function run(objects: SnapshotEntry[]) {
  return namespaceController.reconcile(snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG);
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
});
