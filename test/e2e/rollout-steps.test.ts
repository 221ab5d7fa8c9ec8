// Rolling updates step by step: while `kubectl set image` rolls a Deployment of 4 over hollow
// nodes that hold new pods not-Ready for a while, a watch on the API replays every change to its
// pods and ReplicaSets, and the maxSurge / maxUnavailable bounds must hold at each of them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFromKubeconfig, listThenWatch, type ApiClient } from "../../bench/lib/client";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

const READY_DELAY_MS = 1_000;
const REPLICAS = 4;

interface Obj {
  kind?: string;
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { replicas?: number; containers?: { image: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

interface Recorded {
  type: string;
  kind: "Pod" | "ReplicaSet";
  object: Obj;
}

function record(api: ApiClient, path: string, kind: Recorded["kind"], into: Recorded[]): Promise<() => void> {
  return listThenWatch<Obj>(api, path, (type, object) => into.push({ type, kind, object }), "LISTED");
}

const isReady = (pod: Obj) => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

interface Step {
  live: number;
  ready: number;
  oldLive: number;
  newLive: number;
  rsReplicas: number;
  event: string;
}

/**
 * Replays the events in order: the state of pods and ReplicaSets after each watch event (the
 * listed objects only build the starting state: one at a time they are no real moment).
 */
function replay(events: Recorded[], newImage: string): Step[] {
  const pods = new Map<string, Obj>();
  const sets = new Map<string, Obj>();
  const steps: Step[] = [];
  for (const e of events) {
    const map = e.kind === "Pod" ? pods : sets;
    if (e.type === "DELETED") map.delete(e.object.metadata.uid);
    else map.set(e.object.metadata.uid, e.object);
    if (e.type === "LISTED") continue;
    const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp);
    const isNew = (p: Obj) => p.spec.containers?.[0]?.image === newImage;
    steps.push({
      live: live.length,
      ready: live.filter(isReady).length,
      oldLive: live.filter((p) => !isNew(p)).length,
      newLive: live.filter(isNew).length,
      rsReplicas: [...sets.values()].reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0),
      event: `${e.type} ${e.kind} ${e.object.metadata.name}`,
    });
  }
  return steps;
}

function deployment(name: string, strategy: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${REPLICAS}
  selector: { matchLabels: { app: ${name} } }
  strategy:
    type: RollingUpdate
    rollingUpdate: ${strategy}
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: app, image: "nginx:1.25" }]
`;
}

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

const CASES = [
  { name: "surge", strategy: "{ maxSurge: 1, maxUnavailable: 0 }", maxTotal: REPLICAS + 1, minReady: REPLICAS },
  { name: "unavailable", strategy: "{ maxSurge: 0, maxUnavailable: 1 }", maxTotal: REPLICAS, minReady: REPLICAS - 1 },
  // 25% of 4 is 1 either way: surge rounds up, unavailable down.
  { name: "quarter", strategy: "{ maxSurge: 25%, maxUnavailable: 25% }", maxTotal: REPLICAS + 1, minReady: REPLICAS - 1 },
];

describe("rolling update steps on hollow nodes", () => {
  for (const c of CASES) {
    it(`${c.strategy}: at most ${c.maxTotal} pods and at least ${c.minReady} Ready at every step`, async () => {
      const created = await cluster.kubectl(["apply", "-f", "-"], { stdin: deployment(c.name, c.strategy) });
      expect(created.code, created.stderr).toBe(0);
      expect(await kubectl("rollout", "status", `deployment/${c.name}`, "--timeout=60s")).toContain("successfully rolled out");
      await eventually(async () => (await kubectl("get", "pods", "-l", `app=${c.name}`, "-o", "name")).split("\n").filter(Boolean).length === REPLICAS, "only the first pods left", 15_000);

      const events: Recorded[] = [];
      const selector = encodeURIComponent(`app=${c.name}`);
      const closers = [
        await record(api, `/api/v1/namespaces/default/pods?labelSelector=${selector}`, "Pod", events),
        await record(api, `/apis/apps/v1/namespaces/default/replicasets?labelSelector=${selector}`, "ReplicaSet", events),
      ];
      try {
        await kubectl("set", "image", `deployment/${c.name}`, "app=nginx:1.27");
        const status = await cluster.kubectl(["rollout", "status", `deployment/${c.name}`, "--timeout=60s"], { timeoutMs: 70_000 });
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toContain(`deployment "${c.name}" successfully rolled out`);
        await eventually(async () => {
          const last = replay(events, "nginx:1.27").at(-1);
          return last?.live === REPLICAS && last.newLive === REPLICAS && last.ready === REPLICAS;
        }, "the watch to see four new Ready pods and no old ones", 15_000);
      } finally {
        for (const close of closers) close();
      }

      // The state before `set image` is the first step; everything after is the rollout.
      const steps = replay(events, "nginx:1.27");
      const bad = steps.map((s, i) => ({ ...s, i })).filter((s) => s.live > c.maxTotal || s.ready < c.minReady || s.rsReplicas > c.maxTotal);
      expect(bad, JSON.stringify(steps.slice(0, (bad[0]?.i ?? 0) + 3))).toEqual([]);
      // It went in steps: some moment had old and new pods side by side, and a new pod not yet Ready.
      expect(steps.some((s) => s.oldLive > 0 && s.newLive > 0)).toBe(true);
      expect(steps.some((s) => s.newLive > 0 && s.ready < s.live)).toBe(true);

      // It ends on the new template: the new ReplicaSet has all four, the old one none.
      const sets = await kubectl("get", "rs", "-l", `app=${c.name}`, "-o", "jsonpath={range .items[*]}{.spec.template.spec.containers[0].image} {.spec.replicas} {.status.replicas}{\"\\n\"}{end}");
      expect(sets.split("\n").filter(Boolean).sort()).toEqual(["nginx:1.25 0 0", "nginx:1.27 4 4"]);
      const hash = await kubectl("get", "rs", "-l", `app=${c.name}`, "-o", "jsonpath={.items[?(@.spec.replicas==4)].metadata.labels.pod-template-hash}");
      await eventually(async () => {
        const pods = await kubectl("get", "pods", "-l", `app=${c.name}`, "-o", "jsonpath={range .items[*]}{.metadata.labels.pod-template-hash} {.spec.containers[0].image}{\"\\n\"}{end}");
        return pods.split("\n").filter(Boolean).join(",") === Array(REPLICAS).fill(`${hash} nginx:1.27`).join(",");
      }, "every pod on the new template", 15_000);
      expect(await kubectl("get", "deploy", c.name)).toMatch(new RegExp(`^${c.name}\\s+4/4\\s+4\\s+4\\s+`, "m"));
    }, 90_000);
  }
});
