// The only node of a cluster stops heartbeating and nothing else happens: no other renewal or
// write keeps the NodeLeases object in memory, so it is evicted and reloaded in between; the
// node must still turn NotReady once its grace period (20 s here: twice the agent's renewal
// interval) has passed.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

let cluster: Cluster;
let nodes: HollowNodes;

beforeAll(async () => {
  cluster = await startCluster({ vars: { NODE_MONITOR_GRACE_PERIOD_SECONDS: "20", POD_EVICTION_TIMEOUT_SECONDS: "5" } });
  nodes = await startHollowNodes(cluster.kubeconfig, ["lonely"]);
}, 120_000);

afterAll(async () => {
  await nodes?.stop();
  await cluster?.stop();
});

it("its pod's logs and exec go through the real agent's tunnel to the hollow runtime", async () => {
  const pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: quiet\nspec:\n  nodeName: lonely\n  containers:\n  - name: app\n    image: edgeplane.test/busybox:1\n";
  expect((await cluster.kubectl(["apply", "-f", "-"], { stdin: pod })).code).toBe(0);
  await eventually(async () => (await kubectlOk(cluster, ["get", "pod", "quiet", "-o", "jsonpath={.status.phase}"])) === "Running", "pod quiet Running", 30_000);
  // Hollow containers print nothing and every command succeeds: an empty log and exit 0, not an error.
  await eventually(async () => (await cluster.kubectl(["logs", "quiet"])).code === 0, "the node's tunnel", 30_000, 500);
  expect(await kubectlOk(cluster, ["logs", "quiet"])).toBe("");
  const exec = await cluster.kubectl(["exec", "quiet", "--", "false"]);
  expect(exec).toMatchObject({ code: 0, stdout: "" });
}, 90_000);

it("a lone node whose heartbeats stop goes NotReady", async () => {
  await eventually(async () => /^lonely\s+Ready\s/m.test(await kubectlOk(cluster, ["get", "nodes"])), "lonely Ready", 30_000);
  // Heartbeats go on for a while first, so the lease has been renewed (and saved) several times.
  await new Promise((r) => setTimeout(r, 15_000));
  expect(await kubectlOk(cluster, ["get", "nodes"])).toMatch(/^lonely\s+Ready\s/m);
  await nodes.kill("lonely");
  await eventually(async () => /^lonely\s+NotReady\s/m.test(await kubectlOk(cluster, ["get", "nodes"])), "lonely NotReady", 60_000, 1_000);
  expect(await kubectlOk(cluster, ["describe", "node", "lonely"])).toContain("node.kubernetes.io/unreachable");
}, 150_000);
