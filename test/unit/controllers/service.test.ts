// Service controller tables: the kubernetes Service, backfilled addresses, LoadBalancer ingress.
import { describe, expect, it } from "vitest";
import { serviceController } from "../../../worker/controllers/service";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import { NOW, REF, node, obj } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

function run(objects: SnapshotEntry[]): Action[] {
  return reconcileOnce(serviceController(), snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG).actions;
}

const kubernetes = obj(REF.services, "Service", "kubernetes", { spec: { clusterIP: "10.96.0.1", clusterIPs: ["10.96.0.1"], ports: [{ name: "https", port: 443 }] } }, { namespace: "default" });
const svc = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}) => obj(REF.services, "Service", name, { spec, status }, { namespace: "default" });

describe("service controller", () => {
  it("creates the kubernetes Service at .1 when missing", () => {
    expect(run([])).toEqual([
      expect.objectContaining({ type: "create", object: expect.objectContaining({ metadata: expect.objectContaining({ name: "kubernetes" }), spec: expect.objectContaining({ clusterIP: "10.96.0.1", ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 443 }] }) }) }),
    ]);
  });

  it("allocates missing ClusterIPs and node ports, skipping used ones and headless/ExternalName", () => {
    const actions = run([
      kubernetes,
      svc("a", { type: "NodePort", clusterIP: "10.96.0.2", clusterIPs: ["10.96.0.2"], ports: [{ port: 80, nodePort: 30000 }] }),
      svc("b", { type: "NodePort", ports: [{ port: 80 }, { port: 81, nodePort: 30005 }] }),
      svc("headless", { clusterIP: "None", ports: [{ port: 80 }] }),
      svc("ext", { type: "ExternalName", externalName: "example.com" }),
    ]);
    expect(actions).toEqual([
      expect.objectContaining({ type: "update", object: expect.objectContaining({ spec: { type: "NodePort", clusterIP: "10.96.0.3", clusterIPs: ["10.96.0.3"], ports: [{ port: 80, nodePort: 30001 }, { port: 81, nodePort: 30005 }] } }) }),
    ]);
  });

  it("publishes Ready nodes' addresses as LoadBalancer ingress, once", () => {
    const nodes = [
      node("n1", { addresses: [{ type: "InternalIP", address: "192.168.0.11" }, { type: "ExternalIP", address: "203.0.113.5" }] }),
      node("n2", { addresses: [{ type: "InternalIP", address: "192.168.0.12" }] }),
      node("n3", { ready: "False", addresses: [{ type: "InternalIP", address: "192.168.0.13" }] }),
    ];
    const spec = { type: "LoadBalancer", clusterIP: "10.96.0.9", clusterIPs: ["10.96.0.9"], ports: [{ port: 80, nodePort: 31000 }] };
    const ingress = [{ ip: "192.168.0.12", ipMode: "VIP" }, { ip: "203.0.113.5", ipMode: "VIP" }];
    expect(run([kubernetes, ...nodes, svc("lb", spec)])).toEqual([expect.objectContaining({ type: "updateStatus", object: expect.objectContaining({ status: { loadBalancer: { ingress } } }) })]);
    expect(run([kubernetes, ...nodes, svc("lb", spec, { loadBalancer: { ingress } })])).toEqual([]);
  });
});
