// All cluster controllers together: a small cluster is driven to convergence through a fake
// applier (resourceVersion preconditions, a kubelet that starts bound pods), after which a pass writes nothing.
import { describe, expect, it } from "vitest";
import { CONTROLLERS } from "../../../worker/controllers";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import type { KubeObject } from "../../../worker/resources/types";
import { NOW, REF, node, obj, pod } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

class Cluster {
  private readonly objects = new Map<string, SnapshotEntry>();
  private rv = 10;
  private seq = 0;
  constructor(entries: SnapshotEntry[]) {
    for (const e of entries) this.put(e);
  }
  private key(resource: string, ns: string | undefined, name: string) {
    return `${resource}|${ns ?? ""}|${name}`;
  }
  private put(e: SnapshotEntry) {
    this.objects.set(this.key(e.ref.resource, e.object.metadata.namespace, e.object.metadata.name ?? ""), e);
  }
  entries() {
    return [...this.objects.values()];
  }
  find(resource: string, name: string, ns?: string): KubeObject | undefined {
    return this.objects.get(this.key(resource, ns, name))?.object;
  }
  apply(a: Action): number {
    const bump = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } });
    switch (a.type) {
      case "create": {
        const name = a.object.metadata.name ?? `${a.object.metadata.generateName}${++this.seq}`;
        if (this.find(a.ref.resource, name, a.object.metadata.namespace)) return 0;
        this.put({ ref: a.ref, object: bump({ ...a.object, metadata: { ...a.object.metadata, name, uid: `uid-${name}` } }) });
        return 1;
      }
      case "update":
      case "updateStatus": {
        const old = this.find(a.ref.resource, a.object.metadata.name ?? "", a.object.metadata.namespace);
        if (!old || old.metadata.resourceVersion !== a.object.metadata.resourceVersion) return 0;
        this.put({ ref: a.ref, object: bump(a.object) });
        return 1;
      }
      case "delete":
        return this.objects.delete(this.key(a.ref.resource, a.namespace, a.name)) ? 1 : 0;
      case "bind": {
        const old = this.find("pods", a.pod.metadata.name ?? "", a.pod.metadata.namespace);
        if (!old) return 0;
        // The binding, then the kubelet starting the pod.
        const status = { phase: "Running", podIP: `10.244.0.${++this.seq}`, conditions: [{ type: "PodScheduled", status: "True" }, { type: "Ready", status: "True" }] };
        this.put({ ref: REF.pods, object: bump({ ...old, spec: { ...(old.spec as object), nodeName: a.nodeName }, status }) });
        return 1;
      }
      case "event":
        return 0;
    }
  }
}

const ns = (name: string) => obj(REF.namespaces, "Namespace", name, { spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } });
const lease = (name: string) => obj(REF.leases, "Lease", name, { spec: { renewTime: "2025-01-01T00:09:58.000000Z" } }, { namespace: "kube-node-lease" });

describe("cluster controllers together", () => {
  it("converge a small cluster, then make no writes", () => {
    const cluster = new Cluster([
      ns("default"), ns("kube-node-lease"), ns("app"),
      node("n1"), node("n2"), lease("n1"), lease("n2"),
      obj(REF.replicasets, "ReplicaSet", "web", { spec: {} }, { namespace: "app" }),
      pod("web-1", { ns: "app", owner: "web", labels: { app: "web" }, cpu: "100m" }),
      pod("web-2", { ns: "app", owner: "web", labels: { app: "web" }, cpu: "100m" }),
      pod("db-0", { ns: "app", labels: { app: "db" }, spec: { volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] } }),
      obj(REF.services, "Service", "web", { spec: { type: "NodePort", selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }] } }, { namespace: "app" }),
      obj(REF.storageclasses, "StorageClass", "local-path", { provisioner: "edgeplane.io/local-path", volumeBindingMode: "WaitForFirstConsumer" }),
      obj(REF.pvcs, "PersistentVolumeClaim", "data", { spec: { storageClassName: "local-path", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }, { namespace: "app" }),
      pod("orphan", { ns: "app", owner: "gone" }),
    ]);
    let passes = 0;
    let writes = -1;
    while (writes !== 0 && passes < 20) {
      passes++;
      writes = 0;
      for (const c of CONTROLLERS) {
        const { actions } = reconcileOnce(c, snapshotOf(cluster.entries()), NOW, DEFAULT_CONTROLLER_CONFIG);
        for (const a of actions) writes += a.type === "event" ? 0 : 1, cluster.apply(a);
      }
    }
    expect(writes).toBe(0);
    expect(passes).toBeLessThan(10);
    const nodes = ["web-1", "web-2"].map((p) => (cluster.find("pods", p, "app")?.spec as { nodeName?: string }).nodeName);
    expect(new Set(nodes)).toEqual(new Set(["n1", "n2"]));
    expect(cluster.find("pods", "orphan", "app")).toBeUndefined();
    expect(cluster.find("persistentvolumeclaims", "data", "app")?.status).toMatchObject({ phase: "Bound" });
    expect(cluster.find("persistentvolumes", "pvc-uid-data")?.status).toEqual({ phase: "Bound" });
    expect(cluster.find("serviceaccounts", "default", "app")).toBeDefined();
    expect(cluster.find("services", "kubernetes", "default")).toBeDefined();
    expect(cluster.find("services", "web", "app")?.spec).toMatchObject({ clusterIP: "10.96.0.2", ports: [{ nodePort: 30000 }] });
    expect((cluster.find("endpoints", "web", "app")?.subsets as { addresses: unknown[] }[])[0]?.addresses).toHaveLength(2);
  });
});
