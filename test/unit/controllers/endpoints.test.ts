// Endpoints / EndpointSlice tables: selector pods → ready and not-ready addresses, named ports.
import { describe, expect, it } from "vitest";
import { endpointsController } from "../../../worker/controllers/endpoints";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import { NOW, REF, obj, pod } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

function run(objects: SnapshotEntry[]): Action[] {
  return reconcileOnce(endpointsController, snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG).actions;
}

const svc = obj(REF.services, "Service", "web", {
  spec: { selector: { app: "web" }, clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }, { name: "metrics", port: 9090, targetPort: 9090, protocol: "TCP" }] },
}, { namespace: "default" });

const container = (port: number) => ({ containers: [{ name: "c", image: "x", ports: [{ name: "http", containerPort: port }] }] });

describe("endpoints controller", () => {
  it("writes ready and not-ready addresses with per-pod named ports", () => {
    const actions = run([
      svc,
      pod("a", { node: "n1", ip: "10.244.0.5", ready: true, labels: { app: "web" }, spec: container(8080) }),
      pod("b", { node: "n1", ip: "10.244.0.6", ready: false, labels: { app: "web" }, spec: container(8080) }),
      pod("c", { node: "n2", ip: "10.244.1.2", ready: true, labels: { app: "web" }, spec: container(8081) }),
      pod("no-ip", { node: "n2", ready: true, labels: { app: "web" }, spec: container(8080) }),
      pod("other", { node: "n2", ip: "10.244.1.9", ready: true, labels: { app: "db" } }),
      pod("dying", { node: "n2", ip: "10.244.1.3", ready: true, labels: { app: "web" }, spec: container(8080), deleting: "2025-01-01T00:09:00Z" }),
    ]);
    const ep = actions.find((a) => a.type === "create" && a.ref.resource === "endpoints");
    expect(ep?.type === "create" && ep.object).toMatchObject({
      metadata: { name: "web", namespace: "default", labels: { "endpoints.kubernetes.io/managed-by": "endpoint-controller" } },
      subsets: [
        {
          addresses: [{ ip: "10.244.0.5", nodeName: "n1", targetRef: { kind: "Pod", name: "a", namespace: "default", uid: "uid-a" } }],
          notReadyAddresses: [{ ip: "10.244.0.6", nodeName: "n1" }],
          ports: [{ name: "http", port: 8080, protocol: "TCP" }, { name: "metrics", port: 9090, protocol: "TCP" }],
        },
        { addresses: [{ ip: "10.244.1.2", nodeName: "n2" }], ports: [{ name: "http", port: 8081, protocol: "TCP" }, { name: "metrics", port: 9090, protocol: "TCP" }] },
      ],
    });
    const slices = actions.filter((a) => a.type === "create" && a.ref.resource === "endpointslices");
    expect(slices).toHaveLength(2);
    expect(slices[0]?.type === "create" && slices[0].object).toMatchObject({
      metadata: { generateName: "web-", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.0.5"], conditions: { ready: true } }, { addresses: ["10.244.0.6"], conditions: { ready: false } }],
    });
  });

  it("sets hostname for pods whose subdomain is the service", () => {
    const headless = obj(REF.services, "Service", "db", { spec: { selector: { app: "db" }, clusterIP: "None", ports: [{ port: 5432 }] } }, { namespace: "default" });
    const actions = run([headless, pod("db-0", { node: "n1", ip: "10.244.0.7", ready: true, labels: { app: "db" }, spec: { hostname: "db-0", subdomain: "db" } })]);
    const ep = actions.find((a) => a.type === "create" && a.ref.resource === "endpoints");
    expect(ep?.type === "create" && ep.object).toMatchObject({
      metadata: { labels: { "service.kubernetes.io/headless": "" } },
      subsets: [{ addresses: [{ ip: "10.244.0.7", hostname: "db-0" }], ports: [{ port: 5432, protocol: "TCP" }] }],
    });
  });

  it("is idle once Endpoints and slices match, and deletes only managed leftovers", () => {
    const objects = [svc, pod("a", { node: "n1", ip: "10.244.0.5", ready: true, labels: { app: "web" }, spec: container(8080) })];
    const first = run(objects);
    const stored = first
      .filter((a): a is Extract<Action, { type: "create" }> => a.type === "create")
      .map((a, i) => ({ ref: a.ref, object: { ...a.object, metadata: { ...a.object.metadata, name: a.object.metadata.name ?? `web-${i}`, uid: `u${i}`, resourceVersion: "2" } } }));
    expect(run([...objects, ...stored])).toEqual([]);

    const manual = obj(REF.endpoints, "Endpoints", "external", { subsets: [] }, { namespace: "default" });
    const orphan = obj(REF.endpoints, "Endpoints", "gone", { subsets: [] }, { namespace: "default", labels: { "endpoints.kubernetes.io/managed-by": "endpoint-controller" } });
    expect(run([manual, orphan])).toEqual([{ type: "delete", ref: REF.endpoints, namespace: "default", name: "gone", uid: "uid-gone" }]);
  });
});
