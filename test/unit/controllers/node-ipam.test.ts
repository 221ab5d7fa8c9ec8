// Node IPAM tables: each node without a podCIDR gets the next free /24 of the cluster CIDR.
import { describe, expect, it } from "vitest";
import { nodeIpamController } from "../../../worker/controllers/node-ipam";
import { DEFAULT_CONTROLLER_CONFIG, type Action, type ControllerConfig } from "../../../worker/controllers/types";
import { NOW, node } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

function run(objects: SnapshotEntry[], config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG): Action[] {
  return reconcileOnce(nodeIpamController, snapshotOf(objects), NOW, config).actions;
}

function withCidr(entry: SnapshotEntry, cidr: string): SnapshotEntry {
  return { ...entry, object: { ...entry.object, spec: { ...(entry.object.spec as object), podCIDR: cidr, podCIDRs: [cidr] } } };
}

const updates = (actions: Action[]) => actions.flatMap((a) => (a.type === "update" ? [[a.object.metadata.name, (a.object.spec as { podCIDR: string }).podCIDR]] : []));

describe("node IPAM", () => {
  it("gives each node without a podCIDR the next free block, skipping held ones", () => {
    const actions = run([withCidr(node("a"), "10.244.0.0/24"), node("b"), withCidr(node("c"), "10.244.2.0/24"), node("d")]);
    expect(updates(actions)).toEqual([["b", "10.244.1.0/24"], ["d", "10.244.3.0/24"]]);
    expect(actions.find((a) => a.type === "update")?.object.spec).toMatchObject({ podCIDRs: ["10.244.1.0/24"] });
    expect(actions.filter((a) => a.type === "event").map((a) => a.type === "event" && a.reason)).toEqual(["CIDRAssignmentSucceeded", "CIDRAssignmentSucceeded"]);
  });

  it("leaves nodes that hold a block alone: no writes on a quiet cluster", () => {
    expect(run([withCidr(node("a"), "10.244.0.0/24"), withCidr(node("b"), "10.244.1.0/24")])).toEqual([]);
  });

  it("says so in a Warning when the cluster CIDR is full, and writes nothing for that node", () => {
    const actions = run([withCidr(node("a"), "10.0.0.0/24"), node("b")], { ...DEFAULT_CONTROLLER_CONFIG, clusterCidr: "10.0.0.0/24", nodeCidrMaskSize: 24 });
    expect(actions).toEqual([expect.objectContaining({ type: "event", eventType: "Warning", reason: "CIDRNotAvailable" })]);
  });
});
