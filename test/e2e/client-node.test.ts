// The same operations through @kubernetes/client-node, the official JavaScript client:
// typed CRUD, every patch flavour, the scale subresource, and a watch.
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";

let cluster: Cluster;
let kc: k8s.KubeConfig;

beforeAll(async () => {
  cluster = await startCluster();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("@kubernetes/client-node", () => {
  it("namespaces and configmaps: create, read, list, replace, patch, delete", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "client-ns" } } });
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(["default", "kube-system", "kube-public", "kube-node-lease", "client-ns"]));

    const created = await core.createNamespacedConfigMap({
      namespace: "client-ns",
      body: { metadata: { name: "settings", labels: { app: "demo" } }, data: { mode: "fast" } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    const read = await core.readNamespacedConfigMap({ name: "settings", namespace: "client-ns" });
    expect(read.data).toEqual({ mode: "fast" });

    const replaced = await core.replaceNamespacedConfigMap({
      name: "settings",
      namespace: "client-ns",
      body: { ...read, data: { mode: "slow" } },
    });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion));

    // A replace with the old resourceVersion is a 409 Conflict.
    await expect(
      core.replaceNamespacedConfigMap({ name: "settings", namespace: "client-ns", body: { ...read, data: { mode: "x" } } }),
    ).rejects.toMatchObject({ code: 409 });

    const merged = await core.patchNamespacedConfigMap(
      { name: "settings", namespace: "client-ns", body: { data: { extra: "1" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ mode: "slow", extra: "1" });
    const jsonPatched = await core.patchNamespacedConfigMap(
      { name: "settings", namespace: "client-ns", body: [{ op: "remove", path: "/data/extra" }] },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.data).toEqual({ mode: "slow" });

    const labelled = await core.listNamespacedConfigMap({ namespace: "client-ns", labelSelector: "app in (demo,other)" });
    expect(labelled.items.map((c) => c.metadata?.name)).toEqual(["settings"]);

    await core.deleteNamespacedConfigMap({ name: "settings", namespace: "client-ns" });
    await expect(core.readNamespacedConfigMap({ name: "settings", namespace: "client-ns" })).rejects.toMatchObject({ code: 404 });
  });

  it("deployments: create, strategic merge patch, scale subresource", async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: { name: "client-web" },
        spec: {
          selector: { matchLabels: { app: "client-web" } },
          template: {
            metadata: { labels: { app: "client-web" } },
            spec: { containers: [{ name: "web", image: "nginx:1.25", env: [{ name: "A", value: "1" }] }] },
          },
        },
      },
    });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: "client-web",
        namespace: "default",
        body: { spec: { template: { spec: { containers: [{ name: "web", env: [{ name: "B", value: "2" }] }] } } } },
      },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch),
    );
    const container = patched.spec?.template.spec?.containers[0];
    expect(container?.image).toBe("nginx:1.25");
    expect(container?.env?.map((e) => e.name)).toEqual(["B", "A"]);

    const scale = await apps.replaceNamespacedDeploymentScale({
      name: "client-web",
      namespace: "default",
      body: { metadata: { name: "client-web", namespace: "default" }, spec: { replicas: 4 } },
    });
    expect(scale.spec?.replicas).toBe(4);
    const read = await apps.readNamespacedDeploymentScale({ name: "client-web", namespace: "default" });
    expect(read.status?.selector).toBe("app=client-web");
    expect((await apps.readNamespacedDeployment({ name: "client-web", namespace: "default" })).spec?.replicas).toBe(4);
  });

  it("watch delivers ADDED, MODIFIED and DELETED", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedSecret({ namespace: "default" });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const request = await watch.watch(
      "/api/v1/namespaces/default/secrets",
      { resourceVersion: list.metadata?.resourceVersion },
      (type, obj: k8s.V1Secret) => events.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    try {
      await core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "w1" }, stringData: { a: "b" } } });
      await core.patchNamespacedSecret(
        { name: "w1", namespace: "default", body: { metadata: { labels: { x: "y" } } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedSecret({ name: "w1", namespace: "default" });
      const deadline = Date.now() + 5_000;
      while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(events).toEqual(["ADDED w1", "MODIFIED w1", "DELETED w1"]);
    } finally {
      request.abort();
    }
  });
});
