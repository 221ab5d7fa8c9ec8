// UDP has no connection to end: a client that keeps its socket keeps its conntrack entry, and the
// entry keeps it on the endpoint (or the no-endpoint verdict) chosen for its first packet. So, as
// kube-proxy does, entries are deleted when a UDP endpoint goes away and when a UDP Service port
// that had no endpoint gets one. Needs conntrack-tools; without it the entries time out instead.
import { runCommand } from "./commands";
import type { ProxyPlan } from "./proxy-plan";

let missingLogged = false;
const UDP_DNAT = /^meta l4proto udp dnat to (\d+\.\d+\.\d+\.\d+):\d+$/;

function udpEndpoints(plan: ProxyPlan): Set<string> {
  const ips = new Set<string>();
  for (const rules of plan.chains.values()) {
    for (const rule of rules) {
      const m = UDP_DNAT.exec(rule);
      if (m) ips.add(m[1]!);
    }
  }
  return ips;
}

/** The `conntrack -D` argument lists that turn `prev`'s UDP flows stale under `next`. */
export function staleUdpFlows(prev: ProxyPlan, next: ProxyPlan): string[][] {
  const deletes: string[][] = [];
  const still = udpEndpoints(next);
  for (const ip of udpEndpoints(prev)) if (!still.has(ip)) deletes.push(["-p", "udp", "--dst-nat", ip]);
  for (const key of next.serviceIps.keys()) {
    const [ip, proto, port] = key.split(" . ");
    if (proto === "udp" && prev.noEndpointIps.has(key)) deletes.push(["-p", "udp", "--orig-dst", ip!, "--dport", port!]);
  }
  for (const key of next.nodePorts.keys()) {
    const [proto, port] = key.split(" . ");
    if (proto === "udp" && prev.noEndpointNodePorts.has(key)) deletes.push(["-p", "udp", "--dport", port!]);
  }
  return deletes;
}

/** Deletes the entries; "0 flow entries" (exit 1) is no error. Logs once when conntrack is missing. */
export async function deleteUdpFlows(deletes: string[][], log: (message: string) => void): Promise<void> {
  for (const args of deletes) {
    try {
      await runCommand("conntrack", ["-D", ...args]);
    } catch (error) {
      const text = String(error);
      if (/ENOENT/.test(text)) {
        if (!missingLogged) log("conntrack not found: stale UDP flows to removed endpoints wait for their timeout (install conntrack)");
        missingLogged = true;
        return;
      }
      if (!/0 flow entries have been deleted/.test(text)) log(`conntrack -D ${args.join(" ")}: ${text}`);
    }
  }
}

