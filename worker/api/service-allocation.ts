// ClusterIP and NodePort allocation at admission, as kube-apiserver's service REST storage
// does: `kubectl expose` answers with the address already assigned. Requested values are
// checked against what other Services hold; conflicts are 422s naming the field.
import type { KubeObject } from "../resources/types";
import type { Store } from "../store/types";
import { KUBE_DNS_SERVICE_IP, KUBERNETES_SERVICE_IP, NODE_PORT_RANGE, SERVICE_CIDR } from "../../shared/cluster-network";
import { inCidr, intToIp, ipToInt, parseCidr } from "../../shared/ipv4";
import { invalid, type StatusCause } from "../../shared/status-error";

const SERVICE_RANGE = parseCidr(SERVICE_CIDR);
const LIST_PAGE_ROWS = 500;

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

function inServiceCidr(n: number): boolean {
  return inCidr(n, SERVICE_RANGE);
}

async function usedAddresses(store: Store, self: KubeObject): Promise<{ ips: Set<string>; nodePorts: Set<number> }> {
  const ips = new Set<string>([KUBERNETES_SERVICE_IP, KUBE_DNS_SERVICE_IP]);
  const nodePorts = new Set<number>();
  let after: { namespace: string; name: string } | undefined;
  for (;;) {
    const page = await store.list("", "services", { after, limit: LIST_PAGE_ROWS });
    for (const row of page.items) {
      if (row.value.metadata.uid === self.metadata.uid) continue;
      const spec = (row.value.spec ?? {}) as ServiceSpec;
      for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) ips.add(ip);
      for (const p of spec.ports ?? []) if (p.nodePort) nodePorts.add(p.nodePort);
    }
    const last = page.items[page.items.length - 1];
    if (!page.more || !last) break;
    after = { namespace: last.key.namespace, name: last.key.name };
  }
  // The two reserved addresses are free for the Services they are reserved for.
  if (self.metadata.namespace === "default" && self.metadata.name === "kubernetes") ips.delete(KUBERNETES_SERVICE_IP);
  if (self.metadata.namespace === "kube-system" && self.metadata.name === "kube-dns") ips.delete(KUBE_DNS_SERVICE_IP);
  return { ips, nodePorts };
}

function randomInt(span: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % span;
}

/** Fills spec.clusterIP(s) and missing nodePorts; throws 422 for taken or out-of-range requests. */
export async function allocateServiceAddresses(store: Store, svc: KubeObject): Promise<void> {
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
  const used = await usedAddresses(store, svc);
  const causes: StatusCause[] = [];

  if (needsIp) {
    if (requestedIp) {
      const n = ipToInt(requestedIp);
      if (n === undefined || !inServiceCidr(n)) {
        causes.push({ reason: "FieldValueInvalid", field: "spec.clusterIPs", message: `Invalid value: ["${requestedIp}"]: failed to allocate IP ${requestedIp}: the provided IP (${requestedIp}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}` });
      } else if (used.ips.has(requestedIp)) {
        causes.push({ reason: "FieldValueInvalid", field: "spec.clusterIPs", message: `Invalid value: ["${requestedIp}"]: failed to allocate IP ${requestedIp}: provided IP is already allocated` });
      }
      spec.clusterIPs = [requestedIp];
    } else {
      const size = SERVICE_RANGE.size;
      // Start at a random offset, as upstream's allocator does, then take the next free address.
      const start = 2 + randomInt(size - 3);
      for (let i = 0; i < size - 2; i++) {
        const candidate = intToIp((SERVICE_RANGE.base + 1 + ((start + i) % (size - 2))) >>> 0);
        if (!used.ips.has(candidate)) {
          spec.clusterIP = candidate;
          spec.clusterIPs = [candidate];
          break;
        }
      }
    }
  } else if (spec.clusterIP === "None") {
    spec.clusterIPs = ["None"];
  }

  const span = NODE_PORT_RANGE.max - NODE_PORT_RANGE.min + 1;
  (spec.ports ?? []).forEach((port, i) => {
    if (port.nodePort) {
      if (used.nodePorts.has(port.nodePort)) {
        causes.push({ reason: "FieldValueInvalid", field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${port.nodePort}: provided port is already allocated` });
      }
      used.nodePorts.add(port.nodePort);
      return;
    }
    if (type !== "NodePort" && type !== "LoadBalancer") return;
    const start = randomInt(span);
    for (let k = 0; k < span; k++) {
      const candidate = NODE_PORT_RANGE.min + ((start + k) % span);
      if (!used.nodePorts.has(candidate)) {
        port.nodePort = candidate;
        used.nodePorts.add(candidate);
        break;
      }
    }
  });
  if (causes.length > 0) {
    throw invalid({ group: "", resource: "services", kind: "Service" }, svc.metadata.name ?? "", causes);
  }
}
