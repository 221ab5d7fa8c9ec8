// kubectl logs / exec / attach / port-forward end to end: a real cluster, real Docker containers
// carrying the agent's labels (run here, since the pod runner is not this test's subject), and the
// agent's tunnel client in-process, driven by the real kubectl.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { promisify } from "node:util";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerRuntime } from "../../node-agent/runtime/docker";
import { startTunnel, type Tunnel } from "../../node-agent/tunnel/client";
import { findFreePort } from "../../scripts/lib/local-cluster";
import { dockerAvailable, ensureBusyboxImage } from "./docker-images";
import { requireTool, startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

const run = promisify(execFile);
const TEST_LABEL = "io.edgeplane.test=pod-streams";
const haveTools = requireTool("kubectl") && requireTool("docker") && requireTool("script");

async function docker(args: string[]): Promise<string> {
  return (await run("docker", args, { timeout: 60_000 })).stdout.trim();
}

function podYaml(name: string, node: string, containers: string[]): string {
  const list = containers.map((c) => `  - name: ${c}\n    image: edgeplane.test/busybox:1`).join("\n");
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  nodeName: ${node}\n  containers:\n${list}\n`;
}

/** Runs a container with the agent's label contract (what its pod runner will create). */
async function runLabelled(node: string, pod: string, uid: string, container: string, restart: number, cmd: string[], extra: string[] = [], detach = true): Promise<string> {
  const type = container === "POD" ? "podsandbox" : "container";
  const args = ["run", ...(detach ? ["-d"] : []), "--name", `k8s_${container}_${pod}_default_${uid}_${restart}_${node}`,
    "--label", TEST_LABEL, "--label", `io.edgeplane.node=${node}`, "--label", "io.kubernetes.pod.namespace=default",
    "--label", `io.kubernetes.pod.name=${pod}`, "--label", `io.kubernetes.pod.uid=${uid}`,
    "--label", `io.kubernetes.container.name=${container}`, "--label", `io.kubernetes.docker.type=${type}`,
    "--label", `io.kubernetes.container.restartCount=${restart}`, ...extra, "edgeplane.test/busybox:1", ...cmd];
  return docker(args);
}

/** Spawns a long-running kubectl (logs -f, attach, port-forward); stopped by its PID. */
function spawnKubectl(cluster: Cluster, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn("kubectl", args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (out += c));
  return { child, output: () => out };
}

/** A Docker client that counts the follow-mode log streams the agent holds open. */
function countingDocker(): { docker: Dockerode; openFollows: () => number } {
  const docker = new Dockerode();
  let open = 0;
  type Dial = (options: { path: string; options?: { follow?: boolean } }, callback?: (error: unknown, result: unknown) => void) => void;
  const modem = docker.modem as unknown as { dial: Dial };
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) =>
    dial(options, (error, result) => {
      if (!error && /\/logs\?/.test(options.path) && options.options?.follow && result instanceof EventEmitter) {
        open++;
        result.once("close", () => open--);
      }
      callback?.(error, result);
    });
  return { docker, openFollows: () => open };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe.skipIf(!haveTools)("pod streams through the node tunnel", () => {
  let cluster: Cluster;
  let hollow: HollowNodes | undefined;
  let tunnel: Tunnel | undefined;
  const node = `tun-${randomBytes(3).toString("hex")}`;
  let uid = "";
  const agentDocker = countingDocker();

  beforeAll(async () => {
    if (!(await dockerAvailable())) throw new Error("a Docker engine is required by this test");
    await ensureBusyboxImage();
    cluster = await startCluster();
    // The hollow node registers the Node; this test's own tunnel (on Docker) is the node's tunnel.
    hollow = await startHollowNodes(cluster.kubeconfig, [node], { tunnel: false });
    const manifests = [podYaml("web", node, ["main", "side", "bulk"]), podYaml("lonely", "no-such-node", ["c"])].join("---\n");
    const applied = await cluster.kubectl(["apply", "-f", "-"], { stdin: manifests });
    if (applied.code !== 0) throw new Error(applied.stderr);
    // The containers carry the pod's uid, as the agent's do: streams only reach that pod's containers.
    uid = (await cluster.kubectl(["get", "pod", "web", "-o", "jsonpath={.metadata.uid}"])).stdout;
    const sandbox = await runLabelled(node, "web", uid, "POD", 0, ["sleep", "3600"]);
    const net = ["--network", `container:${sandbox}`];
    await runLabelled(node, "web", uid, "main", 0, ["sh", "-c", "echo previous-run"], net, false);
    await runLabelled(node, "web", uid, "main", 1, ["sh", "-c",
      "echo one; echo two; echo three; httpd -p 80 -h /var/www; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.4; done"], net);
    await runLabelled(node, "web", uid, "side", 0, ["sh", "-c", "echo side says hi; exec sleep 3600"], net);
    await runLabelled(node, "web", uid, "bulk", 0, ["sh", "-c", "seq 1 200000; exec sleep 3600"], net);
    tunnel = startTunnel({ server: cluster.url, token: cluster.token, ca: cluster.caPem, nodeName: node, runtime: new DockerRuntime(agentDocker.docker, node) });
    await eventually(async () => (await cluster.kubectl(["get", "pod", "web", "-o", "jsonpath={.status.phase}"])).stdout === "Running", "pod web Running", 30_000);
    await eventually(async () => (await cluster.kubectl(["logs", "web", "-c", "side"])).code === 0, "the tunnel to connect", 30_000, 500);
  }, 180_000);

  afterAll(async () => {
    await tunnel?.stop();
    await hollow?.stop();
    const ids = await docker(["ps", "-aq", "--filter", `label=${TEST_LABEL}`, "--filter", `label=io.edgeplane.node=${node}`]).catch(() => "");
    if (ids) await docker(["rm", "-f", ...ids.split("\n")]);
    await cluster?.stop();
  }, 60_000);

  it("kubectl logs, --tail, -c and --previous", async () => {
    // The container ticks every 0.4 s: wait for two ticks so --tail=2 has only ticks to show.
    let all = "";
    await eventually(async () => /tick 1\n/.test(all = await kubectlOk(cluster, ["logs", "web", "-c", "main"])), "two ticks logged", 20_000);
    expect(all).toMatch(/^one\ntwo\nthree\ntick 0\ntick 1\n/);
    const tail = await kubectlOk(cluster, ["logs", "web", "-c", "main", "--tail=2"]);
    expect(tail.trimEnd().split("\n")).toHaveLength(2);
    expect(tail).toMatch(/^tick \d+\ntick \d+\n$/);
    expect(await kubectlOk(cluster, ["logs", "web", "-c", "side"])).toBe("side says hi\n");
    expect(await kubectlOk(cluster, ["logs", "web", "-c", "main", "--previous"])).toBe("previous-run\n");
    const stamped = await kubectlOk(cluster, ["logs", "web", "-c", "side", "--timestamps"]);
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z side says hi\n$/);
    const limited = await kubectlOk(cluster, ["logs", "web", "-c", "main", "--limit-bytes=6"]);
    expect(limited).toBe("one\ntw");
    // Without -c kubectl picks the first container and says so.
    const defaulted = await cluster.kubectl(["logs", "web", "--tail=1"]);
    expect(defaulted.stderr).toContain('Defaulted container "main"');
  });

  it("kubectl logs streams a large log whole, and its tail", async () => {
    let all = "";
    await eventually(async () => (all = await kubectlOk(cluster, ["logs", "web", "-c", "bulk"])).endsWith("200000\n"), "the whole bulk log", 30_000);
    const lines = all.trimEnd().split("\n");
    expect(lines).toHaveLength(200_000);
    expect(lines[0]).toBe("1");
    expect(lines[123_455]).toBe("123456");
    expect(await kubectlOk(cluster, ["logs", "web", "-c", "bulk", "--tail=2"])).toBe("199999\n200000\n");
  });

  it("kubectl logs -f shows lines as they come and stops when kubectl goes away", async () => {
    const follow = spawnKubectl(cluster, ["logs", "-f", "web", "-c", "main", "--tail=1"]);
    await eventually(async () => (follow.output().match(/tick \d+\n/g) ?? []).length >= 3, "three followed lines", 20_000).catch((e: unknown) => {
      follow.child.kill("SIGKILL");
      throw new Error(`${String(e)}; kubectl said: ${JSON.stringify(follow.output())}`);
    });
    const seen = follow.output().match(/tick (\d+)/g) ?? [];
    expect(new Set(seen).size).toBe(seen.length);
    expect(agentDocker.openFollows()).toBe(1);
    follow.child.kill("SIGTERM");
    expect(await exited(follow.child)).not.toBe(0);
    // The client's disconnect travels Worker → DO → agent, which closes its Docker log stream.
    await eventually(async () => agentDocker.openFollows() === 0, "the agent to close its log stream", 10_000);
  });

  it("kubectl exec runs commands, propagates exit codes and pipes stdin", async () => {
    expect((await kubectlOk(cluster, ["exec", "web", "-c", "main", "--", "ls", "/"])).split("\n")).toContain("bin");
    const failed = await cluster.kubectl(["exec", "web", "-c", "main", "--", "sh", "-c", "echo oops >&2; exit 3"]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain("oops");
    const piped = await cluster.kubectl(["exec", "-i", "web", "-c", "side", "--", "cat"], { stdin: "hello through stdin\n" });
    expect(piped.stdout).toBe("hello through stdin\n");
    expect(piped.code).toBe(0);
  });

  it("kubectl exec -it drives a shell through a terminal", async () => {
    const child = spawn("script", ["-qc", "kubectl exec -it web -c side -- sh", "/dev/null"], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, TERM: "dumb" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr?.setEncoding("utf8").on("data", (c: string) => (out += c));
    await eventually(async () => out.includes("#"), "a shell prompt", 20_000);
    child.stdin?.write("echo hi-from-$((40+2)); exit\n");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const code = await exited(child);
    clearTimeout(timer);
    expect(out).toContain("hi-from-42");
    expect(code).toBe(0);
  });

  it("kubectl attach streams the running container's output", async () => {
    const attach = spawnKubectl(cluster, ["attach", "web", "-c", "main"]);
    await eventually(async () => /tick \d+\n/.test(attach.output()), "attached output", 20_000);
    attach.child.kill("SIGTERM");
    await exited(attach.child);
  });

  it("kubectl port-forward reaches the pod's port", async () => {
    const port = await findFreePort();
    const forward = spawnKubectl(cluster, ["port-forward", "pod/web", `${port}:80`, "--address", "127.0.0.1"]);
    try {
      await eventually(async () => forward.output().includes("Forwarding from"), "port-forward to listen", 20_000);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe("hello from edgeplane\n");
      }
    } finally {
      forward.child.kill("SIGTERM");
      await exited(forward.child);
    }
  });

  it("answers kube's errors for missing pods, containers, hosts and tunnels", async () => {
    const missing = await cluster.kubectl(["logs", "nope"]);
    expect(missing.stderr).toContain('pods "nope" not found');
    const badContainer = await cluster.kubectl(["logs", "web", "-c", "bogus"]);
    expect(badContainer.stderr).toContain("container bogus is not valid for pod web");
    const noPrevious = await cluster.kubectl(["logs", "web", "-c", "side", "--previous"]);
    expect(noPrevious.stderr).toContain('previous terminated container "side" in pod "web" not found');
    const noTunnel = await cluster.kubectl(["logs", "lonely"]);
    expect(noTunnel.stderr).toContain('node "no-such-node" has no tunnel connected');
    const raw = await cluster.kubectl(["get", "--raw", "/api/v1/namespaces/default/pods/web/log"]);
    expect(raw.stderr).toContain("a container name must be specified for pod web, choose one of: [main side bulk]");
    // A node selector nothing matches keeps the pod unscheduled.
    const unscheduled = podYaml("floating", node, ["c"]).replace(`  nodeName: ${node}\n`, "  nodeSelector:\n    nowhere: \"true\"\n");
    const created = await cluster.kubectl(["create", "-f", "-"], { stdin: unscheduled });
    expect(created.code).toBe(0);
    const noHost = await cluster.kubectl(["get", "--raw", "/api/v1/namespaces/default/pods/floating/log"]);
    expect(noHost.stderr).toContain("pod floating does not have a host assigned");
  });

  it("the tunnel route authenticates its caller", async () => {
    const url = `${cluster.url}/edgeplane/v1/nodes/${node}/tunnel`;
    const { Agent, fetch: undiciFetch } = await import("undici");
    const dispatcher = new Agent({ connect: { ca: cluster.caPem } });
    const anonymous = await undiciFetch(url, { dispatcher });
    expect(anonymous.status).toBe(401);
    const plain = await undiciFetch(url, { dispatcher, headers: { authorization: `Bearer ${cluster.token}` } });
    expect(plain.status).toBe(400);
    await dispatcher.close();
  });
});
