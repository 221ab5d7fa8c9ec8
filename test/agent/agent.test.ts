// The node agent on the real Docker engine against a local cluster, driven with the real kubectl:
// node registration and Lease, pods as containers, env and files from a ConfigMap and a Secret,
// crash-loop back-off, a shared emptyDir, adoption after an agent crash, and deletion.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBusyboxImage, requireDockerEngine } from "../e2e/docker-images";
import { requireTool, startCluster, type Cluster } from "../e2e/harness";
import { eventually, kubectlOk } from "../e2e/helpers";
import { containerOf, dockerExec, nodeContainerIds, removeNode, startAgent, type TestAgent } from "./agent-lib";

const HAVE_DOCKER = requireTool("kubectl") && (await requireDockerEngine());

const NODE = `agent-t${process.pid}-${Date.now().toString(36)}`;
let cluster: Cluster;
let agent: TestAgent;
let dir: string;
let image: string;

const kubectl = (...args: string[]) => kubectlOk(cluster, args);

/** The filesystem type mounted exactly at `path`, from /proc/mounts; undefined when nothing is. */
function mountType(path: string): string | undefined {
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const [, target, type] = line.split(" ");
    if (target === path) return type;
  }
  return undefined;
}

async function podField(name: string, jsonpath: string): Promise<string> {
  const result = await cluster.kubectl(["get", "pod", name, "-o", `jsonpath=${jsonpath}`]);
  return result.code === 0 ? result.stdout : "";
}

async function waitPhase(name: string, phase: string, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (await podField(name, "{.status.phase}")) === phase, `${name} ${phase}\n${agent.output()}`, timeoutMs, 300);
}

describe.skipIf(!HAVE_DOCKER)("node agent core on Docker", () => {
  beforeAll(async () => {
    image = await ensureBusyboxImage();
    cluster = await startCluster();
    dir = await mkdtemp(join(tmpdir(), "edgeplane-agent-test-"));
    agent = await startAgent(cluster, NODE, dir);
    await eventually(
      async () => (await cluster.kubectl(["get", "node", NODE, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === "True",
      `node ${NODE} Ready\n${agent.output()}`,
      60_000,
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await removeNode(NODE);
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("registers a Ready node with its facts, labels and a renewed Lease", async () => {
    const node = JSON.parse(await kubectl("get", "node", NODE, "-o", "json")) as {
      metadata: { labels: Record<string, string> };
      status: { nodeInfo: Record<string, string>; capacity: Record<string, string>; addresses: { type: string }[]; conditions: { type: string; status: string }[] };
    };
    expect(node.metadata.labels["kubernetes.io/hostname"]).toBe(NODE);
    expect(node.metadata.labels["kubernetes.io/os"]).toBe("linux");
    expect(node.metadata.labels["edgeplane.test/agent"]).toBe("yes");
    expect(node.status.nodeInfo.kubeletVersion).toBe("v1.32.0-edgeplane");
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^docker:\/\/\d/);
    expect(["amd64", "arm64"]).toContain(node.status.nodeInfo.architecture);
    expect(node.status.capacity.pods).toBe("110");
    expect(node.status.addresses.map((a) => a.type).sort()).toEqual(["Hostname", "InternalIP"]);
    expect(node.status.conditions.map((c) => `${c.type}=${c.status}`).sort()).toEqual(["DiskPressure=False", "MemoryPressure=False", "PIDPressure=False", "Ready=True"]);
    const lease = JSON.parse(await kubectl("get", "lease", "-n", "kube-node-lease", NODE, "-o", "json")) as { spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string } };
    expect(lease.spec.holderIdentity).toBe(NODE);
    expect(lease.spec.leaseDurationSeconds).toBe(40);
    expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);
  });

  it("runs `kubectl run` as a sandbox plus a container with a pod IP", async () => {
    await kubectl("run", "x", `--image=${image}`, "--", "sleep", "3600");
    await waitPhase("x", "Running");
    expect(await podField("x", "{.status.podIP}")).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await podField("x", "{.spec.nodeName}")).toBe(NODE);
    expect(await podField("x", "{.status.containerStatuses[0].containerID}")).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
    const id = await containerOf(NODE, "x", "x");
    expect(await dockerExec(id, ["cat", "/proc/1/cmdline"])).toContain("sleep");
  });

  it("gives env and files from a ConfigMap and a Secret, and updates the files", async () => {
    await kubectl("create", "configmap", "cfg", "--from-literal=greeting=hello", "--from-literal=color=blue");
    await kubectl("create", "secret", "generic", "sec", "--from-literal=password=s3cret");
    const manifest = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "conf" },
      spec: {
        containers: [
          {
            name: "app",
            image,
            command: ["sh", "-c"],
            args: ["echo $(GREETING) > /tmp/expanded; exec sleep 3600"],
            env: [
              { name: "GREETING", valueFrom: { configMapKeyRef: { name: "cfg", key: "greeting" } } },
              { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "sec", key: "password" } } },
              { name: "MISSING", valueFrom: { secretKeyRef: { name: "nope", key: "x", optional: true } } },
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            ],
            envFrom: [{ prefix: "CFG_", configMapRef: { name: "cfg" } }],
            volumeMounts: [
              { name: "cfg", mountPath: "/etc/cfg" },
              { name: "sec", mountPath: "/etc/sec", readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: "cfg", configMap: { name: "cfg" } },
          { name: "sec", secret: { secretName: "sec", items: [{ key: "password", path: "db/pass" }] } },
        ],
      },
    };
    const applied = await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });
    expect(applied.code, applied.stderr).toBe(0);
    await waitPhase("conf", "Running");
    const id = await containerOf(NODE, "conf", "app");
    const env = await dockerExec(id, ["env"]);
    expect(env).toContain("GREETING=hello");
    expect(env).toContain("PASSWORD=s3cret");
    expect(env).toContain("CFG_color=blue");
    expect(env).toContain("POD_NAME=conf");
    expect(env).not.toContain("MISSING=");
    expect(await dockerExec(id, ["cat", "/etc/cfg/greeting"])).toBe("hello");
    expect(await dockerExec(id, ["cat", "/etc/sec/db/pass"])).toBe("s3cret");
    // The Secret's files are in memory (a tmpfs, as kubelet mounts them), not on the node's disk.
    const uid = await podField("conf", "{.metadata.uid}");
    const secretDir = join(dir, "data", "pods", uid, "volumes", "kubernetes.io~secret", "sec");
    expect(mountType(secretDir)).toBe("tmpfs");
    expect(mountType(join(dir, "data", "pods", uid, "volumes", "kubernetes.io~configmap", "cfg"))).toBeUndefined();
    await kubectl("patch", "configmap", "cfg", "--type=merge", "-p", '{"data":{"greeting":"bonjour"}}');
    await eventually(async () => (await dockerExec(id, ["cat", "/etc/cfg/greeting"])) === "bonjour", `configMap file updated\n${agent.output()}`, 30_000, 500);
  });

  it("backs off a crashing container: CrashLoopBackOff with lastState and restartCount", async () => {
    const manifest = { apiVersion: "v1", kind: "Pod", metadata: { name: "crash" }, spec: { containers: [{ name: "c", image, command: ["sh", "-c", "exit 3"] }] } };
    expect((await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) })).code).toBe(0);
    await eventually(async () => (await podField("crash", "{.status.containerStatuses[0].state.waiting.reason}")) === "CrashLoopBackOff", `CrashLoopBackOff\n${agent.output()}`, 60_000, 300);
    expect(await podField("crash", "{.status.containerStatuses[0].lastState.terminated.exitCode}")).toBe("3");
    expect(await podField("crash", "{.status.containerStatuses[0].lastState.terminated.reason}")).toBe("Error");
    expect(Number(await podField("crash", "{.status.containerStatuses[0].restartCount}"))).toBeGreaterThanOrEqual(1);
    expect(await kubectl("get", "events", "--field-selector", "involvedObject.name=crash")).toContain("BackOff");
  });

  it("shares an emptyDir between two containers", async () => {
    const manifest = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "shared" },
      spec: {
        volumes: [{ name: "scratch", emptyDir: {} }],
        containers: [
          { name: "writer", image, command: ["sh", "-c", "echo from-writer > /data/note; exec sleep 3600"], volumeMounts: [{ name: "scratch", mountPath: "/data" }] },
          { name: "reader", image, command: ["sleep", "3600"], volumeMounts: [{ name: "scratch", mountPath: "/shared" }] },
        ],
      },
    };
    expect((await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) })).code).toBe(0);
    await waitPhase("shared", "Running");
    const reader = await containerOf(NODE, "shared", "reader");
    await eventually(async () => (await dockerExec(reader, ["cat", "/shared/note"]).catch(() => "")) === "from-writer", "the reader sees the writer's file", 15_000);
  });

  it("adopts its containers after being killed: same container IDs, no restarts", async () => {
    await waitPhase("x", "Running");
    const steady = ["x", "conf", "shared"];
    const ids = async () => Promise.all(steady.map((pod) => podField(pod, "{.status.containerStatuses[*].containerID}")));
    const before = await ids();
    const dockerBefore = await nodeContainerIds(NODE);
    await agent.kill();
    agent.start();
    await eventually(async () => agent.output().split("\n").filter((l) => l.includes("registered")).length >= 2, "the agent registered again", 30_000);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await ids()).toEqual(before);
    const dockerAfter = await nodeContainerIds(NODE);
    for (const id of before.join(" ").split(" ").map((c) => c.replace("docker://", ""))) {
      expect(dockerBefore).toContain(id);
      expect(dockerAfter).toContain(id);
    }
    expect(await podField("x", "{.status.containerStatuses[0].restartCount}")).toBe("0");
    expect(await podField("x", "{.status.phase}")).toBe("Running");
  });

  it("unmounts a Secret volume's tmpfs when its pod goes", async () => {
    const uid = await podField("conf", "{.metadata.uid}");
    const secretDir = join(dir, "data", "pods", uid, "volumes", "kubernetes.io~secret", "sec");
    expect(mountType(secretDir)).toBe("tmpfs");
    await kubectl("delete", "pod", "conf", "--grace-period=1", "--wait=true", "--timeout=60s");
    await eventually(async () => mountType(secretDir) === undefined && !existsSync(secretDir), `the Secret volume unmounted and removed\n${agent.output()}`, 30_000, 300);
  });

  it("deletes a pod: containers and sandbox gone, then the API object", async () => {
    const uid = await podField("x", "{.metadata.uid}");
    await kubectl("delete", "pod", "x", "--grace-period=2", "--wait=true", "--timeout=60s");
    await eventually(async () => (await cluster.kubectl(["get", "pod", "x"])).code !== 0, "pod x gone", 30_000);
    const left = await nodeContainerIds(NODE, true);
    const labels = left.map((id) => execFileSync("docker", ["inspect", "-f", '{{index .Config.Labels "io.kubernetes.pod.uid"}}', id]).toString().trim());
    expect(labels).not.toContain(uid);
  });
});
