// Hollow nodes (as KWOK does, but with the real agent): each is the node agent itself (agent.ts),
// in this process, on the hollow runtime, which runs no containers. It registers its Node, renews
// its Lease, watches its pods and reports their status exactly as on a real machine; only the
// containers are records. For controller tests at any scale; real nodes are the agent on Docker.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { readKubeconfig } from "../../scripts/lib/kubeconfig";
import { startAgent, type RunningAgent } from "../../node-agent/agent";
import { ApiClient } from "../../node-agent/api-client";
import { newJoinToken } from "../../scripts/create-join-token";
import { DEFAULT_NETWORK, type AgentConfig } from "../../node-agent/config";
import { HollowRuntime } from "../../node-agent/runtime/hollow";

const JOIN_TOKEN_TTL_MS = 24 * 3_600_000;

export interface HollowNodeOptions {
  /**
   * Each container takes this long to start, so a new pod is not Ready at once and the order in
   * which controllers wait on readiness shows. Default 0.
   */
  startDelayMs?: number;
  /** Open each node's tunnel for logs, exec, attach and port-forward (default true). */
  tunnel?: boolean;
  /** Each node's Lease duration (renewed every quarter of it); default the agent's 40 s. */
  nodeLeaseDurationSeconds?: number;
  /** Quiet: keep no log lines (a fleet of a thousand nodes logs a lot). */
  quiet?: boolean;
  /** Each agent log line, "node: message", as it is written. */
  onLog?: (line: string) => void;
}

export interface HollowNodes {
  stop(): Promise<void>;
  /** Stop one node's agent (heartbeats, pod reports), as if its machine died. */
  kill(name: string): Promise<void>;
  /**
   * Talk to the control plane named by this kubeconfig from now on (a restarted local cluster
   * listens on a new port): each agent restarts and adopts the containers its runtime still holds.
   */
  reconnect(kubeconfig: string): Promise<void>;
}

interface HollowNode {
  runtime: HollowRuntime;
  config: AgentConfig;
  agent?: RunningAgent;
}

export async function startHollowNodes(kubeconfig: string, names: string[], options: HollowNodeOptions = {}): Promise<HollowNodes> {
  const root = mkdtempSync(joinPath(tmpdir(), "edgeplane-hollow-"));
  const output: string[] = [];
  const log = (name: string) => (message: string) => {
    options.onLog?.(`${name}: ${message}`);
    if (options.quiet) return;
    output.push(`${name}: ${message}`);
    if (output.length > 200) output.shift();
  };
  const connection = (path: string) => {
    const kc = readKubeconfig(path);
    const caFile = joinPath(root, `ca-${Date.now()}.pem`);
    writeFileSync(caFile, kc.caPem);
    return { server: kc.server, caFile };
  };
  // The nodes join as real ones do: one join token, exchanged by each agent for its own node
  // credential (kept in its data directory), so the node authorizer judges every request.
  const kc = readKubeconfig(kubeconfig);
  const admin = new ApiClient({ server: kc.server, token: kc.token, ca: kc.caPem });
  const join = newJoinToken(JOIN_TOKEN_TTL_MS, "hollow nodes");
  try {
    await admin.create("/api/v1/namespaces/kube-system/secrets", join.manifest);
  } finally {
    admin.close();
  }
  const joinToken = `${join.id}.${join.secret}`;
  const start = async (node: HollowNode) => {
    // hostPath and local volumes land in the node's own directory, not on this machine's /.
    const hostRoot = joinPath(node.config.dataDir, "host");
    node.agent = await startAgent({ config: node.config, runtime: node.runtime, hostRoot, tunnel: options.tunnel, log: log(node.config.nodeName) });
  };
  const first = connection(kubeconfig);
  const nodes = new Map<string, HollowNode>();
  for (const [i, name] of names.entries()) {
    const config: AgentConfig = {
      ...first,
      joinToken,
      ...(options.nodeLeaseDurationSeconds ? { nodeLeaseDurationSeconds: options.nodeLeaseDurationSeconds } : {}),
      nodeName: name,
      dataDir: joinPath(root, name),
      // A documentation address: hollow nodes are never sent traffic.
      nodeIP: `192.0.2.${i + 10}`,
      labels: { type: "hollow" },
      network: { ...DEFAULT_NETWORK, enabled: false },
      ingress: { enabled: false, httpPort: 80, httpsPort: 443 },
    };
    nodes.set(name, { runtime: new HollowRuntime(name, options.startDelayMs ?? 0), config });
  }
  await Promise.all([...nodes.values()].map(start));
  const stopAll = () => Promise.all([...nodes.values()].map(async (n) => n.agent?.stop())).then(() => undefined);
  return {
    async stop() {
      await stopAll();
      rmSync(root, { recursive: true, force: true });
    },
    async kill(name) {
      const node = nodes.get(name);
      await node?.agent?.stop();
      if (node) node.agent = undefined;
    },
    async reconnect(next) {
      const moved = connection(next);
      await stopAll();
      for (const node of nodes.values()) {
        if (!node.agent) continue;
        node.config = { ...node.config, ...moved };
        await start(node);
      }
    },
  };
}
