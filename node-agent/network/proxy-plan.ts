// kube-proxy's job as a pure function: from Services and EndpointSlices to the nftables objects
// that carry each Service's traffic (nftables mode's shape: one verdict map from address, protocol
// and port to a chain per service port, a chain per endpoint doing the DNAT). nft-script.ts turns
// two plans into the difference to apply.
import { createHash } from "node:crypto";
import type { EndpointSlice, Service, ServicePort } from "./service-catalog";

/** Set on a connection that must leave with the node's address (hairpin, NodePort, localhost). */
export const MASQUERADE_MARK = 0x4000;
/** The jump for a Service port that exists but has no endpoint: refused, not left to time out. */
export const REJECT_VERDICT = "goto reject-endpoint";
const DEFAULT_AFFINITY_SECONDS = 10_800;

export interface ProxyPlan {
  /** The per-Service and per-endpoint chains, by name, each a list of rules. */
  chains: Map<string, string[]>;
  /** `ip . proto . port` → verdict: ClusterIPs, external IPs, LoadBalancer ingress. */
  serviceIps: Map<string, string>;
  /** `proto . port` → verdict, for any local address. */
  nodePorts: Map<string, string>;
  /** Same keys, for Service ports with no endpoint (checked in the filter hooks). */
  noEndpointIps: Map<string, string>;
  noEndpointNodePorts: Map<string, string>;
  /** ClientIP affinity sets, by name, with their timeout in seconds. */
  affinitySets: Map<string, number>;
}

export interface ProxyInputs {
  services: Iterable<Service>;
  slicesOf(namespace: string, name: string): EndpointSlice[];
  nodeName: string;
  /** The address this agent serves itself (cluster DNS): no proxy rules for it. */
  servedLocally: Set<string>;
}

interface Backend {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  local: boolean;
}

export function emptyPlan(): ProxyPlan {
  return { chains: new Map(), serviceIps: new Map(), nodePorts: new Map(), noEndpointIps: new Map(), noEndpointNodePorts: new Map(), affinitySets: new Map() };
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("base64url").replace(/[-_]/g, "").slice(0, 8).toUpperCase();
}

/** A chain name nft accepts, readable in `nft list ruleset`: kind, hash, then the port's name. */
function chainName(kind: string, key: string): string {
  return `${kind}-${shortHash(key)}-${key.replace(/[^A-Za-z0-9_]+/g, "_")}`.slice(0, 200);
}

function protocolOf(port: { protocol?: string }): string {
  return (port.protocol ?? "TCP").toLowerCase();
}

/** The endpoints behind one Service port, from every slice of the Service, deduplicated. */
export function backendsFor(slices: EndpointSlice[], port: ServicePort, nodeName: string): Backend[] {
  const seen = new Map<string, Backend>();
  for (const slice of slices) {
    if (slice.addressType && slice.addressType !== "IPv4") continue;
    const match = (slice.ports ?? []).find((p) => (p.name ?? "") === (port.name ?? "") && protocolOf(p) === protocolOf(port));
    if (!match || typeof match.port !== "number") continue;
    for (const endpoint of slice.endpoints ?? []) {
      const ip = endpoint.addresses?.[0];
      if (!ip) continue;
      const ready = endpoint.conditions?.ready !== false;
      const serving = endpoint.conditions?.serving ?? ready;
      const backend = { ip, port: match.port, ready, serving, local: endpoint.nodeName === nodeName };
      const key = `${ip}:${match.port}`;
      if (!seen.has(key) || ready) seen.set(key, backend);
    }
  }
  return [...seen.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

/** Ready endpoints; when none is, the serving ones that are terminating (kube-proxy's fallback). */
function usable(backends: Backend[]): Backend[] {
  const ready = backends.filter((b) => b.ready);
  return ready.length > 0 ? ready : backends.filter((b) => b.serving);
}

/** A service chain: affinity lookups, then a random pick among the endpoint chains. */
function serviceChain(endpoints: { chain: string; affinity?: string }[]): string[] {
  const rules = endpoints.filter((e) => e.affinity).map((e) => `ip saddr @${e.affinity} goto ${e.chain}`);
  if (endpoints.length === 1) rules.push(`goto ${endpoints[0]!.chain}`);
  else rules.push(`numgen random mod ${endpoints.length} vmap { ${endpoints.map((e, i) => `${i} : goto ${e.chain}`).join(", ")} }`);
  return rules;
}

export function planProxy(inputs: ProxyInputs): ProxyPlan {
  const plan = emptyPlan();
  for (const svc of inputs.services) {
    const spec = svc.spec ?? {};
    const type = spec.type ?? "ClusterIP";
    const clusterIP = spec.clusterIP;
    if (type === "ExternalName" || !clusterIP || clusterIP === "None" || inputs.servedLocally.has(clusterIP)) continue;
    const slices = inputs.slicesOf(svc.metadata.namespace, svc.metadata.name);
    const affinitySeconds = spec.sessionAffinity === "ClientIP" ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
    const externalAddresses = [
      ...(spec.externalIPs ?? []),
      ...(type === "LoadBalancer" ? (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])) : []),
      // k3s's ServiceLB answers a LoadBalancer port on the node's loopback too: `curl localhost:80`.
      ...(type === "LoadBalancer" ? ["127.0.0.1"] : []),
    ];
    for (const port of spec.ports ?? []) {
      const proto = protocolOf(port);
      if (proto !== "tcp" && proto !== "udp" && proto !== "sctp") continue;
      const portKey = `${svc.metadata.namespace}/${svc.metadata.name}/${proto}/${port.name || port.port}`;
      const all = backendsFor(slices, port, inputs.nodeName);
      const clusterSide = spec.internalTrafficPolicy === "Local" ? usable(all.filter((b) => b.local)) : usable(all);
      const externalLocal = spec.externalTrafficPolicy === "Local";
      const externalSide = externalLocal ? usable(all.filter((b) => b.local)) : usable(all);

      const endpointChain = (b: Backend) => {
        const name = chainName("sep", `${portKey}/${b.ip}:${b.port}`);
        const affinity = affinitySeconds !== undefined ? chainName("aff", `${portKey}/${b.ip}:${b.port}/${affinitySeconds}`) : undefined;
        if (!plan.chains.has(name)) {
          plan.chains.set(name, [
            // A pod reaching itself through its Service: the reply must come back through the node.
            `ip saddr ${b.ip} meta mark set meta mark | 0x${MASQUERADE_MARK.toString(16)}`,
            ...(affinity ? [`update @${affinity} { ip saddr }`] : []),
            `meta l4proto ${proto} dnat to ${b.ip}:${b.port}`,
          ]);
          if (affinity) plan.affinitySets.set(affinity, affinitySeconds!);
        }
        return { chain: name, affinity };
      };

      const svcChain = chainName("svc", portKey);
      const serviceKey = `${clusterIP} . ${proto} . ${port.port}`;
      if (clusterSide.length > 0) {
        plan.chains.set(svcChain, serviceChain(clusterSide.map(endpointChain)));
        plan.serviceIps.set(serviceKey, `goto ${svcChain}`);
      } else {
        plan.noEndpointIps.set(serviceKey, REJECT_VERDICT);
      }

      const hasNodePort = (type === "NodePort" || type === "LoadBalancer") && typeof port.nodePort === "number";
      if (!hasNodePort && externalAddresses.length === 0) continue;
      const extChain = chainName("ext", portKey);
      const mark = `meta mark set meta mark | 0x${MASQUERADE_MARK.toString(16)}`;
      let extRules: string[] | undefined;
      if (!externalLocal && clusterSide.length > 0 && spec.internalTrafficPolicy !== "Local") {
        // From outside the cluster: masquerade, so the reply returns through this node's conntrack.
        extRules = [mark, `goto ${svcChain}`];
      } else if (!externalLocal && externalSide.length > 0) {
        const localChain = chainName("svx", portKey);
        plan.chains.set(localChain, serviceChain(externalSide.map(endpointChain)));
        extRules = [mark, `goto ${localChain}`];
      } else if (externalLocal && externalSide.length > 0) {
        // Local policy keeps the client's address; the node's own traffic still goes anywhere.
        const localChain = chainName("svl", portKey);
        plan.chains.set(localChain, serviceChain(externalSide.map(endpointChain)));
        extRules = [
          ...(clusterSide.length > 0 ? [`fib saddr type local ${mark}`, `fib saddr type local goto ${svcChain}`] : []),
          `goto ${localChain}`,
        ];
      }
      if (extRules) plan.chains.set(extChain, extRules);
      const verdict = extRules ? `goto ${extChain}` : REJECT_VERDICT;
      const target = extRules ? plan : undefined;
      if (hasNodePort) (target ? plan.nodePorts : plan.noEndpointNodePorts).set(`${proto} . ${port.nodePort}`, verdict);
      for (const ip of externalAddresses) (target ? plan.serviceIps : plan.noEndpointIps).set(`${ip} . ${proto} . ${port.port}`, verdict);
    }
  }
  return plan;
}
