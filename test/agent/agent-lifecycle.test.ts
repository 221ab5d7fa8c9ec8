// The agent's pod lifecycle on real Docker: init containers, restartPolicy Never to Succeeded and
// Failed, liveness restarts and readiness, ErrImagePull without a registry, orphan removal, and
// a node whose Docker engine is unreachable reported NotReady instead of crashing.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBusyboxImage, requireDockerEngine } from "../e2e/docker-images";
import { requireTool, startCluster, type Cluster } from "../e2e/harness";
import { eventually, kubectlOk } from "../e2e/helpers";
import { nodeContainerIds, removeNode, startAgent, type TestAgent } from "./agent-lib";

const HAVE_DOCKER = requireTool("kubectl") && (await requireDockerEngine());

const NODE = `agent-l${process.pid}-${Date.now().toString(36)}`;
const DOWN_NODE = `${NODE}-nodocker`;
let cluster: Cluster;
let agent: TestAgent;
let downAgent: TestAgent | undefined;
let dir: string;
let image: string;

async function podField(name: string, jsonpath: string): Promise<string> {
  const result = await cluster.kubectl(["get", "pod", name, "-o", `jsonpath=${jsonpath}`]);
  return result.code === 0 ? result.stdout : "";
}

async function apply(manifest: unknown): Promise<void> {
  const result = await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });
  expect(result.code, result.stderr).toBe(0);
}

function pod(name: string, spec: Record<string, unknown>): unknown {
  return { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: NODE, ...spec } };
}

describe.skipIf(!HAVE_DOCKER)("node agent pod lifecycle on Docker", () => {
  beforeAll(async () => {
    image = await ensureBusyboxImage();
    cluster = await startCluster();
    dir = await mkdtemp(join(tmpdir(), "edgeplane-agent-lc-"));
    agent = await startAgent(cluster, NODE, join(dir, "a"));
    await eventually(
      async () => (await cluster.kubectl(["get", "node", NODE, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === "True",
      `node ${NODE} Ready\n${agent.output()}`,
      60_000,
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await downAgent?.stop();
    await removeNode(NODE);
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs init containers in order before the app, then reaches Succeeded with restartPolicy Never", async () => {
    await apply(
      pod("init", {
        restartPolicy: "Never",
        volumes: [{ name: "w", emptyDir: {} }],
        initContainers: [
          { name: "one", image, command: ["sh", "-c", "echo one >> /w/log"], volumeMounts: [{ name: "w", mountPath: "/w" }] },
          { name: "two", image, command: ["sh", "-c", "echo two >> /w/log"], volumeMounts: [{ name: "w", mountPath: "/w" }] },
        ],
        containers: [{ name: "app", image, command: ["sh", "-c", 'test "$(cat /w/log)" = "$(printf "one\\ntwo")"'], volumeMounts: [{ name: "w", mountPath: "/w" }] }],
      }),
    );
    await eventually(async () => (await podField("init", "{.status.phase}")) === "Succeeded", `init Succeeded\n${agent.output()}`, 60_000, 300);
    expect(await podField("init", "{.status.initContainerStatuses[*].state.terminated.reason}")).toBe("Completed Completed");
    expect(await podField("init", "{.status.containerStatuses[0].state.terminated.reason}")).toBe("Completed");
    expect(await podField("init", '{.status.conditions[?(@.type=="Ready")].reason}')).toBe("PodCompleted");
  });

  it("a failing container with restartPolicy Never: Failed, exit code kept, no restart", async () => {
    await apply(pod("fail", { restartPolicy: "Never", containers: [{ name: "c", image, command: ["sh", "-c", "exit 7"] }] }));
    await eventually(async () => (await podField("fail", "{.status.phase}")) === "Failed", `fail Failed\n${agent.output()}`, 60_000, 300);
    expect(await podField("fail", "{.status.containerStatuses[0].state.terminated.exitCode}")).toBe("7");
    expect(await podField("fail", "{.status.containerStatuses[0].restartCount}")).toBe("0");
  });

  it("readiness gates Ready; a failing liveness probe restarts the container with Unhealthy and Killing events", async () => {
    await apply(
      pod("probed", {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: "web",
            image,
            command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && httpd -f -p 8080 -h /www"],
            readinessProbe: { httpGet: { path: "/index.html", port: 8080 }, periodSeconds: 1 },
            livenessProbe: { exec: { command: ["sh", "-c", "test ! -e /tmp/broken"] }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      }),
    );
    await eventually(async () => (await podField("probed", '{.status.conditions[?(@.type=="Ready")].status}')) === "True", `probed Ready\n${agent.output()}`, 60_000, 300);
    const first = await podField("probed", "{.status.containerStatuses[0].containerID}");
    execFileSync("docker", ["exec", first.replace("docker://", ""), "touch", "/tmp/broken"]);
    await eventually(async () => (await podField("probed", "{.status.containerStatuses[0].restartCount}")) === "1", `liveness restart\n${agent.output()}`, 60_000, 300);
    await eventually(async () => (await podField("probed", '{.status.conditions[?(@.type=="Ready")].status}')) === "True", "probed Ready again", 60_000, 300);
    const events = await kubectlOk(cluster, ["get", "events", "--field-selector", "involvedObject.name=probed"]);
    expect(events).toContain("Unhealthy");
    expect(events).toContain("Liveness probe failed");
    expect(events).toContain("Killing");
  });

  it("an image no registry serves: ErrImagePull or ImagePullBackOff in the status, the agent keeps running", async () => {
    await apply(pod("noimage", { containers: [{ name: "c", image: "registry.invalid/none:1", imagePullPolicy: "IfNotPresent" }] }));
    await eventually(
      async () => ["ErrImagePull", "ImagePullBackOff"].includes(await podField("noimage", "{.status.containerStatuses[0].state.waiting.reason}")),
      `ErrImagePull\n${agent.output()}`,
      60_000,
      300,
    );
    expect(agent.pid()).toBeDefined();
    expect(await podField("noimage", "{.status.phase}")).toBe("Pending");
  });

  it("removes containers labelled for this node whose pod does not exist", async () => {
    const orphan = execFileSync("docker", [
      "run", "-d", "--label", `io.edgeplane.node=${NODE}`, "--label", "io.kubernetes.pod.uid=00000000-dead-beef-0000-000000000000",
      "--label", "io.kubernetes.container.name=ghost", "--label", "io.kubernetes.pod.name=ghost", "--label", "io.kubernetes.pod.namespace=default",
      "--label", "io.kubernetes.docker.type=container", image, "sleep", "3600",
    ]).toString().trim();
    await agent.stop();
    agent.start();
    await eventually(async () => !(await nodeContainerIds(NODE, true)).includes(orphan), `orphan removed\n${agent.output()}`, 30_000, 500);
  });

  it("reports NotReady, not a crash, when its Docker engine is unreachable", async () => {
    downAgent = await startAgent(cluster, DOWN_NODE, join(dir, "b"), { dockerSocket: join(dir, "no-such-docker.sock") });
    await eventually(async () => (await cluster.kubectl(["get", "node", DOWN_NODE])).code === 0, `node ${DOWN_NODE} registered\n${downAgent.output()}`, 60_000);
    const ready = await kubectlOk(cluster, ["get", "node", DOWN_NODE, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].message}']);
    expect(ready).toMatch(/^False container runtime is down/);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(downAgent.output()).not.toContain("fatal");
  });
});
