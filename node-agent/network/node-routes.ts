// Host-gateway routing (flannel's host-gw): a route to every other node's pod block through that
// node's address, so pods reach each other by pod IP with no NAT and no tunnel. Routes carry the
// agent's own protocol number; any it no longer wants (a node gone) are removed.
import type { ApiClient, Informer } from "../api-client";
import { runCommand } from "./commands";
import { ROUTE_PROTOCOL } from "./host";

export interface NodeInfo {
  metadata: { name: string; resourceVersion?: string };
  spec?: { podCIDR?: string };
  status?: { addresses?: { type: string; address: string }[] };
}

/** Other nodes' blocks → their InternalIP: the routes this node should hold. */
export function wantedRoutes(nodes: Iterable<NodeInfo>, self: string): Map<string, string> {
  const routes = new Map<string, string>();
  for (const node of nodes) {
    if (node.metadata.name === self || !node.spec?.podCIDR) continue;
    const address = node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    if (address) routes.set(node.spec.podCIDR, address);
  }
  return routes;
}

export class NodeRoutes {
  private readonly nodes = new Map<string, NodeInfo>();
  private informer: Informer | undefined;
  private installed = new Map<string, string>();
  private running = false;
  private again = false;
  /** Called with this node's own object whenever it changes (its podCIDR is assigned here). */
  onSelf: (node: NodeInfo) => void = () => undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly nodeName: string,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    this.informer = this.api.informer<NodeInfo>("/api/v1/nodes", {}, {
      replace: (items) => {
        this.nodes.clear();
        for (const n of items) this.nodes.set(n.metadata.name, n);
        this.changed(true);
      },
      event: (type, n) => {
        if (type === "DELETED") this.nodes.delete(n.metadata.name);
        else this.nodes.set(n.metadata.name, n);
        this.changed(n.metadata.name === this.nodeName || type !== "MODIFIED" || this.routeChanged(n));
      },
      error: (error) => this.log(`watch of nodes: ${error instanceof Error ? error.message : String(error)}`),
    });
  }

  stop(): void {
    this.informer?.stop();
  }

  private routeChanged(n: NodeInfo): boolean {
    const address = n.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    return !n.spec?.podCIDR || this.installed.get(n.spec.podCIDR) !== address;
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
      const wanted = wantedRoutes(this.nodes.values(), this.nodeName);
      const present = await this.present();
      for (const [cidr, via] of wanted) {
        if (present.get(cidr) === via) continue;
        await runCommand("ip", ["route", "replace", cidr, "via", via, "proto", ROUTE_PROTOCOL]).catch((e) => this.log(`route ${cidr} via ${via}: ${String(e)}`));
      }
      for (const cidr of present.keys()) {
        if (!wanted.has(cidr)) await runCommand("ip", ["route", "del", cidr, "proto", ROUTE_PROTOCOL]).catch(() => undefined);
      }
      this.installed = wanted;
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        void this.sync();
      }
    }
  }

  private async present(): Promise<Map<string, string>> {
    const out = await runCommand("ip", ["-o", "route", "show", "proto", ROUTE_PROTOCOL]).catch(() => "");
    const routes = new Map<string, string>();
    for (const line of out.split("\n")) {
      const m = /^(\S+) via (\S+)/.exec(line.trim());
      if (m) routes.set(m[1]!, m[2]!);
    }
    return routes;
  }
}
