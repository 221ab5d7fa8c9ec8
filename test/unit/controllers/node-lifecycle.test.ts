// Node lifecycle timeline: Lease expiry → Unknown → unreachable taints → pods not Ready → eviction → recovery.
import { describe, expect, it } from "vitest";
import { nodeLifecycleController } from "../../../worker/controllers/node-lifecycle";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import type { KubeObject } from "../../../worker/resources/types";
import { REF, node, obj, pod } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

const T0 = Date.parse("2025-01-01T00:10:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const lease = (renew: string) => obj(REF.leases, "Lease", "n1", { spec: { holderIdentity: "n1", renewTime: renew, leaseDurationSeconds: 40 } }, { namespace: "kube-node-lease" });

function run(objects: SnapshotEntry[], now: Date) {
  return reconcileOnce(nodeLifecycleController, snapshotOf(objects), now, DEFAULT_CONTROLLER_CONFIG);
}

function apply(objects: SnapshotEntry[], actions: Action[]): SnapshotEntry[] {
  let out = [...objects];
  for (const a of actions) {
    if (a.type === "update" || a.type === "updateStatus") {
      out = out.map((e) => (e.ref.resource === a.ref.resource && e.object.metadata.name === a.object.metadata.name ? { ref: e.ref, object: a.object as KubeObject } : e));
    } else if (a.type === "delete") out = out.filter((e) => !(e.ref.resource === a.ref.resource && e.object.metadata.name === a.name));
  }
  return out;
}

describe("node lifecycle", () => {
  const base = () => [
    node("n1", { heartbeat: "2025-01-01T00:09:00Z" }),
    lease("2025-01-01T00:09:59.123456Z"),
    pod("web", { node: "n1", ready: true }),
    pod("patient", { node: "n1", ready: true, spec: { tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 }] } }),
    pod("daemon", { node: "n1", ready: true, spec: { tolerations: [{ operator: "Exists" }] } }),
  ];

  it("leaves a healthy node alone and asks to come back at its grace deadline", () => {
    const result = run(base(), at(10));
    expect(result.actions).toEqual([]);
    expect(result.requeueAfterMs).toBe(29_123);
  });

  it("walks the eviction timeline after the Lease expires", () => {
    let objects = base();
    // 1. Stale: conditions Unknown and NodeNotReady.
    let r = run(objects, at(60));
    expect(r.actions[0]).toMatchObject({ type: "updateStatus", ref: REF.nodes, object: { status: { conditions: [{ type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." }, { type: "MemoryPressure", status: "Unknown", reason: "NodeStatusNeverUpdated" }, {}, {}] } } });
    expect(r.actions[1]).toMatchObject({ type: "event", reason: "NodeNotReady" });
    objects = apply(objects, r.actions);
    // 2. Taints, and pods marked not Ready.
    r = run(objects, at(61));
    expect(r.actions[0]).toMatchObject({ type: "update", ref: REF.nodes, object: { spec: { taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }, { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "2025-01-01T00:11:01Z" }] } } });
    expect(r.actions.filter((a) => a.type === "updateStatus").map((a) => a.type === "updateStatus" && a.object.metadata.name)).toEqual(["daemon", "patient", "web"]);
    objects = apply(objects, r.actions);
    r = run(objects, at(62));
    expect(r.actions).toEqual([]);
    expect(r.requeueAfterMs).toBe(29_000);
    // 3. The toleration runs out for `patient`; `web` lasts the default eviction timeout; `daemon` stays.
    r = run(objects, at(91));
    expect(r.actions.filter((a) => a.type === "delete").map((a) => a.type === "delete" && a.name)).toEqual(["patient"]);
    objects = apply(objects, r.actions);
    r = run(objects, at(61 + 300));
    expect(r.actions.filter((a) => a.type === "delete").map((a) => a.type === "delete" && a.name)).toEqual(["web"]);
    expect(r.actions).toContainEqual(expect.objectContaining({ type: "event", reason: "TaintManagerEviction", message: "Marking for deletion Pod default/web" }));
    objects = apply(objects, r.actions);
    // 4. The kubelet comes back: Ready True and a fresh Lease → taints removed.
    objects = objects.map((e) => {
      if (e.ref.resource === "leases") return lease("2025-01-01T00:16:10Z");
      if (e.ref.resource !== "nodes") return e;
      return node("n1", { heartbeat: "2025-01-01T00:16:10Z" });
    }).map((e) => (e.ref.resource === "nodes" ? { ...e, object: { ...e.object, spec: { taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }] } } } : e));
    r = run(objects, at(371));
    expect(r.actions).toEqual([expect.objectContaining({ type: "update", object: expect.objectContaining({ spec: {} }) })]);
  });
});

describe("node lifecycle: a new node", () => {
  it("is left alone within its grace period, then marked Unknown", () => {
    const fresh = node("n1");
    fresh.object.metadata.creationTimestamp = "2025-01-01T00:09:50Z";
    fresh.object.status = {};
    const early = run([fresh], at(0));
    expect(early.actions).toEqual([]);
    expect(early.requeueAfterMs).toBe(30_000);
    const late = run([fresh], at(31));
    expect(late.actions[0]).toMatchObject({ type: "updateStatus", object: { status: { conditions: [{ type: "Ready", status: "Unknown", reason: "NodeStatusNeverUpdated" }, {}, {}, {}] } } });
  });
});
