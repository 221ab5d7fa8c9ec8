// The node's heartbeat: Lease kube-node-lease/<node>, created on start and renewed every quarter
// of its duration (kubelet's renewInterval), give or take kubelet's 4 % jitter, with a PUT that changes only spec.renewTime (the Worker absorbs those without a
// SQL write). On 409 the Lease is read again; on 404 it is created again.
import { microTime } from "../../shared/time";
import { isConflict, isNotFound, type ApiClient } from "../api-client";

/** kubelet's default nodeLeaseDurationSeconds: renewed every 10 s. */
export const LEASE_DURATION_SECONDS = 40;
const RENEW_FRACTION = 0.25;
const RENEW_JITTER = 0.04;

/** The wait before the next renewal: a quarter of the duration, up to 4 % more (wait.JitterUntil). */
export function renewIntervalMs(durationSeconds: number, random = Math.random()): number {
  return durationSeconds * 1000 * RENEW_FRACTION * (1 + RENEW_JITTER * random);
}
const NAMESPACE = "kube-node-lease";

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; ownerReferences?: unknown[] };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}


export class LeaseRenewer {
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly api: ApiClient,
    private readonly nodeName: string,
    private readonly nodeUid: () => string | undefined,
    private readonly log: (message: string) => void,
    private readonly durationSeconds = LEASE_DURATION_SECONDS,
  ) {}

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${this.nodeName}`;
  }

  private fresh(): Lease {
    const uid = this.nodeUid();
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.nodeName,
        namespace: NAMESPACE,
        ...(uid ? { ownerReferences: [{ apiVersion: "v1", kind: "Node", name: this.nodeName, uid }] } : {}),
      },
      spec: { holderIdentity: this.nodeName, leaseDurationSeconds: this.durationSeconds, renewTime: microTime() },
    };
  }

  async renew(retry = true): Promise<void> {
    if (!this.lease) {
      try {
        this.lease = await this.api.get<Lease>(this.path);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        this.lease = await this.api.create<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`, this.fresh());
        return;
      }
    }
    const next: Lease = {
      ...this.lease,
      spec: { ...this.lease.spec, holderIdentity: this.nodeName, leaseDurationSeconds: this.durationSeconds, renewTime: microTime() },
    };
    try {
      this.lease = await this.api.update<Lease>(this.path, next);
    } catch (error) {
      this.lease = undefined;
      if (retry && (isConflict(error) || isNotFound(error))) return this.renew(false);
      throw error;
    }
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.renew();
      } catch (error) {
        this.log(`lease: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), renewIntervalMs(this.durationSeconds));
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
