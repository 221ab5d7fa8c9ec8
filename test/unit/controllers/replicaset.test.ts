// ReplicaSet controller tables: given these objects, expect these actions (replica_set.go behaviour).
import { describe, expect, it } from "vitest";
import { replicaSetController } from "../../../worker/controllers/replicaset";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import { leastValuableFirst } from "../../../worker/controllers/workload-util";
import type { KubeObject } from "../../../worker/resources/types";
import { FakeCluster, snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

const NOW = new Date("2025-01-01T00:10:00Z");
const RS = { group: "apps", resource: "replicasets" };
const PODS = { group: "", resource: "pods" };

function rs(replicas: number, extra: Partial<Record<string, unknown>> = {}): SnapshotEntry {
  return {
    ref: RS,
    object: {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "web", namespace: "default", uid: "rs-uid", generation: 1, resourceVersion: "1" },
      spec: {
        replicas,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
        ...extra,
      },
    },
  };
}

interface PodOpts {
  phase?: string;
  ready?: boolean;
  readySince?: string;
  node?: string;
  owned?: boolean;
  labels?: Record<string, string>;
  created?: string;
  restarts?: number;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): SnapshotEntry {
  const object: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      resourceVersion: "5",
      creationTimestamp: o.created ?? "2025-01-01T00:00:00Z",
      labels: o.labels ?? { app: "web" },
      ownerReferences:
        o.owned === false ? [] : [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "rs-uid", controller: true, blockOwnerDeletion: true }],
    },
    spec: { nodeName: o.node ?? "n1", containers: [{ name: "c", image: "nginx" }] },
    status: {
      phase: o.phase ?? "Running",
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True", lastTransitionTime: o.readySince ?? "2025-01-01T00:01:00Z" }],
      containerStatuses: [{ name: "c", restartCount: o.restarts ?? 0 }],
    },
  };
  if (o.deleting) object.metadata.deletionTimestamp = "2025-01-01T00:09:00Z";
  return { ref: PODS, object };
}

function status(replicas: number, ready = replicas, available = ready) {
  return { replicas, fullyLabeledReplicas: replicas, readyReplicas: ready, availableReplicas: available, observedGeneration: 1 };
}

function withStatus(e: SnapshotEntry, s: Record<string, unknown>): SnapshotEntry {
  return { ref: e.ref, object: { ...e.object, status: s } };
}

function run(objects: SnapshotEntry[], config = DEFAULT_CONTROLLER_CONFIG) {
  return reconcileOnce(replicaSetController, snapshotOf(objects), NOW, config);
}

function summary(actions: Action[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case "create":
        return `create ${a.ref.resource} ${a.object.metadata.name ?? a.object.metadata.generateName ?? ""}${a.event ? ` + ${a.event.reason} ${a.event.message}` : ""}`;
      case "update":
      case "updateStatus":
        return `${a.type} ${a.ref.resource} ${a.object.metadata.name ?? ""}`;
      case "delete":
        return `delete ${a.ref.resource} ${a.name}`;
      case "event":
        return `event ${a.reason} ${a.message}`;
      case "bind":
        return "bind";
    }
  });
}

describe("replicaset controller", () => {
  const cases: { name: string; objects: SnapshotEntry[]; expected: string[] }[] = [
    {
      name: "scale up from nothing",
      objects: [rs(2)],
      expected: [
        "create pods web- + SuccessfulCreate Created pod: {name}",
        "create pods web- + SuccessfulCreate Created pod: {name}",
        "updateStatus replicasets web",
      ],
    },
    {
      name: "converged: nothing to write",
      objects: [withStatus(rs(2), status(2)), pod("web-a"), pod("web-b")],
      expected: [],
    },
    {
      name: "scale down deletes the least valuable (pending, unscheduled) first",
      objects: [withStatus(rs(1), status(3)), pod("web-a"), pod("web-b", { phase: "Pending", ready: false, node: "" }), pod("web-c", { ready: false })],
      expected: [
        "delete pods web-b",
        "delete pods web-c",
        "updateStatus replicasets web",
        "event SuccessfulDelete Deleted pod: web-b",
        "event SuccessfulDelete Deleted pod: web-c",
      ],
    },
    {
      name: "failed and terminating pods do not count: replaced",
      objects: [withStatus(rs(2), status(1)), pod("web-a"), pod("web-b", { phase: "Failed", ready: false }), pod("web-c", { deleting: true })],
      expected: ["create pods web- + SuccessfulCreate Created pod: {name}"],
    },
    {
      name: "adopts a matching orphan and releases an owned pod that stopped matching",
      objects: [withStatus(rs(1), status(1)), pod("web-a", { owned: false }), pod("web-b", { labels: { app: "other" } })],
      expected: ["update pods web-a", "update pods web-b"],
    },
    {
      name: "status counts ready and available separately (minReadySeconds)",
      objects: [
        withStatus(rs(2, { minReadySeconds: 30 }), status(2)),
        pod("web-a", { readySince: "2025-01-01T00:09:50Z" }),
        pod("web-b"),
      ],
      expected: ["updateStatus replicasets web"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(summary(run(c.objects).actions)).toEqual(c.expected);
    });
  }

  it("builds pods from the template with generateName and a controller reference", () => {
    const create = run([rs(1)]).actions.find((a) => a.type === "create");
    expect(create?.type === "create" && create.object).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: "web-",
        namespace: "default",
        labels: { app: "web" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "rs-uid", controller: true, blockOwnerDeletion: true }],
      },
      spec: { containers: [{ name: "c", image: "nginx" }] },
    });
  });

  it("writes the computed status and requeues until the pod is available", () => {
    const result = run([withStatus(rs(1, { minReadySeconds: 30 }), status(1, 1, 1)), pod("web-a", { readySince: "2025-01-01T00:09:50Z" })]);
    const update = result.actions[0];
    expect(update?.type === "updateStatus" && update.object.status).toEqual(status(1, 1, 0));
    expect(result.requeueAfterMs).toBe(20_001);
  });

  it("caps creates per pass", () => {
    const result = run([rs(10)], { ...DEFAULT_CONTROLLER_CONFIG, maxCreatesPerPass: 3 });
    expect(result.actions.filter((a) => a.type === "create")).toHaveLength(3);
    expect(result.backlog).toBe(true);
    expect(run([rs(3)], { ...DEFAULT_CONTROLLER_CONFIG, maxCreatesPerPass: 5 }).backlog).toBeUndefined();
  });

  it("orders the least valuable pod first", () => {
    const order = leastValuableFirst([
      pod("old-ready", { created: "2025-01-01T00:00:00Z" }).object,
      pod("restarting", { restarts: 5 }).object,
      pod("newer-ready", { readySince: "2025-01-01T00:05:00Z" }).object,
      pod("running-unready", { ready: false }).object,
      pod("unknown", { phase: "Unknown", ready: false }).object,
      pod("pending", { phase: "Pending", ready: false }).object,
      pod("unscheduled", { phase: "Pending", ready: false, node: "" }).object,
    ]).map((p) => p.metadata.name);
    expect(order).toEqual(["unscheduled", "pending", "unknown", "running-unready", "newer-ready", "restarting", "old-ready"]);
  });

  it("converges in a fake cluster and then stays idle", () => {
    const cluster = new FakeCluster([rs(3)]);
    for (let i = 0; i < 4; i++) {
      cluster.apply(reconcileOnce(replicaSetController, cluster.snapshot(), NOW, DEFAULT_CONTROLLER_CONFIG).actions, NOW);
      cluster.runPods(new Date("2025-01-01T00:00:00Z"));
    }
    expect(cluster.list("pods")).toHaveLength(3);
    expect(cluster.get("replicasets", "web")?.status).toEqual(status(3));
    expect(reconcileOnce(replicaSetController, cluster.snapshot(), NOW, DEFAULT_CONTROLLER_CONFIG).actions).toEqual([]);
  });
});
