// Deployment controller: rollouts observed pass by pass in a fake cluster (deployment controller,
// then the replicaset controller, then a fake kubelet), plus exact tables for single passes.
import { describe, expect, it } from "vitest";
import { deploymentController } from "../../../worker/controllers/deployment";
import { fenceposts } from "../../../worker/controllers/deployment-util";
import { replicaSetController } from "../../../worker/controllers/replicaset";
import { DEFAULT_CONTROLLER_CONFIG } from "../../../worker/controllers/types";
import { computeHash } from "../../../worker/controllers/workload-util";
import type { KubeObject } from "../../../worker/resources/types";
import { FakeCluster, snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const DEPLOY = { group: "apps", resource: "deployments" };

function deployment(spec: Record<string, unknown> = {}, image = "nginx:1"): SnapshotEntry {
  return {
    ref: DEPLOY,
    object: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default", uid: "d-uid", generation: 1, resourceVersion: "1" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image }] } },
        ...spec,
      },
    },
  };
}

class Harness {
  readonly cluster: FakeCluster;
  now = T0;
  kubelet = true;
  constructor(d: SnapshotEntry) {
    this.cluster = new FakeCluster([d]);
  }
  get date(): Date {
    return new Date(this.now);
  }
  /** One loop pass: deployment, replicaset, kubelet, then the replicaset again for status. */
  tick(): number {
    this.now += 1000;
    let writes = 0;
    for (const c of [deploymentController, replicaSetController]) {
      const { actions } = reconcileOnce(c, this.cluster.snapshot(), this.date, DEFAULT_CONTROLLER_CONFIG);
      writes += actions.filter((a) => a.type !== "event").length;
      this.cluster.apply(actions, this.date);
    }
    if (this.kubelet) this.cluster.runPods(this.date);
    this.cluster.finishDeletes();
    this.cluster.apply(reconcileOnce(replicaSetController, this.cluster.snapshot(), this.date, DEFAULT_CONTROLLER_CONFIG).actions, this.date);
    return writes;
  }
  settle(max = 40): void {
    for (let i = 0; i < max; i++) if (this.tick() === 0) return;
    throw new Error("did not settle");
  }
  rss(): KubeObject[] {
    return this.cluster.list("replicasets");
  }
  sizes(): Record<string, number> {
    return Object.fromEntries(this.rss().map((rs) => [rs.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? "?", (rs.spec as { replicas: number }).replicas]));
  }
  deploy(): KubeObject {
    const d = this.cluster.get("deployments", "web");
    if (!d) throw new Error("no deployment");
    return d;
  }
  status(): Record<string, unknown> {
    return (this.deploy().status ?? {}) as Record<string, unknown>;
  }
  setImage(image: string): void {
    this.cluster.mutate("deployments", "web", (d) => {
      const spec = d.spec as { template: { spec: { containers: { image: string }[] } } };
      const c = spec.template.spec.containers[0];
      if (c) c.image = image;
    });
  }
  progressing(): string | undefined {
    const conds = (this.status().conditions ?? []) as { type: string; reason: string }[];
    return conds.find((c) => c.type === "Progressing")?.reason;
  }
}

describe("deployment controller", () => {
  it("creates <name>-<hash> with the hash label, revision and replica annotations", () => {
    const d = deployment();
    const { actions } = reconcileOnce(deploymentController, snapshotOf([d]), new Date(T0), DEFAULT_CONTROLLER_CONFIG);
    const hash = computeHash((d.object.spec as { template: unknown }).template);
    expect(actions.map((a) => a.type)).toEqual(["create", "update", "updateStatus", "event"]);
    const rs = actions[0]?.type === "create" ? actions[0].object : undefined;
    expect(rs?.metadata.name).toBe(`web-${hash}`);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs?.metadata.annotations).toEqual({
      "deployment.kubernetes.io/revision": "1",
      "deployment.kubernetes.io/desired-replicas": "3",
      "deployment.kubernetes.io/max-replicas": "4",
    });
    expect(rs?.spec).toMatchObject({
      replicas: 3,
      selector: { matchLabels: { app: "web", "pod-template-hash": hash } },
      template: { metadata: { labels: { app: "web", "pod-template-hash": hash } } },
    });
    expect(rs?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Deployment", name: "web", uid: "d-uid", controller: true });
    const ev = actions[3];
    expect(ev?.type === "event" && ev.message).toBe(`Scaled up replica set web-${hash} from 0 to 3`);
  });

  it("resolves surge up and unavailable down; both zero means one unavailable", () => {
    const f = (replicas: number, maxSurge: unknown, maxUnavailable: unknown) =>
      fenceposts(deployment({ replicas, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } } }).object);
    expect(f(3, "25%", "25%")).toEqual({ surge: 1, unavailable: 0 });
    expect(f(10, "25%", "25%")).toEqual({ surge: 3, unavailable: 2 });
    expect(f(10, 0, "0%")).toEqual({ surge: 0, unavailable: 1 });
  });

  it("converges to an available deployment and then makes no writes", () => {
    const h = new Harness(deployment());
    h.settle();
    expect(h.cluster.list("pods")).toHaveLength(3);
    expect(h.status()).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(h.progressing()).toBe("NewReplicaSetAvailable");
    expect(h.deploy().metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("1");
    const snap = h.cluster.snapshot();
    expect(reconcileOnce(deploymentController, snap, h.date, DEFAULT_CONTROLLER_CONFIG).actions).toEqual([]);
    expect(reconcileOnce(replicaSetController, snap, h.date, DEFAULT_CONTROLLER_CONFIG).actions).toEqual([]);
    expect(h.cluster.conflicts).toBe(0);
  });

  it("rolls with maxSurge 1 / maxUnavailable 0 one pod at a time", () => {
    const h = new Harness(deployment({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    h.settle();
    h.setImage("nginx:2");
    const seen: string[] = [];
    for (let i = 0; i < 30 && (seen.length === 0 || h.tick() > 0); i++) {
      if (seen.length === 0) h.tick();
      const s = JSON.stringify(h.sizes());
      if (seen.at(-1) !== s) seen.push(s);
    }
    expect(seen.map((s) => JSON.parse(s))).toEqual([
      { "1": 3, "2": 1 },
      { "1": 2, "2": 1 },
      { "1": 2, "2": 2 },
      { "1": 1, "2": 2 },
      { "1": 1, "2": 3 },
      { "1": 0, "2": 3 },
    ]);
    h.settle();
    expect(h.status()).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 2 });
    expect(h.progressing()).toBe("NewReplicaSetAvailable");
    expect(h.cluster.events.filter((e) => e.reason === "ScalingReplicaSet").map((e) => e.message.replace(/web-\w+/, "rs"))).toContain("Scaled down replica set rs from 1 to 0");
  });

  it("rolls with the default 25%/25% within the surge and availability bounds", () => {
    const h = new Harness(deployment({ replicas: 8 }));
    h.settle();
    h.setImage("nginx:2");
    for (let i = 0; i < 40; i++) {
      const writes = h.tick();
      const total = h.rss().reduce((n, rs) => n + (rs.spec as { replicas: number }).replicas, 0);
      expect(total).toBeLessThanOrEqual(8 + 2);
      const ready = h.cluster.list("pods").filter((p) => (p.status as { phase: string }).phase === "Running").length;
      expect(ready).toBeGreaterThanOrEqual(8 - 2);
      if (writes === 0) break;
    }
    expect(h.sizes()).toEqual({ "1": 0, "2": 8 });
    expect(h.cluster.list("pods")).toHaveLength(8);
    expect(h.cluster.conflicts).toBe(0);
  });

  it("rolls back to an old template by giving its ReplicaSet the next revision", () => {
    const h = new Harness(deployment());
    h.settle();
    const first = h.rss()[0]?.metadata.name;
    h.setImage("nginx:2");
    h.settle();
    h.setImage("nginx:1");
    h.settle();
    expect(h.rss()).toHaveLength(2);
    const back = h.cluster.get("replicasets", first ?? "");
    expect(back?.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/revision": "3", "deployment.kubernetes.io/revision-history": "1" });
    expect((back?.spec as { replicas: number }).replicas).toBe(3);
    expect(h.deploy().metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("3");
  });

  it("Recreate scales the old set to zero and waits for its pods before the new one", () => {
    const h = new Harness(deployment({ strategy: { type: "Recreate" } }));
    h.settle();
    h.cluster.graceful = true;
    h.setImage("nginx:2");
    h.now += 1000;
    const pass = (c: typeof deploymentController) => {
      const { actions } = reconcileOnce(c, h.cluster.snapshot(), h.date, DEFAULT_CONTROLLER_CONFIG);
      h.cluster.apply(actions, h.date);
      return actions;
    };
    pass(deploymentController);
    expect(h.sizes()).toEqual({ "1": 0 });
    pass(replicaSetController);
    expect(h.cluster.list("pods").every((p) => p.metadata.deletionTimestamp)).toBe(true);
    pass(deploymentController);
    expect(h.rss()).toHaveLength(1);
    h.cluster.finishDeletes();
    pass(replicaSetController);
    pass(deploymentController);
    expect(h.sizes()).toEqual({ "1": 0, "2": 3 });
    h.cluster.graceful = false;
    h.settle();
    expect(h.status()).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
  });

  it("deletes old ReplicaSets beyond revisionHistoryLimit, oldest first", () => {
    const h = new Harness(deployment({ revisionHistoryLimit: 1 }));
    h.settle();
    for (const image of ["nginx:2", "nginx:3", "nginx:4"]) {
      h.setImage(image);
      h.settle();
    }
    expect(h.sizes()).toEqual({ "3": 0, "4": 3 });
  });

  it("paused: no rollout, but scaling still applies; resuming rolls out", () => {
    const h = new Harness(deployment());
    h.settle();
    h.cluster.mutate("deployments", "web", (d) => {
      (d.spec as Record<string, unknown>).paused = true;
    });
    h.setImage("nginx:2");
    h.settle();
    expect(h.rss()).toHaveLength(1);
    expect(h.progressing()).toBe("DeploymentPaused");
    h.cluster.mutate("deployments", "web", (d) => {
      (d.spec as Record<string, unknown>).replicas = 5;
    });
    h.settle();
    expect(h.sizes()).toEqual({ "1": 5 });
    h.cluster.mutate("deployments", "web", (d) => {
      (d.spec as Record<string, unknown>).paused = false;
    });
    h.settle();
    expect(h.sizes()).toEqual({ "1": 0, "2": 5 });
    expect(h.progressing()).toBe("NewReplicaSetAvailable");
  });

  it("scales proportionally when replicas change mid-rollout", () => {
    const h = new Harness(deployment({ replicas: 10, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 0 } } }));
    h.settle();
    h.kubelet = false;
    h.setImage("nginx:2");
    h.tick();
    expect(h.sizes()).toEqual({ "1": 10, "2": 3 });
    h.cluster.mutate("deployments", "web", (d) => {
      (d.spec as Record<string, unknown>).replicas = 20;
    });
    h.tick();
    // Upstream arithmetic: 10 more to add, split 8 / 2 by size (round(10*23/13) and round(3*23/13)).
    expect(h.sizes()).toEqual({ "1": 18, "2": 5 });
  });

  it("reports ProgressDeadlineExceeded when new pods never become available", () => {
    const h = new Harness(deployment({ progressDeadlineSeconds: 30 }));
    h.settle();
    h.kubelet = false;
    h.setImage("nginx:broken");
    for (let i = 0; i < 5; i++) h.tick();
    expect(h.progressing()).toBe("ReplicaSetUpdated");
    const result = reconcileOnce(deploymentController, h.cluster.snapshot(), h.date, DEFAULT_CONTROLLER_CONFIG);
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    h.now += 60_000;
    h.tick();
    expect(h.progressing()).toBe("ProgressDeadlineExceeded");
    expect(h.tick()).toBe(0);
  });

  it("restartedAt annotation on the template makes a new ReplicaSet", () => {
    const h = new Harness(deployment());
    h.settle();
    h.cluster.mutate("deployments", "web", (d) => {
      const t = (d.spec as { template: { metadata: Record<string, unknown> } }).template;
      t.metadata.annotations = { "kubectl.kubernetes.io/restartedAt": "2025-01-01T00:05:00Z" };
    });
    h.settle();
    expect(h.sizes()).toEqual({ "1": 0, "2": 3 });
  });
});
