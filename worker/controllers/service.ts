// Service addresses as a controller: backfills ClusterIPs and NodePorts admission did not assign
// (objects restored or imported around it), keeps the `kubernetes` Service, and publishes
// LoadBalancer ingress through a small provider seam (node addresses today, a cloud LB later).
import { kubernetesService } from "../resources/core/kubernetes-service";
import { deepEqual } from "../../shared/deep-equal";
import type { KubeObject } from "../resources/types";
import { conditionOf, isDeleting, NODES, SERVICES } from "./controller-util";
import { records, rec, str, type Json } from "../../shared/json";
import type { Action, Controller, ControllerConfig } from "./types";
import { intToIp, parseCidr } from "../../shared/ipv4";

/** Where a LoadBalancer Service's status.loadBalancer.ingress comes from. */
export interface LoadBalancerProvider {
  ingress(service: KubeObject, nodes: readonly KubeObject[]): Json[];
}

/** No cloud LB: every Ready node answers on the NodePorts, so the nodes' addresses are the ingress. */
export const nodeAddressLoadBalancer: LoadBalancerProvider = {
  ingress(_service, nodes) {
    const ips = new Set<string>();
    for (const node of nodes) {
      if (isDeleting(node) || str(conditionOf(node, "Ready")?.status) !== "True") continue;
      const addresses = records(rec(node.status).addresses);
      const pick = addresses.find((a) => a.type === "ExternalIP") ?? addresses.find((a) => a.type === "InternalIP");
      const ip = str(pick?.address);
      if (ip) ips.add(ip);
    }
    return [...ips].sort().map((ip) => ({ ip, ipMode: "VIP" }));
  },
};

/** The first host (.1) of the Service range: the `kubernetes` Service's address. */
export function kubernetesServiceIp(config: ControllerConfig): string {
  return intToIp(parseCidr(config.serviceClusterIpCidr).base + 1);
}

/** The cluster DNS Service's address (.10 of the range, as kubeadm gives CoreDNS): never handed out. */
export function clusterDnsIp(config: ControllerConfig): string {
  return intToIp(parseCidr(config.serviceClusterIpCidr).base + 10);
}

function needsClusterIp(spec: Json): boolean {
  return (str(spec.type) ?? "ClusterIP") !== "ExternalName" && spec.clusterIP !== "None" && !str(spec.clusterIP);
}

function wantsNodePorts(spec: Json): boolean {
  return spec.type === "NodePort" || spec.type === "LoadBalancer";
}

export function serviceController(lb: LoadBalancerProvider = nodeAddressLoadBalancer): Controller {
  return {
    name: "service",
    watches: [SERVICES, NODES],
    reconcile({ snapshot, config }) {
      const actions: Action[] = [];
      const services = snapshot.list(SERVICES);
      if (!snapshot.get(SERVICES, "default", "kubernetes")) actions.push({ type: "create", ref: SERVICES, object: kubernetesService(kubernetesServiceIp(config)) });

      const usedIps = new Set<string>([kubernetesServiceIp(config), clusterDnsIp(config)]);
      const usedPorts = new Set<number>();
      for (const svc of services) {
        const spec = rec(svc.spec);
        for (const ip of Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP]) if (typeof ip === "string") usedIps.add(ip);
        for (const p of records(spec.ports)) if (typeof p.nodePort === "number") usedPorts.add(p.nodePort);
      }
      const { base, size } = parseCidr(config.serviceClusterIpCidr);
      let nextIp = 2;
      const allocateIp = (): string | undefined => {
        for (; nextIp < size - 1; nextIp++) {
          const ip = intToIp(base + nextIp);
          if (!usedIps.has(ip)) return usedIps.add(ip), ip;
        }
        return undefined;
      };
      let nextPort = config.nodePortRange.min;
      const allocatePort = (): number | undefined => {
        for (; nextPort <= config.nodePortRange.max; nextPort++) if (!usedPorts.has(nextPort)) return usedPorts.add(nextPort), nextPort;
        return undefined;
      };

      const nodes = snapshot.list(NODES);
      for (const svc of services) {
        if (isDeleting(svc)) continue;
        const spec = rec(svc.spec);
        const next: Json = { ...spec };
        if (needsClusterIp(spec)) {
          const ip = allocateIp();
          if (!ip) {
            actions.push({ type: "event", regarding: svc, eventType: "Warning", reason: "ClusterIPNotAllocated", message: `the service range ${config.serviceClusterIpCidr} is full` });
            continue;
          }
          next.clusterIP = ip;
          next.clusterIPs = [ip];
        }
        if (wantsNodePorts(spec)) {
          next.ports = records(spec.ports).map((p) => (typeof p.nodePort === "number" ? p : { ...p, nodePort: allocatePort() }));
        }
        if (!deepEqual(next, spec)) {
          actions.push({ type: "update", ref: SERVICES, object: { ...svc, spec: next } });
          continue; // the status write waits for the next pass: one write per object per pass
        }
        const status = rec(svc.status);
        const ingress = spec.type === "LoadBalancer" ? lb.ingress(svc, nodes) : [];
        const current = records(rec(status.loadBalancer).ingress);
        if (!deepEqual(ingress, current)) {
          actions.push({ type: "updateStatus", ref: SERVICES, object: { ...svc, status: { ...status, loadBalancer: ingress.length ? { ingress } : {} } } });
        }
      }
      return { actions };
    },
  };
}
