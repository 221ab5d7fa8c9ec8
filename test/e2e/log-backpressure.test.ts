// A `kubectl logs -f` that stops reading, on a container writing about 10 MB/s for a minute,
// on the real Docker engine: the control plane holds a bounded buffer for it (the tunnel asks
// the agent to pause that stream, and the agent stops reading Docker's), so the memory of the
// Worker's processes stays flat, and the node's other streams (another log, an exec) work.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeNode, startAgent, type TestAgent } from "../agent/agent-lib";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { requireTool, startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";

const HAVE_DOCKER = requireTool("kubectl") && (await requireDockerEngine());
const NODE = `backpressure-${process.pid}`;
const STALL_S = 60;
/** What the Worker's processes may grow by over the minute: buffers, not the ~600 MB written. */
const GROWTH_LIMIT_MB = 100;

/** Resident memory of every process in a process group (wrangler and its workerd), in MB. */
function groupRssMb(pgid: number): number {
  let kb = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const line = readFileSync(`/proc/${entry}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
      kb += Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kb / 1024;
}

describe.skipIf(!HAVE_DOCKER)("a log follower that stops reading", () => {
  let cluster: Cluster;
  let agent: TestAgent;
  let dir: string;

  beforeAll(async () => {
    const image = await ensureBusyboxImage();
    cluster = await startCluster({ requestLog: false });
    dir = await mkdtemp(join(tmpdir(), "edgeplane-backpressure-"));
    agent = await startAgent(cluster, NODE, dir);
    await eventually(async () => (await cluster.kubectl(["get", "node", NODE, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === "True", `node ${NODE} Ready`, 60_000);
    // About 10 MB/s: a 1 MiB line, then a tenth of a second's rest.
    const loud = `while true; do head -c 1048576 /dev/zero | tr '\\0' x; echo; sleep 0.1; done`;
    await cluster.kubectl(["apply", "-f", "-"], {
      stdin: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "loud" },
        spec: { nodeName: NODE, containers: [{ name: "loud", image, imagePullPolicy: "Never", command: ["sh", "-c", loud] }] },
      }),
    });
    await eventually(async () => (await cluster.kubectl(["get", "pod", "loud", "-o", "jsonpath={.status.phase}"])).stdout === "Running", "the loud pod Running", 60_000, 300);
  }, 180_000);

  afterAll(async () => {
    await cluster?.kubectl(["delete", "pod", "loud", "--grace-period=0", "--force"]);
    await agent?.stop();
    await removeNode(NODE);
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`keeps the control plane's memory flat for ${STALL_S} s, and the node's other streams working`, async () => {
    // The real kubectl, whose output nobody reads: once the pipe is full it stops reading the response.
    const follower = spawn(process.env.KUBECTL ?? "kubectl", ["--kubeconfig", cluster.kubeconfig, "logs", "-f", "loud"], { stdio: ["ignore", "pipe", "pipe"] });
    let received = 0;
    follower.stdout.once("data", (chunk: Buffer) => {
      received += chunk.length;
      follower.stdout.pause();
    });
    try {
      await eventually(async () => received > 0, "the follower's first bytes", 30_000, 100);
      // Buffers fill in the first seconds; from then on nothing may grow with the log.
      await new Promise((r) => setTimeout(r, 10_000));
      const settled = groupRssMb(cluster.pid);
      const samples: number[] = [];
      for (let s = 0; s < STALL_S - 10; s += 10) {
        await new Promise((r) => setTimeout(r, 10_000));
        samples.push(groupRssMb(cluster.pid));
        // Other streams of the same node, through the same tunnel.
        expect((await kubectlOk(cluster, ["exec", "loud", "--", "echo", "still here"])).trim()).toBe("still here");
        expect(await kubectlOk(cluster, ["logs", "--limit-bytes=16", "loud"])).toMatch(/^[x\n]{16}$/);
      }
      const growth = Math.max(...samples) - settled;
      console.info(`log backpressure: control plane RSS ${settled.toFixed(0)} MB after settling, then ${samples.map((m) => m.toFixed(0)).join(", ")} MB every 10 s`);
      expect(growth, `RSS after settling ${settled.toFixed(0)} MB, then ${samples.map((m) => m.toFixed(0)).join(", ")} MB`).toBeLessThan(GROWTH_LIMIT_MB);
      expect(follower.exitCode).toBeNull();
    } finally {
      follower.kill("SIGTERM");
    }
  }, 180_000);
});
