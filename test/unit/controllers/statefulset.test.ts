// StatefulSet controller: ordered creation and deletion, claims, revisions and rolling updates,
// observed pass by pass in the fake cluster (kubelet readiness driven by the test).
import { describe, expect, it } from "vitest";
import { statefulSetController } from "../../../worker/controllers/statefulset";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import type { KubeObject } from "../../../worker/resources/types";
import { FakeCluster, type SnapshotEntry, reconcileOnce } from "./snapshot";

const NOW = new Date("2025-01-01T00:00:00Z");
const STS = { group: "apps", resource: "statefulsets" };

function sts(spec: Record<string, unknown> = {}): SnapshotEntry {
  return {
    ref: STS,
    object: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "web", namespace: "default", uid: "sts-uid", generation: 1, resourceVersion: "1" },
      spec: {
        replicas: 3,
        serviceName: "web",
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx:1" }] } },
        ...spec,
      },
    },
  };
}

function pass(cluster: FakeCluster): Action[] {
  const { actions } = reconcileOnce(statefulSetController, cluster.snapshot(), NOW, DEFAULT_CONTROLLER_CONFIG);
  cluster.apply(actions, NOW);
  return actions;
}

function podNames(cluster: FakeCluster): string[] {
  return cluster.list("pods").map((p) => p.metadata.name ?? "");
}

function created(actions: Action[], resource = "pods"): string[] {
  return actions.flatMap((a) => (a.type === "create" && a.ref.resource === resource ? [a.object.metadata.name ?? ""] : []));
}

function deleted(actions: Action[]): string[] {
  return actions.flatMap((a) => (a.type === "delete" && a.ref.resource === "pods" ? [a.name] : []));
}

function settle(cluster: FakeCluster): void {
  for (let i = 0; i < 30; i++) {
    const writes = pass(cluster).filter((a) => a.type !== "event").length;
    cluster.runPods(NOW);
    cluster.finishDeletes();
    if (writes === 0) return;
  }
  throw new Error("did not settle");
}

function status(cluster: FakeCluster): Record<string, unknown> {
  return (cluster.get("statefulsets", "web")?.status ?? {}) as Record<string, unknown>;
}

describe("statefulset controller", () => {
  it("creates 0, 1, 2 in order, each only once the previous is Running and Ready", () => {
    const cluster = new FakeCluster([sts()]);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const actions = pass(cluster);
      order.push(...created(actions));
      expect(created(pass(cluster))).toEqual([]);
      cluster.runPods(NOW);
    }
    expect(order).toEqual(["web-0", "web-1", "web-2"]);
    const pod = cluster.get("pods", "web-1") as KubeObject;
    expect(pod.metadata.labels).toMatchObject({
      app: "web",
      "statefulset.kubernetes.io/pod-name": "web-1",
      "apps.kubernetes.io/pod-index": "1",
    });
    expect(pod.metadata.labels?.["controller-revision-hash"]).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(pod.spec).toMatchObject({ hostname: "web-1", subdomain: "web" });
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: "StatefulSet", uid: "sts-uid", controller: true });
  });

  it("converges, writes status and revisions, and then makes no writes", () => {
    const cluster = new FakeCluster([sts()]);
    settle(cluster);
    const revs = cluster.list("controllerrevisions");
    expect(revs).toHaveLength(1);
    expect(revs[0]?.revision).toBe(1);
    expect(status(cluster)).toMatchObject({
      observedGeneration: 1, replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3,
      currentRevision: revs[0]?.metadata.name, updateRevision: revs[0]?.metadata.name,
    });
    expect(reconcileOnce(statefulSetController, cluster.snapshot(), NOW, DEFAULT_CONTROLLER_CONFIG).actions).toEqual([]);
    expect(cluster.events.map((e) => e.message)).toContain("create Pod web-0 in StatefulSet web successful");
    expect(cluster.conflicts).toBe(0);
  });

  it("scales down 2, 1, 0 highest first, one at a time, waiting for each to be gone", () => {
    const cluster = new FakeCluster([sts()]);
    settle(cluster);
    cluster.graceful = true;
    cluster.mutate("statefulsets", "web", (s) => {
      (s.spec as Record<string, unknown>).replicas = 0;
    });
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      order.push(...deleted(pass(cluster)));
      expect(deleted(pass(cluster))).toEqual([]);
      cluster.finishDeletes();
    }
    expect(order).toEqual(["web-2", "web-1", "web-0"]);
    expect(podNames(cluster)).toEqual([]);
  });

  it("Parallel creates all at once", () => {
    const cluster = new FakeCluster([sts({ podManagementPolicy: "Parallel" })]);
    expect(created(pass(cluster))).toEqual(["web-0", "web-1", "web-2"]);
  });

  it("honours ordinals.start", () => {
    const cluster = new FakeCluster([sts({ replicas: 2, ordinals: { start: 5 } })]);
    settle(cluster);
    expect(podNames(cluster)).toEqual(["web-5", "web-6"]);
  });

  it("creates claims before the pod and keeps them on scale-down (Retain)", () => {
    const claim = { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } };
    const cluster = new FakeCluster([sts({ replicas: 2, volumeClaimTemplates: [claim] })]);
    const first = pass(cluster);
    expect(first.filter((a) => a.type === "create").map((a) => (a.type === "create" ? `${a.ref.resource}/${a.object.metadata.name}` : ""))).toEqual([
      expect.stringMatching(/^controllerrevisions\/web-/),
      "persistentvolumeclaims/data-web-0",
      "pods/web-0",
    ]);
    expect((cluster.get("pods", "web-0")?.spec as { volumes: unknown }).volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "data-web-0" } }]);
    expect(cluster.get("persistentvolumeclaims", "data-web-0")?.metadata.labels).toEqual({ app: "web" });
    settle(cluster);
    cluster.mutate("statefulsets", "web", (s) => {
      (s.spec as Record<string, unknown>).replicas = 1;
    });
    settle(cluster);
    expect(podNames(cluster)).toEqual(["web-0"]);
    expect(cluster.list("persistentvolumeclaims").map((c) => c.metadata.name)).toEqual(["data-web-0", "data-web-1"]);
  });

  it("retention policy Delete: claims owned by the set, and by the pod when scaled away", () => {
    const claim = { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"] } };
    const cluster = new FakeCluster([sts({ replicas: 2, volumeClaimTemplates: [claim], persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" } })]);
    settle(cluster);
    expect(cluster.get("persistentvolumeclaims", "data-web-1")?.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "StatefulSet", name: "web", uid: "sts-uid" }]);
    cluster.mutate("statefulsets", "web", (s) => {
      (s.spec as Record<string, unknown>).replicas = 1;
    });
    const actions = pass(cluster);
    const update = actions.find((a) => a.type === "update" && a.ref.resource === "persistentvolumeclaims");
    expect(update?.type === "update" && update.object.metadata.ownerReferences?.map((r) => r.kind)).toEqual(["StatefulSet", "Pod"]);
  });

  it("recreates a failed or deleted pod with the same name", () => {
    const cluster = new FakeCluster([sts()]);
    settle(cluster);
    cluster.mutate("pods", "web-1", (p) => {
      p.status = { phase: "Failed" };
    });
    expect(deleted(pass(cluster))).toEqual(["web-1"]);
    expect(created(pass(cluster))).toEqual(["web-1"]);
  });

  it("rolls out a new template from the highest ordinal down, one at a time, respecting partition", () => {
    const cluster = new FakeCluster([sts({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } })]);
    settle(cluster);
    const oldRev = status(cluster).currentRevision;
    cluster.mutate("statefulsets", "web", (s) => {
      const t = (s.spec as { template: { spec: { containers: { image: string }[] } } }).template;
      (t.spec.containers[0] as { image: string }).image = "nginx:2";
    });
    const order: string[] = [];
    for (let i = 0; i < 12; i++) {
      order.push(...deleted(pass(cluster)));
      cluster.finishDeletes();
      cluster.runPods(NOW);
    }
    expect(order).toEqual(["web-2", "web-1"]);
    const newRev = status(cluster).updateRevision;
    expect(newRev).not.toBe(oldRev);
    const rev = (n: string) => cluster.get("pods", n)?.metadata.labels?.["controller-revision-hash"];
    expect([rev("web-0"), rev("web-1"), rev("web-2")]).toEqual([oldRev, newRev, newRev]);
    expect(status(cluster)).toMatchObject({ currentRevision: oldRev, updatedReplicas: 2, currentReplicas: 1 });
    cluster.mutate("statefulsets", "web", (s) => {
      (s.spec as { updateStrategy: unknown }).updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 0 } };
    });
    settle(cluster);
    expect(status(cluster)).toMatchObject({ currentRevision: newRev, updateRevision: newRev, currentReplicas: 3, updatedReplicas: 3 });
    expect(cluster.list("controllerrevisions").map((r) => r.revision)).toEqual(expect.arrayContaining([1, 2]));
  });

  it("OnDelete leaves old pods until they are deleted", () => {
    const cluster = new FakeCluster([sts({ updateStrategy: { type: "OnDelete" } })]);
    settle(cluster);
    cluster.mutate("statefulsets", "web", (s) => {
      const t = (s.spec as { template: { spec: { containers: { image: string }[] } } }).template;
      (t.spec.containers[0] as { image: string }).image = "nginx:2";
    });
    settle(cluster);
    expect(status(cluster)).toMatchObject({ updatedReplicas: 0, currentReplicas: 3 });
  });
});
