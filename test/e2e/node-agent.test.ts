// The node agent on the real Docker engine, joined with the Worker's install script and driven
// with the real kubectl: pods as containers, logs, exec, port-forward, config, probes, volumes,
// and an agent restart that leaves the containers alone.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { requireTool, startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { agentLog, installAgent, kubectlInTerminal, nodeContainers, removeNodeContainers, type InstalledAgent } from "./node-agent-lib";

const HAVE_DOCKER = requireTool("kubectl") && requireTool("curl") && requireTool("script") && (await requireDockerEngine());

const NODE = `e2e-${process.pid}`;
let cluster: Cluster;
let agent: InstalledAgent;
let prefix: string;
let image: string;

const kubectl = (...args: string[]) => kubectlOk(cluster, args);

async function podField(name: string, jsonpath: string): Promise<string> {
  const result = await cluster.kubectl(["get", "pod", name, "-o", `jsonpath=${jsonpath}`]);
  return result.code === 0 ? result.stdout : "";
}

async function waitRunning(name: string, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (await podField(name, "{.status.phase}")) === "Running", `${name} Running\n${agentLog(agent)}`, timeoutMs);
}

async function waitReady(name: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => (await podField(name, '{.status.conditions[?(@.type=="Ready")].status}')) === "True",
    `${name} Ready\n${agentLog(agent)}`,
    timeoutMs,
  );
}

describe.skipIf(!HAVE_DOCKER)("node agent on Docker", () => {
  beforeAll(async () => {
    image = await ensureBusyboxImage();
    cluster = await startCluster();
    prefix = await mkdtemp(join(tmpdir(), "edgeplane-agent-"));
    agent = await installAgent(cluster, NODE, join(prefix, "root"));
    await eventually(async () => new RegExp(`^${NODE}\\s+Ready\\s`, "m").test(await kubectl("get", "nodes")), `node ${NODE} Ready\n${agent.output}\n${agentLog(agent)}`, 60_000);
  }, 180_000);

  afterAll(async () => {
    if (agent) {
      await agent.uninstall().catch(() => agent.kill());
      await removeNodeContainers(NODE);
    }
    await cluster?.stop();
    if (prefix) await rm(prefix, { recursive: true, force: true });
  });

  it("joins with the install script and registers a Ready node with the machine's facts", async () => {
    expect(agent.output).toMatch(/agent/i);
    const node = JSON.parse(await kubectl("get", "node", NODE, "-o", "json")) as {
      metadata: { labels: Record<string, string> };
      status: { nodeInfo: Record<string, string>; capacity: Record<string, string>; addresses: { type: string }[] };
    };
    expect(node.metadata.labels["kubernetes.io/hostname"]).toBe(NODE);
    expect(node.metadata.labels["kubernetes.io/os"]).toBe("linux");
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^docker:\/\//);
    expect(Number(node.status.capacity.pods)).toBeGreaterThan(0);
    expect(node.status.addresses.map((a) => a.type)).toContain("InternalIP");
    expect(await kubectl("get", "lease", NODE, "-n", "kube-node-lease", "-o", "jsonpath={.spec.holderIdentity}")).toBe(NODE);
  });

  it("kubectl run gives a running container with a pod IP; logs, exec and delete work", async () => {
    await kubectl("run", "talker", `--image=${image}`, "--restart=Never", "--", "sh", "-c", "echo one; echo two; echo three; i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done");
    await waitRunning("talker");
    const wide = await kubectl("get", "pods", "talker", "-o", "wide");
    expect(wide).toMatch(new RegExp(`talker\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+\\d+\\.\\d+\\.\\d+\\.\\d+\\s+${NODE}`));
    await eventually(async () => (await kubectl("logs", "talker")).includes("three"), "logs show three");
    expect((await kubectl("logs", "talker", "--tail=1")).trim().split("\n")).toHaveLength(1);
    expect(await kubectl("logs", "talker", "--timestamps", "--tail=1")).toMatch(/^\d{4}-\d\d-\d\dT/);

    // logs -f: lines keep arriving while kubectl runs.
    const follow = spawn("kubectl", ["--kubeconfig", cluster.kubeconfig, "logs", "-f", "talker", "--tail=1"]);
    let followed = "";
    follow.stdout.on("data", (chunk: Buffer) => (followed += chunk.toString()));
    try {
      await eventually(async () => (followed.match(/tick/g) ?? []).length >= 3, `logs -f streams (got ${JSON.stringify(followed)})`, 20_000);
    } finally {
      follow.kill();
    }

    expect((await kubectl("exec", "talker", "--", "ls", "/")).split("\n")).toEqual(expect.arrayContaining(["bin", "etc"]));
    const failed = await cluster.kubectl(["exec", "talker", "--", "sh", "-c", "exit 3"]);
    expect(failed.code).toBe(3);

    const terminal = await kubectlInTerminal(cluster, ["exec", "-it", "talker", "--", "sh"], "echo hello-$((6*7))\nexit\n");
    expect(terminal.output).toContain("hello-42");
    expect(terminal.code).toBe(0);

    const containers = await nodeContainers(NODE);
    expect(containers.length).toBeGreaterThanOrEqual(2); // the pause container and talker
    await kubectl("delete", "pod", "talker", "--grace-period=1");
    expect((await cluster.kubectl(["get", "pod", "talker"])).code).not.toBe(0);
    await eventually(async () => (await nodeContainers(NODE)).length === 0, "talker's containers removed");
  }, 180_000);

  it("port-forward reaches a server in the pod", async () => {
    await kubectl("run", "web", `--image=${image}`, "--restart=Never", "--", "httpd", "-f", "-p", "8080", "-h", "/var/www");
    await waitRunning("web");
    const port = 20_000 + (process.pid % 10_000);
    const forward = spawn("kubectl", ["--kubeconfig", cluster.kubeconfig, "port-forward", "pod/web", `${port}:8080`]);
    let said = "";
    forward.stdout.on("data", (chunk: Buffer) => (said += chunk.toString()));
    forward.stderr.on("data", (chunk: Buffer) => (said += chunk.toString()));
    try {
      await eventually(async () => said.includes("Forwarding from"), `port-forward ready (${said})`, 20_000);
      const body = await (await fetch(`http://127.0.0.1:${port}/index.html`)).text();
      expect(body).toContain("hello from edgeplane");
      // A second connection over the same port-forward.
      expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toContain("hello from edgeplane");
    } finally {
      forward.kill();
    }
    await kubectl("delete", "pod", "web", "--grace-period=1");
  }, 120_000);

  it("runs a Deployment with env from a ConfigMap and a Secret, and both mounted as files", async () => {
    await kubectl("create", "configmap", "app-config", "--from-literal=GREETING=hello", "--from-literal=color=blue");
    await kubectl("create", "secret", "generic", "app-secret", "--from-literal=PASSWORD=s3cr3t");
    const manifest = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "configured" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "configured" } },
        template: {
          metadata: { labels: { app: "configured" } },
          spec: {
            containers: [{
              name: "main",
              image,
              command: ["sh", "-c", "sleep 3600"],
              env: [
                { name: "FROM_CM", valueFrom: { configMapKeyRef: { name: "app-config", key: "GREETING" } } },
                { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "app-secret", key: "PASSWORD" } } },
                { name: "MY_POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              envFrom: [{ configMapRef: { name: "app-config" }, prefix: "CFG_" }],
              volumeMounts: [
                { name: "config", mountPath: "/etc/config" },
                { name: "secret", mountPath: "/etc/secret", readOnly: true },
              ],
            }],
            volumes: [
              { name: "config", configMap: { name: "app-config" } },
              { name: "secret", secret: { secretName: "app-secret", items: [{ key: "PASSWORD", path: "db/password" }] } },
            ],
          },
        },
      },
    };
    await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });
    expect(await kubectl("rollout", "status", "deployment/configured", "--timeout=90s")).toContain("successfully rolled out");
    const pod = (await kubectl("get", "pods", "-l", "app=configured", "-o", "jsonpath={.items[0].metadata.name}")).trim();
    const env = await kubectl("exec", pod, "--", "env");
    expect(env).toContain("FROM_CM=hello");
    expect(env).toContain("FROM_SECRET=s3cr3t");
    expect(env).toContain(`MY_POD=${pod}`);
    expect(env).toContain("CFG_color=blue");
    expect(await kubectl("exec", pod, "--", "cat", "/etc/config/color")).toBe("blue");
    expect(await kubectl("exec", pod, "--", "cat", "/etc/secret/db/password")).toBe("s3cr3t");

    // A changed ConfigMap reaches the mounted file (kubelet's periodic sync does the same).
    await kubectl("patch", "configmap", "app-config", "-p", '{"data":{"color":"green"}}');
    await eventually(async () => (await kubectl("exec", pod, "--", "cat", "/etc/config/color")) === "green", "configmap file updated", 60_000);
    await kubectl("delete", "deployment", "configured");
  }, 180_000);

  it("a crashing container ends in CrashLoopBackOff", async () => {
    await kubectl("run", "crasher", `--image=${image}`, "--", "sh", "-c", "echo dying; exit 1");
    await eventually(async () => /crasher\s+0\/1\s+CrashLoopBackOff\s+[1-9]/.test(await kubectl("get", "pod", "crasher")), `CrashLoopBackOff\n${agentLog(agent)}`, 90_000);
    // A restart may be under way: the newest container can be a moment away from its first line.
    await eventually(async () => (await kubectl("logs", "crasher")).includes("dying"), "crasher's logs", 20_000);
    expect(await podField("crasher", "{.status.containerStatuses[0].lastState.terminated.exitCode}")).toBe("1");
    await kubectl("delete", "pod", "crasher", "--grace-period=1");
  }, 120_000);

  it("a failing liveness probe restarts the container; readiness gates Ready and the endpoints", async () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "probed", labels: { app: "probed" } },
      spec: {
        containers: [{
          name: "main",
          image,
          command: ["sh", "-c", "touch /tmp/alive; sleep 3600"],
          livenessProbe: { exec: { command: ["cat", "/tmp/alive"] }, periodSeconds: 1, failureThreshold: 2 },
          readinessProbe: { exec: { command: ["cat", "/tmp/ready"] }, periodSeconds: 1 },
        }],
      },
    };
    await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) });
    await kubectl("expose", "pod", "probed", "--port=80");
    await waitRunning("probed");
    // Running but not Ready until the readiness file exists: no endpoint address yet.
    expect(await kubectl("get", "pod", "probed")).toMatch(/probed\s+0\/1\s+Running/);
    expect(await kubectl("get", "endpoints", "probed", "-o", "jsonpath={.subsets[*].addresses[*].ip}")).toBe("");
    await kubectl("exec", "probed", "--", "touch", "/tmp/ready");
    await waitReady("probed");
    const ip = await podField("probed", "{.status.podIP}");
    await eventually(async () => (await kubectl("get", "endpoints", "probed", "-o", "jsonpath={.subsets[*].addresses[*].ip}")) === ip, "endpoint lists the ready pod");

    await kubectl("exec", "probed", "--", "rm", "/tmp/alive");
    await eventually(async () => Number(await podField("probed", "{.status.containerStatuses[0].restartCount}")) >= 1, `liveness restart\n${agentLog(agent)}`, 60_000);
    expect(await kubectl("get", "events", "--field-selector", "involvedObject.name=probed")).toMatch(/Unhealthy/);
    await kubectl("delete", "pod", "probed", "--grace-period=1");
    await kubectl("delete", "service", "probed");
  }, 150_000);

  it("a restricted pod runs as its non-root user with every capability dropped and no new privileges", async () => {
    await kubectl("create", "namespace", "locked");
    await kubectl("label", "namespace", "locked", "pod-security.kubernetes.io/enforce=restricted");
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "hardened", namespace: "locked" },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], seccompProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "c", image, command: ["sleep", "3600"], securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } } }],
      },
    };
    const applied = await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) });
    expect(applied.code, applied.stderr).toBe(0);
    await eventually(async () => (await kubectl("-n", "locked", "get", "pod", "hardened", "-o", "jsonpath={.status.phase}")) === "Running", `hardened Running\n${agentLog(agent)}`, 60_000);
    const inside = async (...command: string[]) => (await kubectl("-n", "locked", "exec", "hardened", "--", ...command)).trim();
    expect(await inside("id", "-u")).toBe("1000");
    expect(await inside("id", "-g")).toBe("3000");
    expect((await inside("id", "-G")).split(" ")).toContain("4000");
    const status = await inside("cat", "/proc/self/status");
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^CapBnd:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^Seccomp:\s+2$/m);
    const write = await cluster.kubectl(["-n", "locked", "exec", "hardened", "--", "touch", "/file"]);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toContain("Read-only file system");

    // runAsNonRoot with no runAsUser, on an image that runs as root: refused by the node, as kubelet does.
    const rooted = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "rooted", namespace: "locked" },
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "c", image, command: ["sleep", "3600"], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
      },
    };
    expect((await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(rooted) })).code).toBe(0);
    await eventually(async () => (await kubectl("-n", "locked", "get", "pod", "rooted", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason}")) === "CreateContainerConfigError", "rooted refused", 60_000);
    expect(await kubectl("-n", "locked", "get", "pod", "rooted", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.message}")).toContain("container has runAsNonRoot and image will run as root");
    await kubectl("delete", "namespace", "locked", "--wait=false");
  }, 120_000);

  it("an emptyDir is shared by a pod's containers", async () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "sharing" },
      spec: {
        volumes: [{ name: "scratch", emptyDir: {} }],
        containers: [
          { name: "writer", image, command: ["sh", "-c", "echo shared-data > /data/file; sleep 3600"], volumeMounts: [{ name: "scratch", mountPath: "/data" }] },
          { name: "reader", image, command: ["sleep", "3600"], volumeMounts: [{ name: "scratch", mountPath: "/shared" }] },
        ],
      },
    };
    await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) });
    await waitRunning("sharing");
    await eventually(async () => (await cluster.kubectl(["exec", "sharing", "-c", "reader", "--", "cat", "/shared/file"])).stdout.trim() === "shared-data", "reader sees writer's file");
    await kubectl("delete", "pod", "sharing", "--grace-period=1");
  }, 120_000);

  it("a claim on the default local-path class keeps its data across pods", async () => {
    const claim = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } };
    const podWith = (name: string, command: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: {
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
        containers: [{ name: "main", image, command: ["sh", "-c", command], volumeMounts: [{ name: "data", mountPath: "/data" }] }],
      },
    });
    await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(claim) });
    expect(await kubectl("get", "pvc", "data", "-o", "jsonpath={.spec.storageClassName}")).toBe("standard");
    await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(podWith("first", "echo kept > /data/note; sleep 3600")) });
    await waitRunning("first");
    expect(await kubectl("get", "pvc", "data", "-o", "jsonpath={.status.phase}")).toBe("Bound");
    await eventually(async () => (await cluster.kubectl(["exec", "first", "--", "cat", "/data/note"])).stdout.trim() === "kept", "first wrote the note");
    await kubectl("delete", "pod", "first", "--grace-period=1");
    await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(podWith("second", "sleep 3600")) });
    await waitRunning("second");
    expect((await kubectl("exec", "second", "--", "cat", "/data/note")).trim()).toBe("kept");
    await kubectl("delete", "pod", "second", "--grace-period=1");
    await kubectl("delete", "pvc", "data");
  }, 150_000);

  it("an agent killed and restarted adopts its containers and restarts none", async () => {
    await kubectl("create", "deployment", "steady", `--image=${image}`, "--replicas=2", "--", "sleep", "3600");
    expect(await kubectl("rollout", "status", "deployment/steady", "--timeout=90s")).toContain("successfully rolled out");
    const before = await nodeContainers(NODE);
    agent.kill();
    await agent.restart();
    // The restarted agent has synced once it reports its node Ready again; give it a few syncs.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await kubectl("get", "deployment", "steady")).toMatch(/steady\s+2\/2/);
    expect(await nodeContainers(NODE)).toEqual(before);
    const restarts = await kubectl("get", "pods", "-l", "app=steady", "-o", "jsonpath={.items[*].status.containerStatuses[0].restartCount}");
    expect(restarts.split(" ")).toEqual(["0", "0"]);
    await kubectl("delete", "deployment", "steady");
  }, 150_000);
});
