// Routes to the other nodes' pod blocks, so pods reach each other by pod IP with no NAT. Two ways
// across, chosen per pair of nodes: host-gateway (flannel's host-gw: a route through the other
// node's address, for nodes on one layer-2 network) and a WireGuard overlay (when both nodes run
// it: the block goes to the WireGuard device, whose peer for it is that node). Routes carry the
// agent's own protocol number; any it no longer wants (a node gone) are removed.
import type { ApiClient, Informer } from "../api-client";
import { runCommand } from "./commands";
import { ROUTE_PROTOCOL } from "./host";
import { ANNOTATION_BACKEND, ANNOTATION_ENDPOINT, ANNOTATION_PORT, ANNOTATION_PUBLIC_KEY, DEFAULT_WIREGUARD_PORT, WIREGUARD_ENDPOINT, type WireGuardDevice, type WireGuardPeer } from "./wireguard";

export interface NodeInfo {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { podCIDR?: string };
  status?: { addresses?: { type: string; address: string }[] };
}

/** What the kernel route looks like: `via <address>` or `dev <device>`. */
export type RouteTarget = string;

export interface RoutePlan {
  routes: Map<string, RouteTarget>;
  peers: WireGuardPeer[];
}

function internalIP(node: NodeInfo): string | undefined {
  return node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
}

const PUBLIC_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/**
 * The peer a WireGuard node is to us, or undefined when it does not run the overlay or its
 * annotations are malformed: one bad value must not fail the `wg set` that carries every peer.
 */
function wireGuardPeer(node: NodeInfo, cidr: string): WireGuardPeer | undefined {
  const a = node.metadata.annotations ?? {};
  const publicKey = a[ANNOTATION_PUBLIC_KEY];
  if (a[ANNOTATION_BACKEND] !== "wireguard" || !publicKey || !PUBLIC_KEY.test(publicKey)) return undefined;
  const address = internalIP(node);
  const endpoint = a[ANNOTATION_ENDPOINT] || (address ? `${address}:${Number(a[ANNOTATION_PORT]) || DEFAULT_WIREGUARD_PORT}` : undefined);
  if (endpoint !== undefined && !WIREGUARD_ENDPOINT.test(endpoint)) return undefined;
  return { publicKey, endpoint, allowedIPs: cidr };
}

/**
 * Other nodes' blocks → how to reach them, and the WireGuard peers that takes. With `wireguard`
 * (this node's device), a node that also runs the overlay goes through it; any other node
 * through its InternalIP.
 */
export function wantedRoutes(nodes: Iterable<NodeInfo>, self: string, wireguard?: string): RoutePlan {
  const routes = new Map<string, RouteTarget>();
  const peers: WireGuardPeer[] = [];
  const candidates = [...nodes].filter((n) => n.metadata.name !== self && n.spec?.podCIDR);
  // A key claimed by two nodes (a copied data directory, or a node lying) belongs to neither.
  const claims = new Map<string, number>();
  for (const n of candidates) {
    const key = n.metadata.annotations?.[ANNOTATION_PUBLIC_KEY];
    if (key) claims.set(key, (claims.get(key) ?? 0) + 1);
  }
  for (const node of candidates) {
    const cidr = node.spec!.podCIDR!;
    const peer = wireguard ? wireGuardPeer(node, cidr) : undefined;
    if (peer && claims.get(peer.publicKey) === 1) {
      peers.push(peer);
      routes.set(cidr, `dev ${wireguard}`);
      continue;
    }
    const address = internalIP(node);
    if (address) routes.set(cidr, `via ${address}`);
  }
  return { routes, peers };
}

/** `ip -o route show proto …` → block → target. */
export function parseRoutes(out: string): Map<string, RouteTarget> {
  const routes = new Map<string, RouteTarget>();
  for (const line of out.split("\n")) {
    const m = /^(\S+) (?:.*?)(via \S+|dev \S+)/.exec(line.trim());
    if (m) routes.set(m[1]!, m[2]!);
  }
  return routes;
}

export class NodeRoutes {
  private readonly nodes = new Map<string, NodeInfo>();
  private informer: Informer | undefined;
  private running = false;
  private again = false;
  /** Called with this node's own object whenever it changes (its podCIDR is assigned here). */
  onSelf: (node: NodeInfo) => void = () => undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly nodeName: string,
    private readonly log: (message: string) => void,
    /** This node's overlay device, when it runs the WireGuard backend. */
    private readonly wireguard?: WireGuardDevice,
  ) {}

  start(): void {
    this.informer = this.api.informer<NodeInfo>("/api/v1/nodes", {}, {
      replace: (items) => {
        this.nodes.clear();
        for (const n of items) this.nodes.set(n.metadata.name, n);
        this.changed(true);
      },
      event: (type, n) => {
        if (type === "DELETED") {
          this.nodes.delete(n.metadata.name);
          this.seen.delete(n.metadata.name);
        }
        else this.nodes.set(n.metadata.name, n);
        this.changed(n.metadata.name === this.nodeName || type !== "MODIFIED" || this.routeChanged(n));
      },
      error: (error) => this.log(`watch of nodes: ${error instanceof Error ? error.message : String(error)}`),
    });
  }

  stop(): void {
    this.informer?.stop();
  }

  /** What routing to a node depends on; status heartbeats and other changes leave it alone. */
  private readonly seen = new Map<string, string>();

  private routeChanged(n: NodeInfo): boolean {
    const a = n.metadata.annotations ?? {};
    const signature = [n.spec?.podCIDR, internalIP(n), a[ANNOTATION_BACKEND], a[ANNOTATION_PUBLIC_KEY], a[ANNOTATION_PORT], a[ANNOTATION_ENDPOINT]].join("|");
    if (this.seen.get(n.metadata.name) === signature) return false;
    this.seen.set(n.metadata.name, signature);
    return true;
  }

  private changed(relevant: boolean): void {
    const self = this.nodes.get(this.nodeName);
    if (self) this.onSelf(self);
    if (relevant) void this.sync();
  }

  private async sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      const { routes, peers } = wantedRoutes(this.nodes.values(), this.nodeName, this.wireguard?.device);
      // Peers before routes: a block routed into the device must already have its peer.
      if (this.wireguard) await this.wireguard.syncPeers(peers).catch((e) => this.log(`wireguard peers: ${String(e)}`));
      const present = parseRoutes(await runCommand("ip", ["-o", "route", "show", "proto", ROUTE_PROTOCOL]).catch(() => ""));
      for (const [cidr, target] of routes) {
        if (present.get(cidr) === target) continue;
        await runCommand("ip", ["route", "replace", cidr, ...target.split(" "), "proto", ROUTE_PROTOCOL]).catch((e) => this.log(`route ${cidr} ${target}: ${String(e)}`));
      }
      for (const cidr of present.keys()) {
        if (!routes.has(cidr)) await runCommand("ip", ["route", "del", cidr, "proto", ROUTE_PROTOCOL]).catch(() => undefined);
      }
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        void this.sync();
      }
    }
  }
}
