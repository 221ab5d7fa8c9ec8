// Node lifecycle with NodeLeases' view of renewals: a renewal the SQL row never saw keeps the
// node Ready, its expiry is left to NodeLeases' alarm (no requeue), and silence still turns it Unknown.
import { describe, expect, it } from "vitest";
import { reconcileNodes } from "../../worker/controllers/node-lifecycle";
import { DEFAULT_CONTROLLER_CONFIG } from "../../worker/controllers/types";
import { REF, node, obj } from "./controllers/cluster-fixtures";
import { snapshotOf } from "./controllers/snapshot";

const T0 = Date.parse("2025-01-01T00:10:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const staleLease = obj(REF.leases, "Lease", "n1", { spec: { holderIdentity: "n1", renewTime: "2025-01-01T00:00:00.000000Z", leaseDurationSeconds: 40 } }, { namespace: "kube-node-lease" });
const objects = () => [node("n1", { heartbeat: "2025-01-01T00:00:00Z" }), staleLease];

describe("node lifecycle with NodeLeases heartbeats", () => {
  it("trusts a renewal the stored Lease does not show, without a requeue", () => {
    const r = reconcileNodes(snapshotOf(objects()), at(0), DEFAULT_CONTROLLER_CONFIG, { n1: T0 - 5_000 });
    expect(r.actions).toEqual([]);
    expect(r.requeueAfterMs).toBeUndefined();
  });

  it("marks the node Unknown once NodeLeases' renewal is older than the grace period", () => {
    const r = reconcileNodes(snapshotOf(objects()), at(0), DEFAULT_CONTROLLER_CONFIG, { n1: T0 - 40_000 });
    expect(r.actions[0]).toMatchObject({ type: "updateStatus", object: { status: { conditions: [{ type: "Ready", status: "Unknown" }, {}, {}, {}] } } });
  });

  it("still requeues for a node whose freshest sign is its status heartbeat", () => {
    const fresh = [node("n1", { heartbeat: "2025-01-01T00:09:50Z" }), staleLease];
    const r = reconcileNodes(snapshotOf(fresh), at(0), DEFAULT_CONTROLLER_CONFIG, { n1: T0 - 30_000 });
    expect(r.actions).toEqual([]);
    expect(r.requeueAfterMs).toBe(30_000);
  });

  it("falls back to the stored Lease without NodeLeases", () => {
    const r = reconcileNodes(snapshotOf(objects()), at(0), DEFAULT_CONTROLLER_CONFIG);
    expect(r.actions[0]).toMatchObject({ type: "updateStatus" });
  });
});
