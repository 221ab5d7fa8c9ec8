// Scheduler tables: given nodes and pods, expect these bindings or this FailedScheduling message.
import { describe, expect, it } from "vitest";
import { podsToTry, schedule, schedulerController } from "../../../worker/controllers/scheduler";
import { DEFAULT_CONTROLLER_CONFIG, type Action, type CacheChange } from "../../../worker/controllers/types";
import { NOW, REF, node, obj, pod } from "./cluster-fixtures";
import { FakeStore } from "../fake-store";
import { informerFor, snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

function run(objects: SnapshotEntry[]): Action[] {
  return reconcileOnce(schedulerController, snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG).actions;
}

function binds(actions: Action[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of actions) if (a.type === "bind") out[a.pod.metadata.name ?? ""] = a.nodeName;
  return out;
}

function failure(actions: Action[]): string | undefined {
  const e = actions.find((a) => a.type === "event" && a.reason === "FailedScheduling");
  return e?.type === "event" ? e.message : undefined;
}

describe("scheduler", () => {
  it("binds a pod and records Scheduled", () => {
    const actions = run([node("n1"), pod("p")]);
    expect(actions).toEqual([
      { type: "bind", pod: expect.objectContaining({ metadata: expect.objectContaining({ name: "p" }) }), nodeName: "n1" },
      expect.objectContaining({ type: "event", eventType: "Normal", reason: "Scheduled", message: "Successfully assigned default/p to n1" }),
    ]);
  });

  it("puts every binding before the events, so events never hold back a binding", () => {
    const types = run([node("n1"), pod("a"), pod("b"), pod("c")]).map((a) => a.type);
    expect(types).toEqual(["bind", "bind", "bind", "event", "event", "event"]);
  });

  it("binds at most the write budget per pass and says a backlog is left", () => {
    const pods = ["a", "b", "c", "d", "e"].map((n) => pod(n));
    const capped = reconcileOnce(schedulerController, snapshotOf([node("n1"), ...pods]), NOW, { ...DEFAULT_CONTROLLER_CONFIG, maxBindsPerPass: 2 });
    expect(Object.keys(binds(capped.actions))).toHaveLength(2);
    expect(capped.backlog).toBe(true);
    expect(reconcileOnce(schedulerController, snapshotOf([node("n1"), ...pods]), NOW, DEFAULT_CONTROLLER_CONFIG).backlog).toBeUndefined();
  });

  it("makes no writes when every pod is bound", () => {
    expect(run([node("n1"), pod("a", { node: "n1" }), pod("b", { node: "n1" })])).toEqual([]);
  });

  it("spreads a ReplicaSet's pods across equal nodes", () => {
    const pods = ["w-1", "w-2", "w-3", "w-4", "w-5", "w-6"].map((n) => pod(n, { owner: "web", cpu: "100m" }));
    const placed = binds(run([node("n1"), node("n2"), node("n3"), ...pods]));
    const perNode = Object.values(placed).reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});
    expect(perNode).toEqual({ n1: 2, n2: 2, n3: 2 });
  });

  it("prefers the least allocated node", () => {
    const placed = binds(run([node("n1"), node("n2"), pod("big", { node: "n1", cpu: "3" }), pod("p", { cpu: "500m" })]));
    expect(placed).toEqual({ p: "n2" });
  });

  it("keeps pods off tainted nodes unless they tolerate the taint", () => {
    const taints = [{ key: "dedicated", value: "db", effect: "NoSchedule" }];
    const tolerant = pod("t", { spec: { tolerations: [{ key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" }] } });
    expect(binds(run([node("a-tainted", { taints }), node("b"), pod("p", { cpu: "1" }), { ...tolerant }]))).toEqual({ p: "b", t: "a-tainted" });
    expect(binds(run([node("a-tainted", { taints }), pod("t2", { spec: { tolerations: [{ operator: "Exists" }] } })]))).toEqual({ t2: "a-tainted" });
  });

  it("explains why nothing fits, upstream style, once per message", () => {
    const objects = [
      node("n1", { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] }),
      node("n2", { cpu: "1" }),
      node("n3", { cpu: "1" }),
      pod("p", { cpu: "2" }),
    ];
    const actions = run(objects);
    const msg = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 Insufficient cpu.";
    expect(failure(actions)).toBe(msg);
    const status = actions.find((a) => a.type === "updateStatus");
    expect(status?.type === "updateStatus" && status.object.status).toMatchObject({
      conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: msg }],
    });
    // The next pass sees the condition already written: no status write, no second event.
    const written = status?.type === "updateStatus" ? status.object : undefined;
    expect(run([...objects.slice(0, 3), { ref: REF.pods, object: written! }])).toEqual([]);
  });

  it("reports memory, pod count, not-ready and unschedulable nodes", () => {
    const actions = run([
      node("a", { memory: "100Mi" }),
      node("b", { pods: "1" }),
      node("c", { ready: "False" }),
      node("d", { unschedulable: true }),
      pod("x", { node: "b" }),
      pod("p", { memory: "128Mi" }),
    ]);
    expect(failure(actions)).toBe(
      "0/4 nodes are available: 1 Insufficient memory, 1 Too many pods, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable.",
    );
  });

  it("honours nodeSelector and required node affinity", () => {
    const nodes = [node("a", { labels: { disk: "hdd", gen: "3" } }), node("b", { labels: { disk: "ssd", gen: "5" } }), node("c")];
    const affinity = (expr: Record<string, unknown>) => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr] }] } } },
    });
    expect(binds(run([...nodes, pod("sel", { spec: { nodeSelector: { disk: "ssd" } } })]))).toEqual({ sel: "b" });
    expect(binds(run([...nodes, pod("in", { spec: affinity({ key: "disk", operator: "In", values: ["hdd"] }) })]))).toEqual({ in: "a" });
    expect(binds(run([...nodes, pod("gt", { spec: affinity({ key: "gen", operator: "Gt", values: ["4"] }) })]))).toEqual({ gt: "b" });
    expect(binds(run([...nodes, pod("dne", { spec: affinity({ key: "disk", operator: "DoesNotExist" }) })]))).toEqual({ dne: "c" });
    const byName = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["c"] }] }] } } } };
    expect(binds(run([...nodes, pod("f", { spec: byName })]))).toEqual({ f: "c" });
    expect(failure(run([...nodes, pod("none", { spec: { nodeSelector: { disk: "nvme" } } })]))).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    );
  });

  it("avoids host port conflicts", () => {
    const withPort = (name: string, n?: string) =>
      pod(name, { ...(n ? { node: n } : {}), spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, hostPort: 8080 }] }] } });
    expect(binds(run([node("a"), node("b"), withPort("old", "a"), withPort("new")]))).toEqual({ new: "b" });
    expect(failure(run([node("a"), withPort("old", "a"), withPort("new")]))).toBe("0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.");
  });

  it("places a pod with a bound local PV on the PV's node, and annotates WaitForFirstConsumer claims", () => {
    const localPv = obj(REF.pvs, "PersistentVolume", "pv-local", {
      spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["b"] }] }] } } },
    });
    const bound = obj(REF.pvcs, "PersistentVolumeClaim", "data", { spec: { volumeName: "pv-local" } }, { namespace: "default" });
    const withClaim = pod("db", { spec: { volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] } });
    expect(binds(run([node("a"), node("b"), localPv, bound, withClaim]))).toEqual({ db: "b" });

    const sc = obj(REF.storageclasses, "StorageClass", "local-path", { provisioner: "edgeplane.io/local-path", volumeBindingMode: "WaitForFirstConsumer" });
    const pending = obj(REF.pvcs, "PersistentVolumeClaim", "data", { spec: { storageClassName: "local-path" } }, { namespace: "default" });
    const actions = run([node("a"), sc, pending, withClaim]);
    expect(actions[0]).toMatchObject({ type: "update", ref: REF.pvcs, object: { metadata: { annotations: { "volume.kubernetes.io/selected-node": "a" } } } });
    expect(binds(actions)).toEqual({ db: "a" });

    const immediate = obj(REF.pvcs, "PersistentVolumeClaim", "data", { spec: {} }, { namespace: "default" });
    expect(failure(run([node("a"), immediate, withClaim]))).toBe("0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.");
  });

  it("ignores pods for other schedulers and terminating pods", () => {
    expect(run([node("a"), pod("other", { spec: { schedulerName: "custom" } }), pod("gone", { deleting: "2025-01-01T00:00:00Z" })])).toEqual([]);
  });

  // Its speed is measured by bench/scheduler.ts, not here (no timed assertions in tests).
  it("binds 10,000 pods across 1,000 nodes in one pass", () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => node(`node-${String(i).padStart(4, "0")}`, { cpu: "16", memory: "64Gi" }));
    const pods = Array.from({ length: 10_000 }, (_, i) => pod(`p-${i}`, { owner: `rs-${i % 50}`, cpu: "100m", memory: "128Mi" }));
    const all = [...nodes, ...pods];
    const nodeList = all.filter((e) => e.ref.resource === "nodes").map((e) => e.object);
    const podList = all.filter((e) => e.ref.resource === "pods").map((e) => e.object);
    // A list-once snapshot, as the loop's informer is: the benchmark measures the scheduler, not the fake.
    const snap = { list: (ref: { resource: string }) => (ref.resource === "nodes" ? nodeList : ref.resource === "pods" ? podList : []), get: () => undefined, ownedBy: () => [] };
    const result = schedule(snap, NOW, { binds: 100_000, others: 100_000 });
    const perNode = new Map<string, number>();
    for (const a of result.actions) if (a.type === "bind") perNode.set(a.nodeName, (perNode.get(a.nodeName) ?? 0) + 1);
    expect([...perNode.values()].reduce((x, y) => x + y, 0)).toBe(10_000);
    // Least-allocated scoring and owner spreading keep the load even.
    expect(Math.max(...perNode.values()) - Math.min(...perNode.values())).toBeLessThanOrEqual(2);
  });
});

describe("scheduler's unschedulable queue (which pending pods a pass tries)", () => {
  const unschedulable = (name: string) => pod(name, { status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/0 nodes are available." }] } });
  const waiting = unschedulable("waiting").object;
  const fresh = pod("fresh").object;
  const added = (e: SnapshotEntry): CacheChange => ({ ref: e.ref, current: e.object });

  it("tries every pending pod on a full pass", () => {
    expect(podsToTry("all")).toBeUndefined();
  });

  it("after only new pods, tries them and pods never found Unschedulable, not the waiting ones", () => {
    const tryPod = podsToTry([added(pod("fresh")), { ref: REF.configmaps, current: obj(REF.configmaps, "ConfigMap", "c").object }])!;
    expect(tryPod(fresh)).toBe(true);
    expect(tryPod(pod("never-tried").object)).toBe(true);
    expect(tryPod(waiting)).toBe(false);
  });

  it("a waiting pod that changed itself is tried again", () => {
    expect(podsToTry([{ ref: REF.pods, previous: waiting, current: { ...waiting, metadata: { ...waiting.metadata, labels: { x: "y" } } } }])!(waiting)).toBe(true);
  });

  it("tries every pod again after a node, volume, claim or storage-class change, or a pod that freed resources", () => {
    expect(podsToTry([added(node("n2"))])).toBeUndefined();
    expect(podsToTry([{ ref: REF.pvs, current: obj(REF.pvs, "PersistentVolume", "pv").object }])).toBeUndefined();
    const running = pod("busy", { node: "n1" }).object;
    expect(podsToTry([{ ref: REF.pods, previous: running }])).toBeUndefined();
    expect(podsToTry([{ ref: REF.pods, previous: running, current: { ...running, metadata: { ...running.metadata, deletionTimestamp: "2025-01-01T00:00:00Z" } } }])).toBeUndefined();
    expect(podsToTry([{ ref: REF.pods, previous: running, current: { ...running, status: { phase: "Succeeded" } } }])).toBeUndefined();
  });

  it("in the loop: a waiting pod stays unwritten while new pods come, and is bound once a node appears", async () => {
    const store = new FakeStore();
    const key = (name: string) => ({ group: "", resource: "pods", namespace: "default", name });
    await store.create(key("waiting"), waiting);
    const informer = informerFor(schedulerController);
    await informer.sync(store);
    reconcileOnce(schedulerController, informer, NOW); // the first pass: everything
    await store.create(key("fresh"), fresh);
    await informer.sync(store);
    const actions = reconcileOnce(schedulerController, informer, NOW).actions;
    expect(actions.filter((a) => a.type === "updateStatus").map((a) => (a.type === "updateStatus" ? a.object.metadata.name : ""))).toEqual(["fresh"]);
    await store.create({ group: "", resource: "nodes", namespace: "", name: "n1" }, node("n1").object);
    await informer.sync(store);
    expect(binds(reconcileOnce(schedulerController, informer, NOW).actions)).toEqual({ fresh: "n1", waiting: "n1" });
  });

  it("a pass cut short by its budget leaves the node's arrival for the next pass to act on", async () => {
    const store = new FakeStore();
    const key = (name: string) => ({ group: "", resource: "pods", namespace: "default", name });
    for (const name of ["w1", "w2", "w3"]) await store.create(key(name), unschedulable(name).object);
    const informer = informerFor(schedulerController);
    await informer.sync(store);
    reconcileOnce(schedulerController, informer, NOW);
    await store.create({ group: "", resource: "nodes", namespace: "", name: "n1" }, node("n1").object);
    await informer.sync(store);
    const oneBind = { ...DEFAULT_CONTROLLER_CONFIG, maxBindsPerPass: 1 };
    const first = reconcileOnce(schedulerController, informer, NOW, oneBind);
    expect(first.backlog).toBe(true);
    expect(Object.keys(binds(first.actions))).toHaveLength(1);
    // Nothing was written in between (in the loop: the bind's own change, which frees nothing).
    expect(Object.keys(binds(reconcileOnce(schedulerController, informer, NOW, oneBind).actions))).toHaveLength(1);
  });
});
