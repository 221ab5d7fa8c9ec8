// NodeRestriction for a node writing its own Node: taints and node-restriction.kubernetes.io/
// labels stay as the admin set them; everything else a kubelet writes passes.
import { describe, expect, it } from "vitest";
import { admitNodeWrite } from "../../worker/api/node-restriction";
import type { Principal } from "../../worker/api/access";
import type { KubeObject } from "../../worker/resources/types";

const node: Principal = { user: "system:node:vm1", kind: "node", scope: "vm1" };
const admin: Principal = { user: "admin", kind: "admin", scope: "" };
const taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" };

function nodeObject(labels: Record<string, string> = {}, taints: unknown[] = []): KubeObject {
  return { apiVersion: "v1", kind: "Node", metadata: { name: "vm1", labels }, spec: { taints } };
}

describe("admitNodeWrite", () => {
  it("lets a node change its ordinary labels", () => {
    expect(() => admitNodeWrite(node, nodeObject({ a: "1" }), nodeObject({ a: "2", "kubernetes.io/hostname": "vm1" }))).not.toThrow();
  });

  it("forbids a node to remove its taints or touch restricted labels", () => {
    expect(() => admitNodeWrite(node, nodeObject({}, [taint]), nodeObject({}, []))).toThrow('node "vm1" is not allowed to modify taints');
    expect(() => admitNodeWrite(node, null, nodeObject({ "node-restriction.kubernetes.io/db": "yes" }))).toThrow("modify labels: node-restriction.kubernetes.io/db");
  });

  it("leaves the admin alone", () => {
    expect(() => admitNodeWrite(admin, nodeObject({}, [taint]), nodeObject({ "node-restriction.kubernetes.io/db": "yes" }, []))).not.toThrow();
  });
});
