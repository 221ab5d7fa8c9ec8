// What the real-Docker end-to-end tests share: installing an agent with the Worker's install.sh
// (as a user would, minus systemd), a pseudo-terminal for `kubectl exec -it`, and Docker lookups.
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Cluster } from "./harness";
import { kubectlOk } from "./helpers";

const run = promisify(execFile);

export interface InstalledAgent {
  nodeName: string;
  prefix: string;
  /** The install script's output. */
  output: string;
  pid(): number | null;
  /** SIGKILL: the agent dies at once, its containers keep running. */
  kill(): void;
  /** Starts the installed agent again, as its systemd unit would. */
  restart(): Promise<void>;
  uninstall(): Promise<string>;
}

/** A join token, made the kubeadm way: a bootstrap-token Secret in kube-system. */
export async function createJoinToken(cluster: Cluster): Promise<string> {
  const id = Math.random().toString(36).slice(2, 8).padEnd(6, "0");
  const secret = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
  const expiration = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  await kubectlOk(cluster, [
    "-n", "kube-system", "create", "secret", "generic", `bootstrap-token-${id}`,
    "--type", "bootstrap.kubernetes.io/token",
    `--from-literal=token-id=${id}`, `--from-literal=token-secret=${secret}`,
    `--from-literal=expiration=${expiration}`, "--from-literal=usage-bootstrap-authentication=true",
  ]);
  return `${id}.${secret}`;
}

/**
 * `curl -fsSL <server>/install.sh | sh -s -- --token … --no-systemd --prefix …`, against the local
 * Worker. With `--no-network` unless `network` is set, and `--no-ingress` unless `ingressPorts` are
 * given (tests run side by side; none may take ports 80 and 443). In the tests only the npm start test owns
 * this machine's pod network (a benchmark running alone may take it).
 */
export async function installAgent(cluster: Cluster, nodeName: string, prefix: string, options: { network?: boolean; ingressPorts?: [number, number] } = {}): Promise<InstalledAgent> {
  const caFile = join(prefix, "..", `${nodeName}-ca.crt`);
  await writeFile(caFile, cluster.caPem);
  const token = await createJoinToken(cluster);
  const script =
    `curl -fsSL --cacert ${caFile} ${cluster.url}/install.sh | ` +
    `sh -s -- --token ${token} --node-name ${nodeName} --ca-file ${caFile} --prefix ${prefix} --no-systemd${options.network ? "" : " --no-network"}${options.ingressPorts ? ` --ingress-ports ${options.ingressPorts.join(",")}` : " --no-ingress"}`;
  const { stdout, stderr } = await run("sh", ["-c", script], { timeout: 120_000 });
  const pidFile = join(prefix, "var/lib/edgeplane/agent.pid");
  const pid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) || null : null);
  const agent: InstalledAgent = {
    nodeName,
    prefix,
    output: stdout + stderr,
    pid,
    kill() {
      const p = pid();
      if (p) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
    async restart() {
      const config = join(prefix, "etc/edgeplane/agent.json");
      const bundle = join(prefix, "opt/edgeplane/agent.mjs");
      const log = join(prefix, "var/lib/edgeplane/agent.log");
      const child = spawn("sh", ["-c", `exec node ${bundle} --config ${config} >>${log} 2>&1`], { detached: true, stdio: "ignore" });
      child.unref();
      await writeFile(pidFile, `${child.pid}\n`);
    },
    async uninstall() {
      const result = await run("sh", ["-c", `curl -fsSL --cacert ${caFile} ${cluster.url}/install.sh | sh -s -- --uninstall --node-name ${nodeName} --prefix ${prefix} --no-systemd`], { timeout: 120_000 });
      return result.stdout + result.stderr;
    },
  };
  return agent;
}

/** The agent's log, for failure messages. */
export function agentLog(agent: InstalledAgent): string {
  const file = join(agent.prefix, "var/lib/edgeplane/agent.log");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-60).join("\n") : "(no agent log)";
}

/** IDs of the running containers the node's agent created, sorted. */
export async function nodeContainers(nodeName: string): Promise<string[]> {
  const { stdout } = await run("docker", ["ps", "-q", "--no-trunc", "--filter", `label=io.edgeplane.node=${nodeName}`]);
  return stdout.split("\n").filter(Boolean).sort();
}

/** Removes every container (running or not) the node's agent created. */
export async function removeNodeContainers(nodeName: string): Promise<void> {
  const { stdout } = await run("docker", ["ps", "-aq", "--filter", `label=io.edgeplane.node=${nodeName}`]);
  const ids = stdout.split("\n").filter(Boolean);
  if (ids.length > 0) await run("docker", ["rm", "-f", ...ids]).catch(() => undefined);
  // And its pod network: each bridge holds a subnet of Docker's small default pool.
  const { stdout: networks } = await run("docker", ["network", "ls", "-q", "--filter", `label=io.edgeplane.node=${nodeName}`]);
  for (const id of networks.split("\n").filter(Boolean)) await run("docker", ["network", "rm", id]).catch(() => undefined);
}

/**
 * Runs kubectl under a pseudo-terminal (util-linux `script`), typing `input` into it, as a user
 * at a terminal would for `kubectl exec -it`. Resolves with everything the terminal showed.
 */
export function kubectlInTerminal(cluster: Cluster, args: string[], input: string, timeoutMs = 30_000): Promise<{ output: string; code: number | null }> {
  const command = ["kubectl", "--kubeconfig", cluster.kubeconfig, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`kubectl ${args.join(" ")} in a terminal timed out; it showed:\n${output}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
    // Type only once the remote shell is there: its prompt arrives first.
    let typed = false;
    child.stdout.on("data", () => {
      if (!typed && /[#$] /.test(output)) {
        typed = true;
        child.stdin.write(input);
      }
    });
  });
}
