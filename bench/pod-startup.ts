// Node-agent benchmark on the real Docker engine: pod startup latency (create → Running and
// Ready, seen through a watch) against a plain `docker run` of the same image in the same run;
// and against the two Docker starts a pod is made of (sandbox, then app in its network namespace);
// then the agent's CPU, memory and requests per hour while 30 pods run and nothing changes.
//   npm run bench:agent   (SAMPLES=20 IDLE_PODS=30 IDLE_S=120)
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cpuSeconds, rssMb } from "./lib/proc";
import { clientFromKubeconfig, listThenWatch, percentile, type ApiClient } from "./lib/client";
import { ensureBusyboxImage } from "../test/e2e/docker-images";
import { startCluster } from "../test/e2e/harness";
import { eventually, kubectlOk } from "../test/e2e/helpers";
import { installAgent, removeNodeContainers, type InstalledAgent } from "../test/e2e/node-agent-lib";

const run = promisify(execFile);
const SAMPLES = Number(process.env.SAMPLES ?? 20);
const IDLE_PODS = Number(process.env.IDLE_PODS ?? 30);
const IDLE_S = Number(process.env.IDLE_S ?? 120);
const NETWORK = process.env.NETWORK !== "0";
const NODE = `bench-${process.pid}`;
/** The dev server logs one line per request it served (as wrangler dev does). */
const REQUEST_LINE = /\[wrangler:inf\w*\]\s+(GET|PUT|POST|PATCH|DELETE)\s/;

function line(label: string, values: number[]): string {
  return `${label.padEnd(34)} p50 ${percentile(values, 50).toFixed(0).padStart(5)} ms   p99 ${percentile(values, 99).toFixed(0).padStart(5)} ms   (n=${values.length})`;
}

/** `docker run -d` returns once the container has started: the baseline a pod is compared with. */
async function plainDockerRun(image: string): Promise<number> {
  const name = `bench-plain-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const started = performance.now();
  await run("docker", ["run", "-d", "--name", name, image, "sleep", "3600"]);
  const ms = performance.now() - started;
  await run("docker", ["rm", "-f", name]);
  return ms;
}

/**
 * What Docker alone needs for a pod, through the same CLI: a sandbox started on a user-defined
 * bridge network, then the app container started in its network namespace. The floor a pod's
 * startup can approach, since kubelet's pod model is these two starts in sequence.
 */
async function plainDockerPair(image: string, network: string): Promise<number> {
  const name = `bench-pair-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const started = performance.now();
  await run("docker", ["run", "-d", "--name", `${name}-sandbox`, "--network", network, image, "sleep", "3600"]);
  await run("docker", ["run", "-d", "--name", name, "--network", `container:${name}-sandbox`, image, "sleep", "3600"]);
  const ms = performance.now() - started;
  await run("docker", ["rm", "-f", name, `${name}-sandbox`]);
  return ms;
}

function isReady(pod: Record<string, unknown>): boolean {
  const status = pod.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  return status?.phase === "Running" && (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** One pod, created through the API; milliseconds until a watch shows it Running and Ready. */
async function podStartup(api: ApiClient, image: string, name: string): Promise<number> {
  let ready!: () => void;
  const readySeen = new Promise<void>((resolve) => (ready = resolve));
  const stop = await listThenWatch<Record<string, unknown>>(api, `/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3D${name}`, (_type, pod) => {
    if (isReady(pod)) ready();
  });
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "main", image, command: ["sleep", "3600"], imagePullPolicy: "IfNotPresent" }], terminationGracePeriodSeconds: 0 } };
  const started = performance.now();
  const created = await api.call("POST", "/api/v1/namespaces/default/pods", pod);
  if (created.status !== 201) throw new Error(`POST pod ${name}: ${created.status} ${created.body}`);
  await readySeen;
  const ms = performance.now() - started;
  stop();
  return ms;
}

async function main(): Promise<void> {
  const image = await ensureBusyboxImage();
  let requests = 0;
  const cluster = await startCluster({ onOutput: (line) => void (REQUEST_LINE.test(line) && requests++) });
  const prefix = await mkdtemp(join(tmpdir(), "edgeplane-bench-agent-"));
  let agent: InstalledAgent | undefined;
  try {
    // With the pod network, as a node runs (NETWORK=0 for a plain Docker bridge).
    agent = await installAgent(cluster, NODE, join(prefix, "root"), { network: NETWORK });
    await eventually(async () => new RegExp(`^${NODE}\\s+Ready\\s`, "m").test(await kubectlOk(cluster, ["get", "nodes"])), "node Ready", 60_000);
    const client = clientFromKubeconfig(cluster.kubeconfig, 4);

    // Interleaved, so both see the same machine state.
    const plain: number[] = [];
    const pairs: number[] = [];
    const pods: number[] = [];
    const network = `edgeplane-bench-pair-${process.pid}`;
    await run("docker", ["network", "create", network]);
    try {
      for (let i = 0; i < SAMPLES; i++) {
        plain.push(await plainDockerRun(image));
        pairs.push(await plainDockerPair(image, network));
        pods.push(await podStartup(client, image, `startup-${i}`));
      }
    } finally {
      await run("docker", ["network", "rm", network]).catch(() => undefined);
    }
    const lines = [
      `pod startup, ${SAMPLES} pods one at a time, image present (${image}), pod network ${NETWORK ? "on" : "off"}`,
      line("plain docker run -d", plain),
      line("docker run sandbox + joined app", pairs),
      line("edgeplane pod (create→Ready)", pods),
      `ratio p50 ${(percentile(pods, 50) / percentile(plain, 50)).toFixed(2)}x the plain run, ${(percentile(pods, 50) / percentile(pairs, 50)).toFixed(2)}x the sandbox + app pair`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
    client.agent.destroy();
    await kubectlOk(cluster, ["delete", "pods", "--all", "--grace-period=0", "--wait=true"], 180_000);

    // Idle: IDLE_PODS running, nothing changing.
    await kubectlOk(cluster, ["create", "deployment", "idle", `--image=${image}`, `--replicas=${IDLE_PODS}`, "--", "sleep", "36000"]);
    await kubectlOk(cluster, ["rollout", "status", "deployment/idle", "--timeout=300s"], 320_000);
    await new Promise((r) => setTimeout(r, 15_000)); // let status reports and events settle
    const pid = agent.pid();
    if (!pid) throw new Error("agent pid unknown");
    const cpuBefore = cpuSeconds(pid);
    const requestsBefore = requests;
    const started = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const seconds = (performance.now() - started) / 1000;
    const cpuPercent = ((cpuSeconds(pid) - cpuBefore) / seconds) * 100;
    const perHour = ((requests - requestsBefore) / seconds) * 3600;
    process.stdout.write(
      [
        `agent idle with ${IDLE_PODS} pods over ${seconds.toFixed(0)} s`,
        `  resident memory   ${rssMb(pid).toFixed(1)} MB`,
        `  cpu               ${cpuPercent.toFixed(2)} % of one core`,
        `  requests to the control plane  ${perHour.toFixed(0)} per hour (HTTP requests wrangler served; the tunnel WebSocket's keep-alive pings are not requests)`,
      ].join("\n") + "\n",
    );
  } finally {
    if (agent) await agent.uninstall().catch(() => agent?.kill());
    await removeNodeContainers(NODE);
    await cluster.stop();
    await rm(prefix, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
