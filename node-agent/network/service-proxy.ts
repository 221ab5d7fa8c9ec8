// Applies the proxy plan to the kernel: the whole table once (after the first full list, so a
// restarted agent never programs a half-known cluster), then only the difference per change. A
// failed apply is retried with the whole table. Rules stay in the kernel while the agent is down.
import { nft } from "./commands";
import { diffScript, fullScript, type TableParams } from "./nft-script";
import { planProxy, type ProxyPlan } from "./proxy-plan";
import type { ServiceCatalog } from "./service-catalog";
import { deleteUdpFlows, staleUdpFlows } from "./udp-conntrack";

export const PROXY_RETRY_MS = 1_000;

export interface ProxyOptions {
  catalog: ServiceCatalog;
  nodeName: string;
  clusterCIDR: string;
  bridge: string;
  clusterDNS: string;
  log: (message: string) => void;
  /** Stands in for `nft -f -` in tests. */
  apply?: (script: string) => Promise<unknown>;
}

export class ServiceProxy {
  private applied: ProxyPlan | undefined;
  private podCIDR: string | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly apply: (script: string) => Promise<unknown>;

  constructor(private readonly options: ProxyOptions) {
    this.apply = options.apply ?? nft;
    options.catalog.onChange(() => this.sync());
  }

  /** The node's block is known (or changed): the masquerade rule names it. */
  setPodCIDR(podCIDR: string): void {
    if (this.podCIDR === podCIDR) return;
    this.podCIDR = podCIDR;
    this.applied = undefined;
    this.sync();
  }

  sync(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.syncOnce().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.sync();
      }
    });
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
  }

  private async syncOnce(): Promise<void> {
    const { catalog } = this.options;
    if (!catalog.ready || !this.podCIDR) return;
    const next = planProxy({
      services: catalog.services.values(),
      slicesOf: (ns, name) => catalog.slicesOf(ns, name),
      nodeName: this.options.nodeName,
      servedLocally: new Set([this.options.clusterDNS]),
    });
    const params: TableParams = { clusterCIDR: this.options.clusterCIDR, podCIDR: this.podCIDR, bridge: this.options.bridge };
    const script = this.applied ? diffScript(this.applied, next) : fullScript(next, params);
    if (!script) return;
    try {
      await this.apply(script);
      const previous = this.applied;
      this.applied = next;
      // After the rules: a deleted entry's next packet must meet the new ones.
      if (previous && !this.options.apply) await deleteUdpFlows(staleUdpFlows(previous, next), this.options.log);
    } catch (error) {
      this.options.log(`service proxy: ${error instanceof Error ? error.message : String(error)}; rewriting the whole table in ${PROXY_RETRY_MS} ms`);
      this.applied = undefined;
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        this.sync();
      }, PROXY_RETRY_MS);
    }
  }
}
