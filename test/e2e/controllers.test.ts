// The controller loop (a Durable Object driven by alarms) acting on what kubectl declares,
// with no nodes yet: Deployments get ReplicaSets and pods, a deleted pod is replaced, pods
// that cannot be placed say why, and deletions cascade.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

const kubectl = (...args: string[]) => kubectlOk(cluster, args);


async function podNames(selector: string): Promise<string[]> {
  const out = await kubectl("get", "pods", "-l", selector, "-o", "jsonpath={.items[*].metadata.name}");
  return out.split(" ").filter(Boolean).sort();
}

describe("controller loop", () => {
  it("a Deployment gets a ReplicaSet and pods; scaling and a deleted pod are reconciled", async () => {
    await kubectl("create", "deployment", "web", "--image=nginx");
    await eventually(async () => (await podNames("app=web")).length === 1, "the first pod");
    const rs = await kubectl("get", "rs", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}");
    expect(rs).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const [first] = await podNames("app=web");
    expect(first).toMatch(new RegExp(`^${rs}-[a-z0-9]{5}$`));

    await kubectl("scale", "deployment", "web", "--replicas=3");
    await eventually(async () => (await podNames("app=web")).length === 3, "three pods");

    await kubectl("delete", "pod", first!, "--wait=false");
    await eventually(async () => {
      const names = await podNames("app=web");
      return names.length === 3 && !names.includes(first!);
    }, "a replacement pod");

    // No node can run them yet: 3 up to date, none ready or available.
    await eventually(async () => /^web\s+0\/3\s+3\s+0\s+\S+$/m.test(await kubectl("get", "deploy", "web")), "deployment status 0/3 3 0");
  }, 60_000);

  it("pods that fit no node stay Pending and describe says why", async () => {
    const [pod] = await podNames("app=web");
    await eventually(async () => (await kubectl("describe", "pod", pod!)).includes("FailedScheduling"), "a FailedScheduling event");
    const described = await kubectl("describe", "pod", pod!);
    // kube-scheduler's words when the cluster has no nodes at all.
    expect(described).toMatch(/Warning\s+FailedScheduling\s+.*no nodes available to schedule pods/);
    expect(described).toMatch(/^Status:\s+Pending$/m);
    expect(await kubectl("get", "events", "--field-selector", "reason=ScalingReplicaSet", "-o", "name")).not.toBe("");
  }, 30_000);

  it("deleting the Deployment removes its ReplicaSets and pods", async () => {
    await kubectl("delete", "deployment", "web");
    await eventually(async () => (await podNames("app=web")).length === 0, "the pods to go");
    expect(await kubectl("get", "rs", "-l", "app=web", "-o", "name")).toBe("");
  }, 30_000);

  it("the garbage collector works from metadata alone: owned ConfigMaps go with their Secret, or stay whole when orphaned", async () => {
    // Secrets and ConfigMaps are kinds no controller reads whole: the loop caches their metadata only.
    const owned = async (name: string, owner: string) => {
      const uid = await kubectl("get", "secret", owner, "-o", "jsonpath={.metadata.uid}");
      const manifest = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ownerReferences: [{ apiVersion: "v1", kind: "Secret", name: owner, uid }] }, data: { kept: "every byte" } };
      expect((await cluster.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(manifest) })).code).toBe(0);
    };
    await kubectl("create", "secret", "generic", "owner-collected", "--from-literal=a=b");
    await kubectl("create", "secret", "generic", "owner-orphaning", "--from-literal=a=b");
    await owned("cm-collected", "owner-collected");
    await owned("cm-orphaned", "owner-orphaning");

    await kubectl("delete", "secret", "owner-collected");
    await eventually(async () => (await cluster.kubectl(["get", "configmap", "cm-collected"])).code !== 0, "the owned ConfigMap collected");

    await kubectl("delete", "secret", "owner-orphaning", "--cascade=orphan");
    await eventually(async () => (await cluster.kubectl(["get", "secret", "owner-orphaning"])).code !== 0, "the orphaning owner gone");
    const orphan = JSON.parse(await kubectl("get", "configmap", "cm-orphaned", "-o", "json")) as { metadata: { ownerReferences?: unknown[] }; data: Record<string, string> };
    expect(orphan.metadata.ownerReferences ?? []).toEqual([]);
    // The collector wrote only ownership: the data its metadata-only cache never held is intact.
    expect(orphan.data).toEqual({ kept: "every byte" });
  }, 60_000);

  it("a Service gets Endpoints and deleting a namespace empties it", async () => {
    await kubectl("create", "namespace", "doomed");
    await kubectl("create", "configmap", "cfg", "-n", "doomed", "--from-literal=a=b");
    await kubectl("create", "deployment", "app", "-n", "doomed", "--image=nginx");
    await kubectl("expose", "deployment", "app", "-n", "doomed", "--port=80");
    await eventually(async () => (await cluster.kubectl(["get", "endpoints", "app", "-n", "doomed"])).code === 0, "endpoints");
    await eventually(async () => (await cluster.kubectl(["get", "serviceaccount", "default", "-n", "doomed"])).code === 0, "the default ServiceAccount");
    // kubectl waits until the namespace is gone: the namespace controller empties it first.
    const deleted = await kubectl("delete", "namespace", "doomed", "--timeout=30s");
    expect(deleted).toContain('namespace "doomed" deleted');
    const gone = await cluster.kubectl(["get", "namespace", "doomed"]);
    expect(gone.stderr).toContain('namespaces "doomed" not found');
    expect((await kubectl("get", "configmaps,deployments,services,pods", "-n", "doomed", "-o", "name")).trim()).toBe("");
  }, 60_000);
});
