// What the agent's real-Docker tests share: the agent run from source as a child process with a
// ready token (no join), its output kept for failure messages, and Docker lookups by node label.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Cluster } from "../e2e/harness";

const run = promisify(execFile);
const REPO_ROOT = join(import.meta.dirname, "..", "..");
const LOG_LINES_KEPT = 400;

export interface TestAgent {
  nodeName: string;
  pid(): number | undefined;
  output(): string;
  /** SIGKILL: the agent dies at once, its containers keep running. */
  kill(): Promise<void>;
  start(): void;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

export async function startAgent(cluster: Cluster, nodeName: string, dir: string, extra: Record<string, unknown> = {}): Promise<TestAgent> {
  await mkdir(join(dir, "data"), { recursive: true });
  const caFile = join(dir, "ca.crt");
  await writeFile(caFile, cluster.caPem);
  const configFile = join(dir, "agent.json");
  await writeFile(configFile, JSON.stringify({ server: cluster.url, caFile, nodeName, dataDir: join(dir, "data"), token: cluster.token, labels: { "edgeplane.test/agent": "yes" }, network: { enabled: false }, ingress: { enabled: false }, ...extra }), { mode: 0o600 });
  const lines: string[] = [];
  let child: ChildProcess | undefined;
  const exited = new Map<ChildProcess, Promise<void>>();
  const agent: TestAgent = {
    nodeName,
    pid: () => child?.pid,
    output: () => lines.join("\n"),
    start() {
      const proc = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "node-agent", "main.ts"), "--config", configFile], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
      for (const stream of [proc.stdout, proc.stderr]) {
        stream?.setEncoding("utf8").on("data", (chunk: string) => {
          lines.push(...chunk.trimEnd().split("\n"));
          if (lines.length > LOG_LINES_KEPT) lines.splice(0, lines.length - LOG_LINES_KEPT);
        });
      }
      exited.set(proc, new Promise((resolve) => proc.on("exit", () => resolve())));
      child = proc;
    },
    async kill() {
      if (!child?.pid || child.exitCode !== null) return;
      process.kill(child.pid, "SIGKILL");
      await exited.get(child);
    },
    async stop() {
      if (!child?.pid || child.exitCode !== null) return;
      process.kill(child.pid, "SIGTERM");
      await exited.get(child);
    },
  };
  agent.start();
  return agent;
}

async function docker(args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { timeout: 60_000 });
  return stdout.trim();
}

/** `docker ps` ids (sorted) of a node's containers, optionally only running ones. */
export async function nodeContainerIds(nodeName: string, all = false): Promise<string[]> {
  const out = await docker(["ps", ...(all ? ["-a"] : []), "-q", "--no-trunc", "--filter", `label=io.edgeplane.node=${nodeName}`]);
  return out.split("\n").filter(Boolean).sort();
}

/** The running container of pod `pod`, container `name`. */
export async function containerOf(nodeName: string, pod: string, name: string): Promise<string> {
  const out = await docker(["ps", "-q", "--filter", `label=io.edgeplane.node=${nodeName}`, "--filter", `label=io.kubernetes.pod.name=${pod}`, "--filter", `label=io.kubernetes.container.name=${name}`]);
  return out.split("\n")[0] ?? "";
}

export async function dockerExec(id: string, command: string[]): Promise<string> {
  return docker(["exec", id, ...command]);
}

/** Removes every container of the node and its bridge network (what the test created). */
export async function removeNode(nodeName: string): Promise<void> {
  const ids = await nodeContainerIds(nodeName, true);
  if (ids.length > 0) await docker(["rm", "-f", ...ids]);
  await docker(["network", "rm", `edgeplane-${nodeName}`]).catch(() => "");
}
