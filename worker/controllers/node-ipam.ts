// Node IPAM, as kube-controller-manager's range allocator (--allocate-node-cidrs): each Node
// without a podCIDR gets the next free block of the cluster CIDR. The agent puts its pods on a
// bridge with that subnet, so pod IPs are unique across the cluster and routable between nodes.
import type { KubeObject } from "../resources/types";
import { isDeleting, NODES } from "./controller-util";
import { rec, str } from "../../shared/json";
import { intToIp, parseCidr } from "../../shared/ipv4";
import type { Action, Controller } from "./types";

/** The block a node holds, or undefined when it has none (or an unparsable one). */
function nodeBlock(node: KubeObject): string | undefined {
  return str(rec(node.spec).podCIDR) || undefined;
}

export const nodeIpamController: Controller = {
  name: "node-ipam",
  watches: [NODES],
  reconcile({ snapshot, config }) {
    const nodes = snapshot.list(NODES);
    const { base, size } = parseCidr(config.clusterCidr);
    const blockSize = 2 ** (32 - config.nodeCidrMaskSize);
    const blocks = Math.max(0, Math.floor(size / blockSize));
    const used = new Set<string>();
    for (const node of nodes) {
      const cidr = nodeBlock(node);
      if (cidr) used.add(cidr);
    }
    const actions: Action[] = [];
    let next = 0;
    for (const node of nodes) {
      if (isDeleting(node) || nodeBlock(node)) continue;
      let cidr: string | undefined;
      for (; next < blocks && !cidr; next++) {
        const candidate = `${intToIp((base + next * blockSize) >>> 0)}/${config.nodeCidrMaskSize}`;
        if (!used.has(candidate)) cidr = candidate;
      }
      if (!cidr) {
        actions.push({ type: "event", regarding: node, eventType: "Warning", reason: "CIDRNotAvailable", message: `Node ${node.metadata.name} status is now: CIDRNotAvailable (the cluster CIDR ${config.clusterCidr} is full)` });
        continue;
      }
      used.add(cidr);
      actions.push({ type: "update", ref: NODES, object: { ...node, spec: { ...rec(node.spec), podCIDR: cidr, podCIDRs: [cidr] } } });
      actions.push({ type: "event", regarding: node, eventType: "Normal", reason: "CIDRAssignmentSucceeded", message: `Node ${node.metadata.name} got pod CIDR ${cidr}` });
    }
    return { actions };
  },
};
