// The Services and EndpointSlices of the whole cluster, as kube-proxy and CoreDNS watch them: two
// informers into one in-memory catalog. Changes are coalesced into one callback, so a rollout that
// touches twenty slices programs the kernel and rebuilds the DNS zone once, not twenty times.
import type { ApiClient, Informer } from "../api-client";

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface Service {
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePort[];
    externalName?: string;
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    internalTrafficPolicy?: string;
    externalTrafficPolicy?: string;
    externalIPs?: string[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface Endpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface EndpointSlice {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; resourceVersion?: string };
  addressType?: string;
  endpoints?: Endpoint[] | null;
  ports?: { name?: string; protocol?: string; port?: number }[] | null;
}

/** The label that ties a slice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** How long a burst of changes may gather before one callback (well inside the 1 s budget). */
export const COALESCE_MS = 20;

function keyOf(o: { metadata: { namespace: string; name: string } }): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

export class ServiceCatalog {
  readonly services = new Map<string, Service>();
  /** Slices by `namespace/serviceName`, each map keyed by slice name. */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private readonly synced = { services: false, slices: false };
  private informers: Informer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly api: ApiClient,
    private readonly log: (message: string) => void,
  ) {}

  /** Called (coalesced) after every change once both lists have arrived. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  get ready(): boolean {
    return this.synced.services && this.synced.slices;
  }

  /** The slices of one Service (empty when it has none). */
  slicesOf(namespace: string, service: string): EndpointSlice[] {
    return [...(this.slices.get(`${namespace}/${service}`)?.values() ?? [])];
  }

  start(): void {
    this.informers.push(
      this.api.informer<Service>("/api/v1/services", {}, {
        replace: (items) => {
          this.services.clear();
          for (const s of items) this.services.set(keyOf(s), s);
          this.synced.services = true;
          this.changed();
        },
        event: (type, s) => {
          if (type === "DELETED") this.services.delete(keyOf(s));
          else this.services.set(keyOf(s), s);
          this.changed();
        },
        error: (error) => this.log(`watch of services: ${error instanceof Error ? error.message : String(error)}`),
      }),
      this.api.informer<EndpointSlice>("/apis/discovery.k8s.io/v1/endpointslices", {}, {
        replace: (items) => {
          this.slices.clear();
          for (const s of items) this.putSlice(s);
          this.synced.slices = true;
          this.changed();
        },
        event: (type, s) => {
          if (type === "DELETED") this.slices.get(this.serviceKeyOf(s))?.delete(s.metadata.name);
          else this.putSlice(s);
          this.changed();
        },
        error: (error) => this.log(`watch of endpointslices: ${error instanceof Error ? error.message : String(error)}`),
      }),
    );
  }

  stop(): void {
    for (const informer of this.informers) informer.stop();
    this.informers = [];
    if (this.timer) clearTimeout(this.timer);
  }

  private serviceKeyOf(slice: EndpointSlice): string {
    return `${slice.metadata.namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ""}`;
  }

  private putSlice(slice: EndpointSlice): void {
    if (!slice.metadata.labels?.[SERVICE_NAME_LABEL]) return;
    const key = this.serviceKeyOf(slice);
    let forService = this.slices.get(key);
    if (!forService) this.slices.set(key, (forService = new Map()));
    forService.set(slice.metadata.name, slice);
  }

  private changed(): void {
    if (!this.ready || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const listener of this.listeners) {
        try {
          listener();
        } catch (error) {
          this.log(`service catalog listener: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
      }
    }, COALESCE_MS);
  }
}
