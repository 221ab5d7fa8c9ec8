// Namespaces, Services, Endpoints, ConfigMaps, Secrets, ServiceAccounts, Events and Nodes:
// the notes' manifests round-trip, defaults and 422 causes match kube-apiserver, rows match kubectl.
import { describe, expect, it } from "vitest";
import { configmaps } from "../../../worker/resources/core/configmap";
import { endpoints } from "../../../worker/resources/core/endpoints";
import { events } from "../../../worker/resources/core/event";
import { namespaces } from "../../../worker/resources/core/namespace";
import { nodes } from "../../../worker/resources/core/node";
import { secrets } from "../../../worker/resources/core/secret";
import { serviceaccounts } from "../../../worker/resources/core/serviceaccount";
import { services } from "../../../worker/resources/core/service";
import type { KubeObject } from "../../../worker/resources/types";
import { NOW, causesOf, create, manifest, update } from "./cluster-resources-harness";

const svc = (spec: Record<string, unknown>, name = "web"): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec });

describe("namespaces", () => {
  it("creates Active with the kubernetes finalizer and the name label", () => {
    const ns = create(namespaces, manifest("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: my-namespace\n"));
    expect(ns.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(ns.status).toEqual({ phase: "Active" });
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "my-namespace" });
    expect(ns.metadata.generation).toBeUndefined();
    expect(namespaces.printRow(ns, NOW)).toEqual(["my-namespace", "Active", "0s"]);
  });

  it("keeps finalizers and status on update and rejects non-label names", () => {
    const ns = create(namespaces, manifest("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n"));
    const next = update(namespaces, ns, { ...ns, spec: { finalizers: [] }, status: { phase: "Terminating" }, metadata: { ...ns.metadata, labels: {} } });
    expect(next.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(next.status).toEqual({ phase: "Active" });
    expect(next.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "team" });
    expect(namespaces.validate!({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a.b" } })[0]).toMatchObject({ field: "metadata.name", reason: "FieldValueInvalid" });
  });
});

describe("services", () => {
  it("applies the notes' LoadBalancer service with upstream defaults", () => {
    const s = create(
      services,
      manifest(`apiVersion: v1
kind: Service
metadata:
  name: k8s-web-hello
spec:
  type: LoadBalancer
  selector:
    app: k8s-web-hello
  ports:
  - port: 3000
    targetPort: 3000
`),
      "default",
    );
    expect(s.spec).toEqual({
      type: "LoadBalancer",
      selector: { app: "k8s-web-hello" },
      ports: [{ port: 3000, targetPort: 3000, protocol: "TCP" }],
      sessionAffinity: "None",
      externalTrafficPolicy: "Cluster",
      internalTrafficPolicy: "Cluster",
      allocateLoadBalancerNodePorts: true,
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
    });
    expect(s.status).toEqual({ loadBalancer: {} });
    expect(services.printRow(s, NOW)).toEqual(["k8s-web-hello", "LoadBalancer", "<none>", "<pending>", "3000/TCP", "0s", "app=k8s-web-hello"]);
  });

  it("drops the notes' misspelt `protocl` and defaults protocol and targetPort", () => {
    const s = create(
      services,
      manifest(`apiVersion: v1
kind: Service
metadata:
  name: myapp-internal-service
spec:
  selector:
    app: myapp
  ports:
    - protocl: TCP
      port: 8080
`),
      "default",
    );
    expect(s.spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 8080, protocol: "TCP", targetPort: 8080 }] });
    expect(s.spec).not.toHaveProperty("externalTrafficPolicy");
  });

  it("rejects the notes' nodePort 35010 as kube-apiserver does", () => {
    const notes = manifest(`apiVersion: v1
kind: Service
metadata:
  name: myapp-external-service
spec:
  selector:
    app: myapp
  type: LoadBalancer
  ports:
    - protocol: TCP
      port: 8080
      targetPort: 8080
      nodePort: 35010
`);
    expect(causesOf(() => create(services, notes, "default"))).toEqual([
      {
        field: "spec.ports[0].nodePort",
        reason: "FieldValueInvalid",
        message: "Invalid value: 35010: provided port is not in the valid range. The range of valid ports is 30000-32767",
      },
    ]);
  });

  it("accepts the notes' named multi-port service and prints node ports", () => {
    const s = create(
      services,
      svc({
        type: "NodePort",
        ports: [
          { name: "mongodb", protocol: "TCP", port: 27017, targetPort: 27017, nodePort: 30080 },
          { name: "mongodb-exporter", protocol: "TCP", port: 9216, targetPort: 9216 },
        ],
      }),
      "default",
    );
    expect(services.printRow(s, NOW).slice(1, 5)).toEqual(["NodePort", "<none>", "<none>", "27017:30080/TCP,9216/TCP"]);
  });

  it("names each cause as kube-apiserver does", () => {
    expect(causesOf(() => create(services, svc({ type: "Foo", ports: [{ port: 80 }] }), "default"))).toEqual([
      { field: "spec.type", reason: "FieldValueNotSupported", message: 'Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' },
    ]);
    expect(causesOf(() => create(services, svc({ ports: [{ name: "http", port: 80 }, { port: 443 }] }), "default"))).toEqual([
      { field: "spec.ports[1].name", reason: "FieldValueRequired", message: "Required value" },
    ]);
    const bad = causesOf(() => create(services, svc({ ports: [{ name: "a", port: 0 }, { name: "a", port: 70000, nodePort: 30001 }] }), "default"));
    expect(bad.map((c) => [c.field, c.reason])).toEqual([
      ["spec.ports[0].port", "FieldValueInvalid"],
      ["spec.ports[0].targetPort", "FieldValueInvalid"],
      ["spec.ports[1].name", "FieldValueDuplicate"],
      ["spec.ports[1].port", "FieldValueInvalid"],
      ["spec.ports[1].targetPort", "FieldValueInvalid"],
      ["spec.ports[1].nodePort", "FieldValueForbidden"],
    ]);
    expect(causesOf(() => create(services, svc({}), "default"))).toEqual([{ field: "spec.ports", reason: "FieldValueRequired", message: "Required value" }]);
    expect(causesOf(() => create(services, svc({ ports: [{ port: 80 }] }, "1web"), "default"))[0]).toMatchObject({ field: "metadata.name", reason: "FieldValueInvalid" });
    expect(causesOf(() => create(services, svc({ type: "ExternalName" }), "default"))).toEqual([
      { field: "spec.externalName", reason: "FieldValueRequired", message: "Required value" },
    ]);
  });

  it("handles headless and ExternalName services", () => {
    const headless = create(services, svc({ clusterIP: "None", selector: { app: "db" } }), "default");
    expect(headless.spec).toMatchObject({ clusterIPs: ["None"], ipFamilyPolicy: "SingleStack" });
    expect(services.printRow(headless, NOW).slice(2, 5)).toEqual(["None", "<none>", "<none>"]);
    const ext = create(services, svc({ type: "ExternalName", externalName: "db.example.com" }), "default");
    expect(ext.spec).not.toHaveProperty("ipFamilies");
    expect(services.printRow(ext, NOW).slice(1, 5)).toEqual(["ExternalName", "<none>", "db.example.com", "<none>"]);
  });

  it("keeps allocated IPs and node ports across an apply that omits them, and freezes the clusterIP", () => {
    const created = create(services, svc({ type: "NodePort", ports: [{ port: 80 }] }), "default");
    const allocated = structuredClone(created);
    Object.assign(allocated.spec as object, { clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ports: [{ port: 80, protocol: "TCP", targetPort: 80, nodePort: 30100 }] });
    const applied = update(services, allocated, svc({ type: "NodePort", ports: [{ port: 80 }], selector: { app: "web" } }));
    expect(applied.spec).toMatchObject({ clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ports: [{ port: 80, nodePort: 30100 }] });
    expect(causesOf(() => update(services, allocated, svc({ type: "NodePort", clusterIP: "10.96.0.11", clusterIPs: ["10.96.0.11"], ports: [{ port: 80 }] })))).toEqual([
      { field: "spec.clusterIPs[0]", reason: "FieldValueInvalid", message: 'Invalid value: []string{"10.96.0.11"}: may not change once set' },
    ]);
    const toClusterIP = update(services, allocated, svc({ type: "ClusterIP", ports: [{ port: 80, nodePort: 30100 }] }));
    expect((toClusterIP.spec as { ports: object[] }).ports[0]).not.toHaveProperty("nodePort");
  });

  it("prints load balancer ingress and external IPs", () => {
    const s = create(services, svc({ type: "LoadBalancer", ports: [{ port: 80 }], externalIPs: ["1.2.3.4"] }), "default");
    s.status = { loadBalancer: { ingress: [{ ip: "5.6.7.8" }, { hostname: "lb.example.com" }] } };
    expect(services.printRow(s, NOW)[3]).toBe("5.6.7.8,lb.example.com,1.2.3.4");
  });
});

describe("configmaps and secrets", () => {
  it("round-trips the notes' ConfigMap", () => {
    const cm = create(configmaps, manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mysql-configmap\n  namespace: my-namespace\ndata:\n  db_url: mysql-service.database\n"));
    expect(cm.data).toEqual({ db_url: "mysql-service.database" });
    expect(cm.metadata.namespace).toBe("my-namespace");
    expect(configmaps.printRow({ ...cm, binaryData: { b: "AA==" } }, NOW)).toEqual(["mysql-configmap", 2, "0s"]);
  });

  it("validates keys and freezes immutable ConfigMaps", () => {
    const cm = (data: Record<string, string>, immutable?: boolean): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data, ...(immutable === undefined ? {} : { immutable }) });
    expect(causesOf(() => create(configmaps, cm({ "bad key": "x" }), "default"))[0]).toMatchObject({ field: "data[bad key]", reason: "FieldValueInvalid" });
    const frozen = create(configmaps, cm({ a: "1" }, true), "default");
    expect(causesOf(() => update(configmaps, frozen, cm({ a: "2" }, true)))).toEqual([
      { field: "data", reason: "FieldValueForbidden", message: "Forbidden: field is immutable when `immutable` is set" },
    ]);
  });

  it("round-trips the notes' TLS Secret with real base64", () => {
    const s = create(
      secrets,
      manifest(`apiVersion: v1
kind: Secret
metadata:
  name: myapp-secret-tls
  namespace: default
data:
  tls.crt: Y2VydA==
  tls.key: a2V5
type: kubernetes.io/tls
`),
    );
    expect(s.data).toEqual({ "tls.crt": "Y2VydA==", "tls.key": "a2V5" });
    expect(secrets.printRow(s, NOW)).toEqual(["myapp-secret-tls", "kubernetes.io/tls", 2, "0s"]);
  });

  it("merges stringData into data, defaults Opaque and rejects bad base64", () => {
    const s = create(secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "eA==" }, stringData: { a: "héllo", b: "pw" } }, "default");
    expect(s).not.toHaveProperty("stringData");
    expect(s.type).toBe("Opaque");
    expect(s.data).toEqual({ a: Buffer.from("héllo").toString("base64"), b: "cHc=" });
    expect(causesOf(() => create(secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "not base64!" } }, "default"))[0]).toMatchObject({ field: "data.a", reason: "FieldValueInvalid" });
    expect(causesOf(() => create(secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, type: "kubernetes.io/tls", data: {} }, "default"))).toEqual([
      { field: "data[tls.crt]", reason: "FieldValueRequired", message: "Required value" },
      { field: "data[tls.key]", reason: "FieldValueRequired", message: "Required value" },
    ]);
  });

  it("keeps type and immutable data fixed", () => {
    const s = create(secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { a: "1" }, immutable: true }, "default");
    const causes = causesOf(() => update(secrets, s, { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, type: "Other", stringData: { a: "2" }, immutable: true }));
    expect(causes).toEqual([
      { field: "type", reason: "FieldValueInvalid", message: 'Invalid value: "Other": field is immutable' },
      { field: "data", reason: "FieldValueForbidden", message: "Forbidden: field is immutable when `immutable` is set" },
    ]);
  });
});

describe("serviceaccounts, endpoints, events", () => {
  it("counts service account secrets", () => {
    const sa = create(serviceaccounts, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default" }, secrets: [{ name: "t" }] }, "default");
    expect(serviceaccounts.printRow(sa, NOW)).toEqual(["default", 1, "0s"]);
  });

  it("prints endpoints as kubectl does", () => {
    const ep = (subsets: unknown[]): KubeObject => ({ apiVersion: "v1", kind: "Endpoints", metadata: { name: "web" }, subsets });
    expect(endpoints.printRow(ep([]), NOW)[1]).toBe("<none>");
    const four = [{ addresses: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }, { ip: "10.0.0.3" }, { ip: "fd00::4" }], ports: [{ port: 80 }] }];
    expect(endpoints.printRow(ep(four), NOW)[1]).toBe("10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...");
    const created = create(endpoints, ep([{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }]), "default");
    expect(created.subsets).toEqual([{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80, protocol: "TCP" }] }]);
    expect(causesOf(() => create(endpoints, ep([{ addresses: [{ ip: "127.0.0.1" }], ports: [{ port: 80 }, { port: 81 }] }]), "default")).map((c) => c.field)).toEqual([
      "subsets[0].addresses[0].ip",
      "subsets[0].ports[0].name",
      "subsets[0].ports[1].name",
    ]);
  });

  it("prints events wide and validates their namespace", () => {
    const ev = create(
      events,
      {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: "web-1.17f", namespace: "default" },
        involvedObject: { kind: "Pod", name: "web-1", namespace: "default", fieldPath: "spec.containers{web}" },
        reason: "Pulled",
        message: "Container image pulled ",
        source: { component: "kubelet", host: "node-1" },
        firstTimestamp: "2024-12-31T23:50:00Z",
        lastTimestamp: "2024-12-31T23:59:00Z",
        count: 3,
        type: "Normal",
      },
      "default",
    );
    expect(ev.reportingComponent).toBe("");
    expect(ev.eventTime).toBeNull();
    expect(events.printRow(ev, NOW)).toEqual(["60s", "Normal", "Pulled", "pod/web-1", "spec.containers{web}", "kubelet, node-1", "Container image pulled", "10m", 3, "web-1.17f"]);
    expect(causesOf(() => create(events, { apiVersion: "v1", kind: "Event", metadata: { name: "e" }, involvedObject: { kind: "Pod", name: "p", namespace: "other" } }, "default"))).toEqual([
      { field: "involvedObject.namespace", reason: "FieldValueInvalid", message: 'Invalid value: "other": does not match event.namespace' },
    ]);
  });
});

describe("nodes", () => {
  const node = (extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-1", labels: { "node-role.kubernetes.io/control-plane": "", "kubernetes.io/hostname": "node-1" } },
    spec: { podCIDR: "10.244.0.0/24" },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
      addresses: [{ type: "InternalIP", address: "192.168.1.10" }, { type: "Hostname", address: "node-1" }],
      nodeInfo: { kubeletVersion: "v1.32.0", osImage: "Debian GNU/Linux 12", kernelVersion: "6.1.0", containerRuntimeVersion: "docker://24.0.0" },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    },
    ...extra,
  });

  it("keeps the registering agent's status and syncs podCIDRs", () => {
    const n = create(nodes, node());
    expect(n.spec).toEqual({ podCIDR: "10.244.0.0/24", podCIDRs: ["10.244.0.0/24"] });
    expect((n.status as { allocatable: unknown }).allocatable).toEqual({ cpu: "4", memory: "8Gi", pods: "110" });
    expect(nodes.printRow(n, NOW)).toEqual(["node-1", "Ready", "control-plane", "0s", "v1.32.0", "192.168.1.10", "<none>", "Debian GNU/Linux 12", "6.1.0", "docker://24.0.0"]);
  });

  it("prints NotReady, SchedulingDisabled and <none> roles", () => {
    const n = node({ spec: { unschedulable: true }, status: { conditions: [{ type: "Ready", status: "Unknown" }] } });
    n.metadata.labels = {};
    expect(nodes.printRow(n, NOW).slice(1, 3)).toEqual(["NotReady,SchedulingDisabled", "<none>"]);
    expect(nodes.printRow({ ...n, status: {} }, NOW)[1]).toBe("Unknown,SchedulingDisabled");
  });

  it("validates taints and freezes podCIDRs", () => {
    const taints = [{ key: "a", effect: "NoSchedule" }, { key: "a", effect: "NoSchedule" }, { key: "b", effect: "Sometimes" }];
    expect(causesOf(() => create(nodes, node({ spec: { taints } }))).map((c) => [c.field, c.reason])).toEqual([
      ["spec.taints[1]", "FieldValueDuplicate"],
      ["spec.taints[2].effect", "FieldValueNotSupported"],
    ]);
    const n = create(nodes, node());
    expect(causesOf(() => update(nodes, n, node({ spec: { podCIDR: "10.244.1.0/24" } })))).toEqual([
      { field: "spec.podCIDRs", reason: "FieldValueForbidden", message: 'Forbidden: node updates may not change podCIDR except from "" to valid' },
    ]);
  });
});
