// A rollout survives the control plane going away: the local cluster is stopped in the middle
// of `kubectl set image` (its state kept on disk), started again, and the hollow nodes carry on
// against it; the rollout then finishes as if nothing had happened.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

/** Slow enough readiness that the restart lands between two steps of the rollout. */
const READY_DELAY_MS = 2_500;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 4
  selector: { matchLabels: { app: web } }
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: app, image: "nginx:1.25" }]
`;

const root = mkdtempSync(join(tmpdir(), "edgeplane-restart-rollout-"));
let cluster: Cluster | undefined;
let nodes: HollowNodes | undefined;

afterAll(async () => {
  await nodes?.stop();
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** image → [spec.replicas, status.replicas] of each ReplicaSet of web. */
async function replicaSets(c: Cluster): Promise<Map<string, [number, number]>> {
  const out = await kubectlOk(c, ["get", "rs", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.template.spec.containers[0].image} {.spec.replicas} {.status.replicas}{\"\\n\"}{end}"]);
  const sets = new Map<string, [number, number]>();
  for (const [image, spec, status] of out.split("\n").filter(Boolean).map((l) => l.split(" "))) sets.set(image!, [Number(spec), Number(status || 0)]);
  return sets;
}

it("a rollout interrupted by a control-plane restart finishes on the new template", async () => {
  const first = (cluster = await startCluster({ root }));
  nodes = await startHollowNodes(first.kubeconfig, ["hollow-a", "hollow-b"], { startDelayMs: READY_DELAY_MS });
  const created = await first.kubectl(["apply", "-f", "-"], { stdin: DEPLOYMENT });
  expect(created.code, created.stderr).toBe(0);
  expect(await kubectlOk(first, ["rollout", "status", "deployment/web", "--timeout=60s"])).toContain("successfully rolled out");

  await kubectlOk(first, ["set", "image", "deployment/web", "app=nginx:1.27"]);
  // Stop once the first old pod has been replaced and the rest are still to go.
  let before = new Map<string, [number, number]>();
  await eventually(async () => {
    before = await replicaSets(first);
    const old = before.get("nginx:1.25")?.[0] ?? 4;
    return old > 0 && old < 4;
  }, "the rollout half-way", 30_000);
  await first.stop();
  cluster = undefined;

  const second = (cluster = await startCluster({ root }));
  await nodes.reconnect(second.kubeconfig);
  // The restart really landed mid-rollout: the old ReplicaSet still has pods.
  const after = await replicaSets(second);
  expect(after.get("nginx:1.25")?.[0]).toBeGreaterThan(0);
  expect(after.get("nginx:1.25")?.[0]).toBeLessThanOrEqual(before.get("nginx:1.25")![0]);

  const status = await second.kubectl(["rollout", "status", "deployment/web", "--timeout=60s"], { timeoutMs: 70_000 });
  expect(status.code, status.stderr).toBe(0);
  expect(status.stdout).toContain('deployment "web" successfully rolled out');
  const done = await replicaSets(second);
  expect([...done.entries()].sort()).toEqual([["nginx:1.25", [0, 0]], ["nginx:1.27", [4, 4]]]);
  await eventually(async () => {
    const pods = await kubectlOk(second, ["get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}"]);
    return pods.split("\n").filter(Boolean).join(",") === Array(4).fill("nginx:1.27 True").join(",");
  }, "four Ready pods, all on nginx:1.27", 20_000);
  expect(await kubectlOk(second, ["get", "deploy", "web"])).toMatch(/^web\s+4\/4\s+4\s+4\s+/m);
  const history = await kubectlOk(second, ["rollout", "history", "deployment/web"]);
  expect(history).toMatch(/^1\s+/m);
  expect(history).toMatch(/^2\s+/m);
  expect(await kubectlOk(second, ["get", "nodes"])).toMatch(/^hollow-a\s+Ready\s+/m);
}, 150_000);
