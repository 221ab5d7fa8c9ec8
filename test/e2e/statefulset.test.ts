// A StatefulSet on hollow nodes that hold each pod not-Ready for a while: a watch on the API
// records that pods are created and become Ready in ordinal order (N+1 only after N is Ready),
// that each ordinal gets its own Bound claim, and that scale-down removes them from the top.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFromKubeconfig, listThenWatch, type ApiClient } from "../../bench/lib/client";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

/** Long enough that a controller not waiting for readiness would create the next pod meanwhile. */
const READY_DELAY_MS = 1_500;

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

interface Recorded {
  type: string;
  pod: Pod;
}

/** Lists the StatefulSet's pods, then watches from that revision: every change, in store order. */
async function watchPods(api: ApiClient, selector: string): Promise<{ events: Recorded[]; close(): void }> {
  const events: Recorded[] = [];
  const path = `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`;
  const close = await listThenWatch<Pod>(api, path, (type, pod) => events.push({ type, pod }));
  return { events, close };
}

const isReady = (pod: Pod) => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** Index of the first event about `name` that satisfies `test`. */
function firstIndex(events: Recorded[], name: string, test: (e: Recorded) => boolean): number {
  const i = events.findIndex((e) => e.pod.metadata.name === name && test(e));
  if (i < 0) throw new Error(`no matching event for ${name}: ${events.map((e) => `${e.type} ${e.pod.metadata.name}`).join(", ")}`);
  return i;
}

const MANIFEST = `
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ port: 80, name: http }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web }
spec:
  serviceName: web
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          volumeMounts: [{ name: data, mountPath: /usr/share/nginx/html }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: standard
        resources: { requests: { storage: 1Gi } }
`;

let cluster: Cluster;
let nodes: HollowNodes;
let api: ApiClient;

beforeAll(async () => {
  cluster = await startCluster();
  nodes = await startHollowNodes(cluster.kubeconfig, ["hollow-a", "hollow-b"], { startDelayMs: READY_DELAY_MS });
  api = clientFromKubeconfig(cluster.kubeconfig, 2);
}, 120_000);

afterAll(async () => {
  await nodes?.stop();
  api?.agent.destroy();
  await cluster?.stop();
});

const kubectl = (...args: string[]) => kubectlOk(cluster, args);
const jsonpath = (kind: string, name: string, path: string) => kubectl("get", kind, name, "-o", `jsonpath=${path}`);

describe("StatefulSet on hollow nodes", () => {
  it("creates web-0, web-1, web-2 in order, each only after the previous is Ready", async () => {
    const watch = await watchPods(api, "app=web");
    const applied = await cluster.kubectl(["apply", "-f", "-"], { stdin: MANIFEST });
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toContain("statefulset.apps/web created");
    expect(await kubectl("rollout", "status", "statefulset/web", "--timeout=60s")).toContain("partitioned roll out complete: 3 new pods have been updated");
    await eventually(async () => watch.events.filter((e) => isReady(e.pod)).map((e) => e.pod.metadata.name).includes("web-2"), "web-2 Ready in the watch", 30_000);
    watch.close();

    const added = [0, 1, 2].map((n) => firstIndex(watch.events, `web-${n}`, (e) => e.type === "ADDED"));
    const ready = [0, 1, 2].map((n) => firstIndex(watch.events, `web-${n}`, (e) => isReady(e.pod)));
    // Each pod is seen not Ready first (the hollow delay), and the next one appears only after it is Ready.
    for (const n of [0, 1, 2]) expect(added[n]).toBeLessThan(ready[n]!);
    expect(ready[0]).toBeLessThan(added[1]!);
    expect(ready[1]).toBeLessThan(added[2]!);
    // While web-N was not yet Ready, no higher ordinal existed.
    const seen = new Set<string>();
    for (const e of watch.events) {
      seen.add(e.pod.metadata.name);
      if (!isReady(e.pod) && e.type !== "DELETED") {
        const n = Number(e.pod.metadata.name.slice("web-".length));
        expect([...seen].filter((name) => Number(name.slice("web-".length)) > n)).toEqual([]);
      }
    }
    expect(await kubectl("get", "statefulset", "web")).toMatch(/^web\s+3\/3\s+\S+$/m);
  }, 60_000);

  it("gives each pod its own Bound claim data-web-<ordinal>, provisioned on the pod's node", async () => {
    const pvcs = await kubectl("get", "pvc", "-o", "jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.volumeName}{\"\\n\"}{end}");
    const rows = pvcs.split("\n").filter(Boolean).map((l) => l.split(" "));
    expect(rows.map((r) => `${r[0]} ${r[1]}`).sort()).toEqual(["data-web-0 Bound", "data-web-1 Bound", "data-web-2 Bound"]);
    for (const n of [0, 1, 2]) {
      expect(await jsonpath("pod", `web-${n}`, "{.spec.volumes[?(@.name==\"data\")].persistentVolumeClaim.claimName}")).toBe(`data-web-${n}`);
      expect(await jsonpath("pod", `web-${n}`, "{.spec.hostname}.{.spec.subdomain}")).toBe(`web-${n}.web`);
      const node = await jsonpath("pod", `web-${n}`, "{.spec.nodeName}");
      const pv = rows.find((r) => r[0] === `data-web-${n}`)![2]!;
      expect(await jsonpath("pv", pv, "{.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]} {.spec.claimRef.name}")).toBe(`${node} data-web-${n}`);
    }
  }, 30_000);

  it("a deleted pod comes back with the same name and the same claim", async () => {
    const oldUid = await jsonpath("pod", "web-1", "{.metadata.uid}");
    const claimUid = await jsonpath("pvc", "data-web-1", "{.metadata.uid}");
    await kubectl("delete", "pod", "web-1", "--wait=true");
    await eventually(async () => {
      const res = await cluster.kubectl(["get", "pod", "web-1", "-o", "jsonpath={.metadata.uid} {.status.conditions[?(@.type==\"Ready\")].status}"]);
      const [uid, ready] = res.stdout.split(" ");
      return res.code === 0 && uid !== oldUid && ready === "True";
    }, "web-1 recreated and Ready", 30_000);
    expect(await jsonpath("pod", "web-1", "{.spec.volumes[?(@.name==\"data\")].persistentVolumeClaim.claimName}")).toBe("data-web-1");
    expect(await jsonpath("pvc", "data-web-1", "{.metadata.uid} {.status.phase}")).toBe(`${claimUid} Bound`);
    expect(await kubectl("rollout", "status", "statefulset/web", "--timeout=30s")).toContain("roll out complete");
    // Room for each wait above to fail with its own message rather than the test's timeout.
  }, 90_000);

  it("scaling to 0 removes web-2, web-1, web-0 in that order and keeps the claims", async () => {
    const watch = await watchPods(api, "app=web");
    await kubectl("scale", "statefulset", "web", "--replicas=0");
    await eventually(async () => (await kubectl("get", "pods", "-l", "app=web", "-o", "name")).trim() === "", "all web pods gone", 40_000);
    await eventually(async () => watch.events.filter((e) => e.type === "DELETED").length >= 3, "three DELETED events", 10_000);
    watch.close();

    const terminating = [0, 1, 2].map((n) => firstIndex(watch.events, `web-${n}`, (e) => e.type === "DELETED" || e.pod.metadata.deletionTimestamp !== undefined));
    const gone = [0, 1, 2].map((n) => firstIndex(watch.events, `web-${n}`, (e) => e.type === "DELETED"));
    // web-(N-1) starts terminating only once web-N is gone.
    expect(gone[2]).toBeLessThan(terminating[1]!);
    expect(gone[1]).toBeLessThan(terminating[0]!);

    const pvcs = await kubectl("get", "pvc", "-o", "jsonpath={range .items[*]}{.metadata.name} {.status.phase}{\"\\n\"}{end}");
    expect(pvcs.split("\n").filter(Boolean).sort()).toEqual(["data-web-0 Bound", "data-web-1 Bound", "data-web-2 Bound"]);
    expect(await kubectl("get", "statefulset", "web")).toMatch(/^web\s+0\/0\s+\S+$/m);
  }, 60_000);

  it("scaling back up reuses the same claims", async () => {
    const claimUid = await jsonpath("pvc", "data-web-0", "{.metadata.uid}");
    await kubectl("scale", "statefulset", "web", "--replicas=1");
    await eventually(async () => /^web\s+1\/1\s/m.test(await kubectl("get", "statefulset", "web")), "web 1/1", 30_000);
    expect(await jsonpath("pod", "web-0", "{.spec.volumes[?(@.name==\"data\")].persistentVolumeClaim.claimName}")).toBe("data-web-0");
    expect(await jsonpath("pvc", "data-web-0", "{.metadata.uid} {.status.phase}")).toBe(`${claimUid} Bound`);
    expect((await kubectl("get", "pvc", "-o", "name")).split("\n").filter(Boolean)).toHaveLength(3);
  }, 45_000);
});
