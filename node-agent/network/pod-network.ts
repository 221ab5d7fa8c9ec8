// The node's share of the cluster network, in one place for the rest of the agent: the host
// setup, the Service proxy, cluster DNS, routes to other nodes, and each pod's resolv.conf.
import { readFile } from "node:fs/promises";
import type { ApiClient } from "../api-client";
import type { NetworkConfig } from "../config";
import { ClusterZone } from "./dns/zone";
import { DnsServer } from "./dns/server";
import { Forwarder, systemNameservers } from "./dns/forwarder";
import { enableHairpin, setUpHost } from "./host";
import { NodeRoutes } from "./node-routes";
import { podResolvConf, type PodDns } from "./resolv-conf";
import { ServiceCatalog } from "./service-catalog";
import { ServiceProxy } from "./service-proxy";
import { access } from "node:fs/promises";
import { attachPod, hostVethName, PodAddresses } from "./pod-interfaces";
import { ANNOTATION_BACKEND, ANNOTATION_ENDPOINT, ANNOTATION_PORT, ANNOTATION_PUBLIC_KEY, ANNOTATION_WIREGUARD_IMPLEMENTATION, keyFile, loadOrCreateKeys, WireGuardDevice, type WireGuardKeys } from "./wireguard";

export const DNS_BIND_RETRY_MS = 2_000;

export class NetworkNotReadyError extends Error {}

export class PodNetwork {
  readonly catalog: ServiceCatalog;
  readonly proxy: ServiceProxy;
  readonly zone: ClusterZone;
  readonly dns: DnsServer;
  private readonly routes: NodeRoutes;
  private readonly forwarder: Forwarder;
  private readonly wireguard: WireGuardDevice | undefined;
  private wireguardKeys: WireGuardKeys | undefined;
  private cidr: string | undefined;
  private cidrWaiters: ((cidr: string) => void)[] = [];
  private hostResolvConf = "";
  private upstreams: string[] = [];
  private stopped = false;

  constructor(
    api: ApiClient,
    readonly config: NetworkConfig,
    nodeName: string,
    private readonly dataDir: string,
    private readonly log: (message: string) => void,
  ) {
    this.catalog = new ServiceCatalog(api, log);
    this.proxy = new ServiceProxy({ catalog: this.catalog, nodeName, clusterCIDR: config.clusterCIDR, bridge: config.bridge, clusterDNS: config.clusterDNS, log });
    this.zone = new ClusterZone(config.clusterDomain);
    this.forwarder = new Forwarder(() => this.upstreams);
    this.dns = new DnsServer({ zone: this.zone, forwarder: this.forwarder, address: config.clusterDNS, log });
    this.wireguard = config.backend === "wireguard" ? new WireGuardDevice(config.wireguardDevice, config.wireguardPort, keyFile(dataDir)) : undefined;
    this.routes = new NodeRoutes(api, nodeName, log, this.wireguard);
    this.catalog.onChange(() => this.zone.rebuild(this.catalog.services.values(), (ns, name) => this.catalog.slicesOf(ns, name)));
    this.routes.onSelf = (node) => {
      const cidr = node.spec?.podCIDR;
      if (!cidr || cidr === this.cidr) return;
      this.cidr = cidr;
      this.log(`pod network: this node's block is ${cidr}`);
      this.proxy.setPodCIDR(cidr);
      this.wireguard?.setPodCIDR(cidr).catch((error) => this.log(`wireguard address: ${String(error)}`));
      for (const waiter of this.cidrWaiters.splice(0)) waiter(cidr);
    };
  }

  async start(): Promise<void> {
    this.hostResolvConf = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
    this.upstreams = this.config.upstreamDNS ?? (await systemNameservers(new Set([this.config.clusterDNS])));
    await setUpHost(this.config, this.log);
    if (this.wireguard) {
      this.wireguardKeys = await loadOrCreateKeys(this.dataDir);
      await this.wireguard.up();
      this.log(`pod network: WireGuard overlay on ${this.wireguard.device} (${this.wireguard.implementation}), port ${this.wireguard.port}`);
    } else {
      // Back to host-gw after a WireGuard run: the device and its peers go.
      await WireGuardDevice.remove(this.config.wireguardDevice);
    }
    this.catalog.start();
    this.routes.start();
    void this.startDns();
  }

  private async startDns(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.dns.start();
        this.log(`cluster DNS serving on ${this.config.clusterDNS}:53 (upstream ${this.upstreams.join(", ") || "none"})`);
        return;
      } catch (error) {
        this.log(`cluster DNS on ${this.config.clusterDNS}:53: ${error instanceof Error ? error.message : String(error)}; retrying`);
        await new Promise((r) => setTimeout(r, DNS_BIND_RETRY_MS));
      }
    }
  }

  /** This node's pod block, once the control plane has assigned it. */
  podCIDR(timeoutMs: number): Promise<string> {
    if (this.cidr) return Promise.resolve(this.cidr);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.cidrWaiters = this.cidrWaiters.filter((w) => w !== done);
        reject(new NetworkNotReadyError("network is not ready: the node has no podCIDR yet"));
      }, timeoutMs);
      const done = (cidr: string) => {
        clearTimeout(timer);
        resolve(cidr);
      };
      this.cidrWaiters.push(done);
    });
  }

  /** What the Node object says about this node's network, for the other nodes to route to it. */
  nodeAnnotations(): Record<string, string | null> {
    // null (merge patch: delete) clears what an earlier WireGuard run of this node announced.
    if (!this.wireguard || !this.wireguardKeys) {
      return { [ANNOTATION_BACKEND]: "host-gw", [ANNOTATION_PUBLIC_KEY]: null, [ANNOTATION_PORT]: null, [ANNOTATION_ENDPOINT]: null, [ANNOTATION_WIREGUARD_IMPLEMENTATION]: null };
    }
    return {
      [ANNOTATION_BACKEND]: "wireguard",
      [ANNOTATION_PUBLIC_KEY]: this.wireguardKeys.publicKey,
      [ANNOTATION_PORT]: String(this.wireguard.port),
      [ANNOTATION_WIREGUARD_IMPLEMENTATION]: this.wireguard.implementation,
      [ANNOTATION_ENDPOINT]: this.config.wireguardEndpoint ?? null,
    };
  }

  resolvConf(pod: PodDns): string {
    return podResolvConf(pod, this.config, this.hostResolvConf);
  }

  private addresses: PodAddresses | undefined;

  /** An address of this node's block for a new sandbox (see pod-interfaces.ts). */
  async allocateAddress(inUse: () => Promise<string[]>): Promise<string> {
    const cidr = await this.podCIDR(0).catch(() => undefined);
    if (!cidr) throw new NetworkNotReadyError("network is not ready: the node has no podCIDR yet");
    if (this.addresses?.cidr !== cidr) this.addresses = new PodAddresses(cidr, inUse);
    return this.addresses.allocate();
  }

  /** Gives a started sandbox its veth on the bridge and its address. */
  async attach(pid: number, ip: string, sandboxId: string, again = false): Promise<void> {
    if (!this.cidr) throw new NetworkNotReadyError("network is not ready: the node has no podCIDR yet");
    await attachPod({ pid, ip, cidr: this.cidr, bridge: this.config.bridge, sandboxId, again });
  }

  /** Whether the sandbox's veth is there (a restarted agent may find one started but never wired). */
  async attached(sandboxId: string): Promise<boolean> {
    return access(`/sys/class/net/${hostVethName(sandboxId)}`).then(
      () => true,
      () => false,
    );
  }

  /** A new pod port on the bridge: let it reach itself through its Services. */
  sandboxStarted(): Promise<void> {
    return enableHairpin(this.config.bridge);
  }

  stop(): void {
    this.stopped = true;
    this.catalog.stop();
    this.routes.stop();
    this.proxy.stop();
    this.dns.stop();
    this.forwarder.close();
  }
}
