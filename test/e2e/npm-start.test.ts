// `npm start` as a user runs it: the control plane plus one node agent on this machine's Docker
// engine (a one-node cluster, like minikube); Ctrl-C stops both and leaves the containers, which
// the next start adopts. Without a Docker engine it says so and runs the control plane alone.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { findFreePort } from "../../scripts/lib/local-cluster";
import { REPO_ROOT } from "../../scripts/lib/wrangler";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { requireTool } from "./harness";
import { eventually } from "./helpers";
import { nodeContainers, removeNodeContainers } from "./node-agent-lib";
import { checkIngressConformance } from "./ingress-conformance";
import { checkIngressTraffic, type IngressPorts } from "./ingress-traffic";
import { checkServiceTraffic } from "./services-traffic";

const run = promisify(execFile);
const HAVE_DOCKER = requireTool("kubectl") && (await requireDockerEngine());

const NODE = `e2e-start-${process.pid}`;
const dirs: string[] = [];

interface Started {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

/** Free ports for the node's ingress: tests never take 80 and 443 (a developer's npm start may hold them). */
async function ingressPorts(): Promise<IngressPorts> {
  return { http: await findFreePort("0.0.0.0"), https: await findFreePort("0.0.0.0") };
}

async function npmStart(state: string, port: number, env: NodeJS.ProcessEnv = process.env, ingress?: IngressPorts): Promise<Started> {
  const ports = ingress ?? (await ingressPorts());
  const args = ["--import", "tsx", "scripts/start.ts", "--port", String(port), "--state", state, "--node-name", NODE, "--ingress-ports", `${ports.http},${ports.https}`];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await eventually(async () => output.includes("Press Ctrl-C to stop"), "npm start ready", 120_000, 250).catch((error: unknown) => {
    child.kill("SIGINT");
    throw new Error(`${String(error)}\n${output}`);
  });
  return {
    child,
    output: () => output,
    async stop() {
      child.kill("SIGINT");
      return exited;
    },
  };
}

async function kubectl(state: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("kubectl", ["--kubeconfig", join(state, "kubeconfig"), ...args], { timeout: 60_000 });
    return stdout;
  } catch (error) {
    throw new Error(`kubectl ${args.join(" ")}: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`);
  }
}

/** The kernel state the local node's pod network left (as `install.sh --uninstall` removes it). */
async function tearDownNetwork(state: string): Promise<void> {
  await run(process.execPath, ["--import", "tsx", "node-agent/main.ts", "--config", join(state, "agent", "agent.json"), "--teardown-network"], { cwd: REPO_ROOT }).catch(() => undefined);
}

afterAll(async () => {
  await removeNodeContainers(NODE);
  for (const dir of dirs) await tearDownNetwork(dir);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_DOCKER)("npm start", () => {
  it("runs a one-node cluster whose containers survive a restart", async () => {
    const image = await ensureBusyboxImage();
    const state = await mkdtemp(join(tmpdir(), "edgeplane-npm-start-"));
    dirs.push(state);
    const port = await findFreePort();
    let started = await npmStart(state, port);
    try {
      expect(started.output()).toContain(`node agent:  node ${NODE} on Docker`);
      await eventually(async () => new RegExp(`^${NODE}\\s+Ready\\s`, "m").test(await kubectl(state, "get", "nodes")), `node Ready\n${started.output()}`, 60_000);
      await kubectl(state, "run", "hello", `--image=${image}`, "--", "sleep", "3600");
      await eventually(async () => /hello\s+1\/1\s+Running/.test(await kubectl(state, "get", "pods")), `hello Running\n${started.output()}`, 60_000);
      const containers = await nodeContainers(NODE);
      expect(containers).toHaveLength(2);

      expect(await started.stop()).toBe(0);
      expect(started.output()).toContain("stopped.");
      expect(await nodeContainers(NODE)).toEqual(containers);

      started = await npmStart(state, port);
      await eventually(async () => /hello\s+1\/1\s+Running\s+0/.test(await kubectl(state, "get", "pods")), "hello still Running", 60_000);
      // Give the restarted agent a few syncs: it adopts, it does not recreate.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await nodeContainers(NODE)).toEqual(containers);
      await kubectl(state, "delete", "pod", "hello", "--grace-period=1");
      await eventually(async () => (await nodeContainers(NODE)).length === 0, "hello's containers removed");
    } finally {
      await started.stop();
    }
  }, 300_000);

  it("carries traffic: Services by name and address, NodePort, LoadBalancer, cluster DNS, UDP, Ingress", async () => {
    await ensureBusyboxImage();
    const state = await mkdtemp(join(tmpdir(), "edgeplane-npm-start-"));
    dirs.push(state);
    const ports = await ingressPorts();
    const started = await npmStart(state, await findFreePort(), process.env, ports);
    const withOutput = (error: unknown) => {
      throw new Error(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n--- npm start output ---\n${started.output().split("\n").slice(-80).join("\n")}`);
    };
    try {
      await eventually(async () => new RegExp(`^${NODE}\\s+Ready\\s`, "m").test(await kubectl(state, "get", "nodes")), `node Ready\n${started.output()}`, 60_000);
      expect(started.output()).toContain("cluster DNS serving on 10.96.0.10:53");
      expect(started.output()).toContain(`ingress:     http://127.0.0.1:${ports.http}/ and https://127.0.0.1:${ports.https}/`);
      await checkServiceTraffic((...args) => kubectl(state, ...args), NODE).catch(withOutput);
      await checkIngressTraffic((...args) => kubectl(state, ...args), ports).catch(withOutput);
      await checkIngressConformance((...args) => kubectl(state, ...args), ports).catch(withOutput);
    } finally {
      await started.stop();
      await removeNodeContainers(NODE);
    }
  }, 300_000);

  it("says when no Docker engine answers and runs the control plane alone", async () => {
    const state = await mkdtemp(join(tmpdir(), "edgeplane-npm-start-"));
    dirs.push(state);
    const started = await npmStart(state, await findFreePort(), { ...process.env, DOCKER_HOST: `unix://${join(state, "no-docker.sock")}` });
    try {
      expect(started.output()).toContain("no Docker engine found");
      expect(started.output()).toContain("the control plane runs alone");
      expect(await kubectl(state, "get", "namespaces")).toContain("kube-system");
    } finally {
      await started.stop();
    }
  }, 180_000);
});
