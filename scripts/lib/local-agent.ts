// The local cluster's node: one node agent on this machine's Docker engine, as minikube runs one
// node. It joins with a bootstrap token the first time and keeps its credential under the root.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Dockerode from "dockerode";
import { Agent, fetch } from "undici";
import { stopProcessGroup } from "./process-group";
import { REPO_ROOT, exitOf, type LineSink } from "./wrangler";

const AGENT_ENTRY = join(REPO_ROOT, "node-agent", "main.ts");
const JOIN_TOKEN_TTL_MS = 60 * 60 * 1000;

export interface LocalAgentOptions {
  /** The cluster's state directory; the agent keeps its config and data under <root>/agent. */
  root: string;
  url: string;
  caPem: string;
  /** The admin token, used once to create the join token. */
  adminToken: string;
  nodeName?: string;
  /** Ingress ports; undefined turns the node's ingress controller off. */
  ingress?: { http: number; https: number };
  onOutput?: LineSink;
}

export interface LocalAgent {
  nodeName: string;
  pid: number;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Whether a Docker engine answers on the default socket (why not, otherwise). */
export async function dockerEngineStatus(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  try {
    const version = await new Dockerode().version();
    return { ok: true, version: version.Version };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** A kubeadm-style bootstrap token Secret, created through the API with the admin token. */
async function createJoinToken(options: LocalAgentOptions): Promise<string> {
  const id = randomBytes(16).toString("hex").replace(/[^a-z0-9]/g, "").slice(0, 6);
  const secret = randomBytes(16).toString("hex").slice(0, 16);
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  const body = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
    type: "bootstrap.kubernetes.io/token",
    data: {
      "token-id": b64(id),
      "token-secret": b64(secret),
      expiration: b64(new Date(Date.now() + JOIN_TOKEN_TTL_MS).toISOString().replace(/\.\d+Z$/, "Z")),
      "usage-bootstrap-authentication": b64("true"),
      description: b64("npm start: the local node agent"),
    },
  };
  const response = await fetch(`${options.url}/api/v1/namespaces/kube-system/secrets`, {
    method: "POST",
    headers: { authorization: `Bearer ${options.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    dispatcher: new Agent({ connect: { ca: options.caPem } }),
  });
  if (!response.ok) throw new Error(`creating the join token failed: ${response.status} ${await response.text()}`);
  return `${id}.${secret}`;
}

/**
 * Starts the agent (from source, through tsx) in its own process group. The first start creates a
 * join token; later starts reuse the credential the agent saved, and the agent adopts the
 * containers it left running.
 */
export async function startLocalAgent(options: LocalAgentOptions): Promise<LocalAgent> {
  // A node name is a DNS-1123 subdomain; hostnames are not always one.
  const nodeName = options.nodeName ?? (hostname().toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "local");
  const dir = join(options.root, "agent");
  const dataDir = join(dir, "data");
  await mkdir(dataDir, { recursive: true });
  const caFile = join(dir, "ca.crt");
  await writeFile(caFile, options.caPem);
  const config: Record<string, unknown> = {
    server: options.url,
    caFile,
    nodeName,
    dataDir,
    ingress: options.ingress ? { httpPort: options.ingress.http, httpsPort: options.ingress.https } : { enabled: false },
  };
  if (!existsSync(join(dataDir, "credential.json"))) config.joinToken = await createJoinToken(options);
  const configFile = join(dir, "agent.json");
  await writeFile(configFile, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });

  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", AGENT_ENTRY, "--config", configFile], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const sink = options.onOutput;
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => sink?.(line));
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error("the node agent did not start");
  const exited = exitOf(child);
  let stopped = false;
  return {
    nodeName,
    pid,
    exited,
    async stop() {
      if (stopped) return;
      stopped = true;
      // SIGTERM stops the agent, never its containers: the next start adopts them.
      await stopProcessGroup(pid);
    },
  };
}
