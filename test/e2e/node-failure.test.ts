// A node that stops heartbeating goes NotReady (Unknown) and, after the eviction timeout,
// its pods are recreated on the nodes still alive. Timings are shortened (20 s grace, twice the
// agent's renewal interval; 5 s eviction) as the controllers' issue asks for its benchmark.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

let cluster: Cluster;
let nodes: HollowNodes;

beforeAll(async () => {
  cluster = await startCluster({ vars: { NODE_MONITOR_GRACE_PERIOD_SECONDS: "20", POD_EVICTION_TIMEOUT_SECONDS: "5" } });
  nodes = await startHollowNodes(cluster.kubeconfig, ["alive", "doomed"]);
}, 120_000);

afterAll(async () => {
  await nodes?.stop();
  await cluster?.stop();
});

const kubectl = (...args: string[]) => kubectlOk(cluster, args);


it("a dead node goes NotReady and its pods move to the living one", async () => {
  await kubectl("create", "deployment", "web", "--image=nginx", "--replicas=4");
  expect(await kubectl("rollout", "status", "deployment/web", "--timeout=60s")).toContain("successfully rolled out");
  const before = await kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.nodeName}");
  expect(before.split(" ")).toContain("doomed");

  await nodes.kill("doomed");
  await eventually(async () => /^doomed\s+NotReady\s/m.test(await kubectl("get", "nodes")), "doomed NotReady", 40_000);
  expect(await kubectl("describe", "node", "doomed")).toContain("node.kubernetes.io/unreachable");

  // As upstream, the evicted pods stay Terminating until their node confirms (it never
  // will); their replacements are what count.
  await eventually(async () => {
    const placed = (await kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.nodeName} {.status.phase} {.metadata.deletionTimestamp}{\"\\n\"}{end}"))
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => line.trim())
      .filter((line) => line.split(" ").length === 2);
    return placed.length === 4 && placed.every((line) => line === "alive Running");
  }, "four live pods Running on alive", 40_000);
  expect(await kubectl("get", "deploy", "web")).toMatch(/^web\s+4\/4\s+/m);
}, 120_000);
