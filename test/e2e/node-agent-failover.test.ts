// Two real nodes on one Docker engine: the agent of one is killed for good, its node turns
// NotReady and the Deployment's pods run again, as containers, on the other. Node timings are
// shortened (20 s grace, 5 s eviction) so the test takes under a minute.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { requireTool, startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { agentLog, installAgent, nodeContainers, removeNodeContainers, type InstalledAgent } from "./node-agent-lib";

const HAVE_DOCKER = requireTool("kubectl") && requireTool("curl") && (await requireDockerEngine());

const FIRST = `e2e-a-${process.pid}`;
const SECOND = `e2e-b-${process.pid}`;
let cluster: Cluster;
let prefix: string;
const agents: InstalledAgent[] = [];

const kubectl = (...args: string[]) => kubectlOk(cluster, args);

async function nodeReady(name: string): Promise<boolean> {
  return new RegExp(`^${name}\\s+Ready\\s`, "m").test(await kubectl("get", "nodes"));
}

describe.skipIf(!HAVE_DOCKER)("a node lost for good", () => {
  beforeAll(async () => {
    await ensureBusyboxImage();
    cluster = await startCluster({ vars: { NODE_MONITOR_GRACE_PERIOD_SECONDS: "20", POD_EVICTION_TIMEOUT_SECONDS: "5" } });
    prefix = await mkdtemp(join(tmpdir(), "edgeplane-failover-"));
  }, 180_000);

  afterAll(async () => {
    for (const agent of agents) {
      await agent.uninstall().catch(() => agent.kill());
      await removeNodeContainers(agent.nodeName);
    }
    await cluster?.stop();
    if (prefix) await rm(prefix, { recursive: true, force: true });
  });

  it("moves the pods of a node whose agent died onto the other node", async () => {
    const first = await installAgent(cluster, FIRST, join(prefix, "a"));
    agents.push(first);
    await eventually(() => nodeReady(FIRST), `${FIRST} Ready\n${agentLog(first)}`, 60_000);
    await kubectl("create", "deployment", "survivor", "--image=edgeplane.test/busybox:1", "--replicas=2", "--", "sleep", "3600");
    expect(await kubectl("rollout", "status", "deployment/survivor", "--timeout=90s")).toContain("successfully rolled out");

    const second = await installAgent(cluster, SECOND, join(prefix, "b"));
    agents.push(second);
    await eventually(() => nodeReady(SECOND), `${SECOND} Ready\n${agentLog(second)}`, 60_000);
    expect(await nodeContainers(SECOND)).toEqual([]);

    first.kill();
    await eventually(async () => new RegExp(`^${FIRST}\\s+NotReady\\s`, "m").test(await kubectl("get", "nodes")), `${FIRST} NotReady`, 60_000);
    await eventually(async () => {
      const lines = (await kubectl("get", "pods", "-l", "app=survivor", "-o", "jsonpath={range .items[*]}{.spec.nodeName} {.status.phase} {.metadata.deletionTimestamp}{\"\\n\"}{end}"))
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line.split(" ").length === 2);
      return lines.length === 2 && lines.every((line) => line === `${SECOND} Running`);
    }, `both pods Running on ${SECOND}\n${agentLog(second)}`, 90_000);
    // Real containers back them on the surviving node: two pods, each a pause container and sleep.
    expect((await nodeContainers(SECOND)).length).toBe(4);
  }, 240_000);
});
