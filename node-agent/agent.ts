// One node agent, assembled: join, register the Node, renew its Lease, run the pods bound here on
// a runtime, program the pod network and the ingress, open the tunnel. main.ts runs one on Docker;
// a test or benchmark can run several in one process on the hollow runtime.
import { mkdir, readFile } from "node:fs/promises";
import Dockerode from "dockerode";
import { ApiClient } from "./api-client";
import type { AgentConfig } from "./config";
import { credentialPath, obtainCredential } from "./join";
import { CredentialRotation } from "./node/credential-rotation";
import { EventRecorder } from "./kubelet/events";
import { PodManager } from "./kubelet/pod-manager";
import { LeaseRenewer } from "./node/lease";
import { AGENT_VERSION, NodeStatusReporter } from "./node/node-status";
import { PodNetwork } from "./network/pod-network";
import { ServiceCatalog } from "./network/service-catalog";
import { IngressController } from "./ingress/ingress-controller";
import { DockerRuntime } from "./runtime/docker";
import type { PodRuntime } from "./runtime/types";
import { startTunnel, type Tunnel } from "./tunnel/client";

export const REGISTER_RETRY_MS = 5_000;

export interface AgentOptions {
  config: AgentConfig;
  /** The runtime pods run on. Default: Docker at config.dockerSocket. */
  runtime?: PodRuntime;
  /**
   * Whether to open the tunnel for logs, exec, attach and port-forward (default true). A fleet of
   * hollow nodes in a scale benchmark may go without: a WebSocket per node is not what it measures.
   */
  tunnel?: boolean;
  /** The machine's filesystem for hostPath and local volumes: "/" unless a hollow node's is a directory. */
  hostRoot?: string;
  log(message: string): void;
}

export interface RunningAgent {
  readonly nodeName: string;
  /** Stops the agent, never its containers: the next start adopts them. */
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { config, log } = options;
  const ca = config.caFile ? await readFile(config.caFile, "utf8") : undefined;
  await mkdir(config.dataDir, { recursive: true });
  log(`edgeplane node agent ${AGENT_VERSION} starting as node ${config.nodeName}`);
  const { credential, renewable } = await obtainCredential(config, ca, log);
  const api = new ApiClient({ server: config.server, token: credential.token, ca });
  const rotation = renewable ? new CredentialRotation(credential, api, credentialPath(config), log) : undefined;
  const docker = options.runtime ? undefined : new Dockerode(config.dockerSocket ? { socketPath: config.dockerSocket } : undefined);

  let network: PodNetwork | undefined;
  if (config.network.enabled) {
    try {
      const started = new PodNetwork(api, config.network, config.nodeName, config.dataDir, log);
      await started.start();
      network = started;
      log(`pod network: cluster ${config.network.clusterCIDR}, services ${config.network.serviceCIDR}, DNS ${config.network.clusterDNS}`);
    } catch (error) {
      // Not root, or no nft/ip: pods still run, on a plain Docker bridge.
      log(`pod network unavailable (${error instanceof Error ? error.message : String(error)}): pods run on a plain Docker bridge, with no Services or cluster DNS on this node; run the agent as root with nftables and iproute2 installed`);
    }
  } else {
    log("pod network: off (pods on a plain Docker bridge; no Services or cluster DNS on this node)");
  }
  const runtime = options.runtime ?? new DockerRuntime(docker!, config.nodeName, network ? config.network.bridge : undefined);
  const node = new NodeStatusReporter(api, runtime, config, log, network?.nodeAnnotations() ?? {});
  for (;;) {
    try {
      await node.register();
      break;
    } catch (error) {
      log(`registering node ${config.nodeName}: ${error instanceof Error ? error.message : String(error)}; retrying`);
      await new Promise((r) => setTimeout(r, REGISTER_RETRY_MS));
    }
  }
  log(`node ${config.nodeName} registered (Ready=${node.runtimeState.ok})`);
  node.start();
  const lease = new LeaseRenewer(api, config.nodeName, () => node.uid, log, config.nodeLeaseDurationSeconds);
  lease.start();
  const pods = new PodManager({
    network,
    api,
    runtime,
    events: new EventRecorder(api, config.nodeName, log),
    nodeName: config.nodeName,
    dataDir: config.dataDir,
    hostRoot: options.hostRoot,
    hostIP: () => node.hostIP,
    podCIDR: () => node.podCIDR,
    log,
  });
  pods.start();
  let ingress: IngressController | undefined;
  if (config.ingress.enabled) {
    // Without the pod network there is no Service catalog yet: the ingress keeps its own.
    const catalog = network?.catalog ?? new ServiceCatalog(api, log);
    if (!network) catalog.start();
    const started = new IngressController(api, catalog, config.ingress, config.dataDir, log);
    if (await started.start()) ingress = started;
  } else {
    log("ingress: off");
  }
  const tunnel: Tunnel | undefined = options.tunnel === false ? undefined : startTunnel({ server: config.server, token: () => rotation?.token ?? credential.token, ca, nodeName: config.nodeName, runtime, log });
  // After the registration: a bound credential is the one worth renewing to its full life.
  rotation?.start();

  return {
    nodeName: config.nodeName,
    async stop() {
      rotation?.stop();
      pods.stop();
      network?.stop();
      lease.stop();
      node.stop();
      await Promise.all([tunnel?.stop(), ingress?.stop()]);
    },
  };
}
