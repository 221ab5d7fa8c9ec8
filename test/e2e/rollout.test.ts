// With hollow nodes reporting pods Running and Ready, a Deployment rolls out as on any
// cluster: `kubectl rollout status` returns when done, `set image` rolls, `rollout undo`
// goes back, and the pods spread over the nodes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

let cluster: Cluster;
let nodes: HollowNodes;

beforeAll(async () => {
  cluster = await startCluster();
  nodes = await startHollowNodes(cluster.kubeconfig, ["hollow-a", "hollow-b"]);
}, 120_000);

afterAll(async () => {
  await nodes?.stop();
  await cluster?.stop();
});

const kubectl = (...args: string[]) => kubectlOk(cluster, args);

async function images(): Promise<string[]> {
  const out = await kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}");
  return out.split("\n").filter(Boolean).sort();
}

/**
 * `rollout status` returns once no old replica is counted, as on any cluster; an old pod may
 * still be Terminating (listed) for its grace period, so the list is waited for.
 */
async function expectImages(image: string): Promise<void> {
  const want = [image, image, image, image];
  await eventually(async () => JSON.stringify(await images()) === JSON.stringify(want), `only ${image} pods left`, 30_000, 250).catch(() => undefined);
  expect(await images()).toEqual(want);
}

describe("rollouts on hollow nodes", () => {
  it("nodes are Ready", async () => {
    const out = await kubectl("get", "nodes");
    // The real agent's kubelet version, on the hollow runtime.
    expect(out).toMatch(/^hollow-a\s+Ready\s+<none>\s+\S+\s+v1\.32\.0-edgeplane$/m);
    expect(out).toMatch(/^hollow-b\s+Ready\s+/m);
  });

  it("create, rollout status, spread over both nodes", async () => {
    await kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=4");
    expect(await kubectl("rollout", "status", "deployment/web", "--timeout=60s")).toContain('deployment "web" successfully rolled out');
    expect(await kubectl("get", "deploy", "web")).toMatch(/^web\s+4\/4\s+4\s+4\s+\S+$/m);
    const placed = await kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.nodeName}");
    expect(new Set(placed.split(" ")).size).toBe(2);
    expect(await kubectl("get", "pods", "-l", "app=web")).toMatch(/^web-\S+\s+1\/1\s+Running\s+0\s+/m);
  }, 90_000);

  it("a Service's Endpoints list the ready pods' addresses", async () => {
    await kubectl("expose", "deployment", "web", "--port=80");
    const deadline = Date.now() + 15_000;
    let out = "";
    while (Date.now() < deadline) {
      out = (await cluster.kubectl(["get", "endpoints", "web"])).stdout;
      if (/^web\s+\d+\.\d+\.\d+\.\d+:80,\d+\.\d+\.\d+\.\d+:80,\d+\.\d+\.\d+\.\d+:80 \+ 1 more\.\.\.\s+\S+$/m.test(out)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(out).toMatch(/^web\s+\d+\.\d+\.\d+\.\d+:80,\d+\.\d+\.\d+\.\d+:80,\d+\.\d+\.\d+\.\d+:80 \+ 1 more\.\.\.\s+\S+$/m);
  }, 30_000);

  it("set image rolls every pod, and rollout undo goes back", async () => {
    await kubectl("set", "image", "deployment/web", "nginx=nginx:1.27");
    expect(await kubectl("rollout", "status", "deployment/web", "--timeout=60s")).toContain("successfully rolled out");
    await expectImages("nginx:1.27");
    const history = await kubectl("rollout", "history", "deployment/web");
    expect(history).toMatch(/^1\s+/m);
    expect(history).toMatch(/^2\s+/m);

    await kubectl("rollout", "undo", "deployment/web");
    expect(await kubectl("rollout", "status", "deployment/web", "--timeout=60s")).toContain("successfully rolled out");
    await expectImages("nginx:1.25");
  }, 120_000);
});
