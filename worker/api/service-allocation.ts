// ClusterIP and NodePort allocation at admission, as kube-apiserver's service REST storage
// does: `kubectl expose` answers with the address already assigned. Each value is reserved by
// compare-and-swap before the Service is written (service-reservations.ts), and freed once a write
// settles without it (releaseServiceAddresses). A taken request is a 422 naming the field.
import type { KubeObject } from "../resources/types";
import type { Store } from "../store/types";
import type { WriteContext } from "./write/context";
import { NODE_PORT_RANGE, SERVICE_CIDR } from "../../shared/cluster-network";
import { inCidr, intToIp, ipToInt, parseCidr } from "../../shared/ipv4";
import { internalError, invalid, type StatusCause } from "../../shared/status-error";
import {
  canonicalIp,
  claim,
  claimable,
  ensureBackfilled,
  holdingsOf,
  ownerOf,
  release,
  reservedValues,
  staleCandidates,
  systemIp,
  type Holdings,
  type Owner,
  type ReservationKind,
} from "./service-reservations";

const SERVICE_RANGE = parseCidr(SERVICE_CIDR);
const SERVICE_REF = { group: "", resource: "services", kind: "Service" };
const NODE_PORT_SPAN = NODE_PORT_RANGE.max - NODE_PORT_RANGE.min + 1;
/** Values tried one by one before the reserved ones are listed. */
const PROBES_BEFORE_LIST = 4;

interface ServicePort {
  port?: number;
  nodePort?: number;
  protocol?: string;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
}

function randomInt(span: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % span;
}

function setOf(holdings: Holdings, kind: ReservationKind): Set<string> {
  return kind === "serviceipaddresses" ? holdings.ips : holdings.nodePorts;
}

/** One admission's reservations: what the stored Service already holds is its own; anything else is claimed. */
class Reservations {
  private readonly claimed: [ReservationKind, string][] = [];
  private backfill?: Promise<void>;

  constructor(
    private readonly ctx: WriteContext,
    private readonly owner: Owner,
    /** Values the Service holds, plus those claimed so far. */
    private readonly mine: Holdings,
  ) {}

  /** Reserves `value` for this Service; false when another Service (or a write in flight) has it. */
  async request(kind: ReservationKind, value: string): Promise<boolean> {
    if (setOf(this.mine, kind).has(value)) return true;
    const { store, now } = this.ctx;
    if (this.ctx.dryRun) {
      // A dry run writes nothing: it asks whether the claim would succeed.
      if (!(await claimable(store, kind, value, now))) return false;
    } else {
      await (this.backfill ??= ensureBackfilled(store, now));
      if (!(await claim(store, kind, value, this.owner, now))) return false;
      this.claimed.push([kind, value]);
    }
    setOf(this.mine, kind).add(value);
    return true;
  }

  /**
   * A free value, scanning from a random point as upstream's allocator does (a lost claim means a
   * concurrent create took it: go on), then, with the range full, rows whose Service no longer
   * holds them. Undefined when every value is taken.
   */
  async allocate(kind: ReservationKind, size: number, valueAt: (i: number) => string, excluded: (v: string) => boolean): Promise<string | undefined> {
    const start = randomInt(size);
    let reserved: Set<string> | undefined;
    for (let i = 0; i < size; i++) {
      const value = valueAt((start + i) % size);
      if (excluded(value) || setOf(this.mine, kind).has(value)) continue;
      // A sparse range lands within a probe or two; past a few taken values, one list says which to skip.
      if (i >= PROBES_BEFORE_LIST) reserved ??= await reservedValues(this.ctx.store, kind);
      if (reserved?.has(value)) continue;
      if (await this.request(kind, value)) return value;
    }
    for (const value of await staleCandidates(this.ctx.store, kind, this.ctx.now)) {
      if (!excluded(value) && !setOf(this.mine, kind).has(value) && (await this.request(kind, value))) return value;
    }
    return undefined;
  }

  /** Frees what this admission claimed: its write will not happen. */
  async rollback(): Promise<void> {
    await Promise.all(this.claimed.map(([kind, value]) => release(this.ctx.store, kind, value, this.owner.uid)));
  }
}

/** The n-th allocatable ClusterIP: the range without its network and broadcast addresses. */
function serviceIpAt(n: number): string {
  return intToIp((SERVICE_RANGE.base + 1 + n) >>> 0);
}

/**
 * Fills spec.clusterIP(s) and missing nodePorts, reserving every value the Service will hold that
 * `old` (the stored Service, on an update) does not; throws 422 for taken or out-of-range requests.
 */
export async function allocateServiceAddresses(ctx: WriteContext, svc: KubeObject, old: KubeObject | null): Promise<void> {
  const spec = (svc.spec ?? {}) as ServiceSpec;
  svc.spec = spec;
  const type = spec.type ?? "ClusterIP";
  const needsIp = type !== "ExternalName" && spec.clusterIP !== "None";
  const needsPorts = (type === "NodePort" || type === "LoadBalancer") && (spec.ports ?? []).some((p) => !p.nodePort);
  const requestedIp = needsIp && spec.clusterIP;
  const requestedPorts = (spec.ports ?? []).some((p) => p.nodePort);
  if (!needsIp && !needsPorts && !requestedPorts) {
    if (spec.clusterIP === "None") spec.clusterIPs = ["None"];
    return;
  }
  const owner = ownerOf(svc);
  const reservations = new Reservations(ctx, owner, holdingsOf(old && old.metadata.uid === owner.uid ? old : null));
  try {
    const causes: StatusCause[] = [];
    if (needsIp) {
      if (requestedIp) {
        const n = ipToInt(requestedIp);
        const ip = canonicalIp(requestedIp);
        if (n === undefined || !ip || !inCidr(n, SERVICE_RANGE)) {
          causes.push({ reason: "FieldValueInvalid", field: "spec.clusterIPs", message: `Invalid value: ["${requestedIp}"]: failed to allocate IP ${requestedIp}: the provided IP (${requestedIp}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}` });
        } else if (systemIp(ip, owner) === "other" || (!systemIp(ip) && !(await reservations.request("serviceipaddresses", ip)))) {
          causes.push({ reason: "FieldValueInvalid", field: "spec.clusterIPs", message: `Invalid value: ["${requestedIp}"]: failed to allocate IP ${requestedIp}: provided IP is already allocated` });
        }
        spec.clusterIPs = [requestedIp];
      } else {
        const ip = await reservations.allocate("serviceipaddresses", SERVICE_RANGE.size - 2, serviceIpAt, (v) => systemIp(v) !== undefined);
        if (!ip) throw internalError("failed to allocate a serviceIP: range is full");
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
    } else if (spec.clusterIP === "None") {
      spec.clusterIPs = ["None"];
    }

    for (const [i, port] of (spec.ports ?? []).entries()) {
      if (port.nodePort) {
        if (!(await reservations.request("servicenodeports", String(port.nodePort)))) {
          causes.push({ reason: "FieldValueInvalid", field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${port.nodePort}: provided port is already allocated` });
        }
        continue;
      }
      if (type !== "NodePort" && type !== "LoadBalancer") continue;
      const nodePort = await reservations.allocate("servicenodeports", NODE_PORT_SPAN, (k) => String(NODE_PORT_RANGE.min + k), () => false);
      if (!nodePort) throw internalError("failed to allocate a nodePort: range is full");
      port.nodePort = Number(nodePort);
    }
    if (causes.length > 0) throw invalid(SERVICE_REF, svc.metadata.name ?? "", causes);
  } catch (e) {
    // The Service will not be written: its claims go back (a failed release is reclaimed once stale).
    await reservations.rollback().catch(() => undefined);
    throw e;
  }
}

/**
 * After a Service write settled: frees the values `dropped` held that `kept` does not. `kept` is
 * what the store now holds (null once deleted, or when a create failed); `dropped` is the state
 * the write left behind, or the one it failed to store.
 */
export async function releaseServiceAddresses(store: Store, kept: KubeObject | null, dropped: KubeObject | null, writeStartedAt?: number): Promise<void> {
  if (!dropped) return;
  const uid = dropped.metadata.uid ?? "";
  const keep = holdingsOf(kept && kept.metadata.uid === uid ? kept : null);
  const gone = holdingsOf(dropped);
  await Promise.all([
    ...[...gone.ips].filter((ip) => !keep.ips.has(ip) && !systemIp(ip)).map((ip) => release(store, "serviceipaddresses", ip, uid, writeStartedAt)),
    ...[...gone.nodePorts].filter((p) => !keep.nodePorts.has(p)).map((p) => release(store, "servicenodeports", p, uid, writeStartedAt)),
  ]);
}
