// Pod interfaces made by the agent itself, as a CNI bridge plugin would: the sandbox starts with
// Docker's `none` network (no libnetwork work: the slow part of a Docker start), and the agent
// gives its namespace a veth on the node's bridge with an address it chose before the sandbox
// was created. So the pod's IP is known up front, the app containers can be created while the
// sandbox starts, and the plumbing is two `ip -batch` runs.
import { intToIp, ipToInt } from "../../shared/ipv4";
import { runCommand } from "./commands";

/** The sandbox label that holds the pod's address: how a restarted agent knows what is taken. */
export const LABEL_POD_IP = "io.edgeplane.pod-ip";
const MTU = 1500;

export interface BlockSplit {
  /** The agent hands out [first, last]. */
  first: string;
  last: string;
  gateway: string;
  prefix: number;
  /** The upper half, left to Docker's IPAM for the pods it still attaches (hostPort pods). */
  dockerRange: string;
}

/** The node's block: .1 is the bridge, the lower half (from .2) is the agent's, the upper half Docker's. */
export function splitBlock(cidr: string): BlockSplit {
  const [ip, bits] = cidr.split("/");
  const prefix = Number(bits);
  const base = ipToInt(ip ?? "");
  if (base === undefined || !Number.isInteger(prefix) || prefix < 16 || prefix > 28) throw new Error(`podCIDR ${cidr}: expected an IPv4 block from /16 to /28`);
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  return {
    first: intToIp(network + 2),
    last: intToIp(network + size / 2 - 1),
    gateway: intToIp(network + 1),
    prefix,
    dockerRange: `${intToIp(network + size / 2)}/${prefix + 1}`,
  };
}

/**
 * Addresses of the agent's half of the block, handed out round-robin so a freed address is not
 * reused at once (conntrack and ARP caches still name it). What is taken is read back from the
 * running sandboxes' labels when the agent starts and whenever the range wraps (a finished pod's
 * stopped sandbox holds none, as kubelet frees it).
 */
/** An address handed out this long ago may still be on its way to a sandbox Docker lists. */
export const ALLOCATION_GRACE_MS = 60_000;

export class PodAddresses {
  private readonly first: number;
  private readonly last: number;
  private used: Set<string> | undefined;
  private next: number;
  /** Handed out recently: kept through a re-read, since their sandboxes may not exist yet. */
  private readonly recent = new Map<string, number>();
  /** One allocation at a time: a re-read must not race another allocation. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cidr: string,
    private readonly inUse: () => Promise<string[]>,
  ) {
    const split = splitBlock(cidr);
    this.first = ipToInt(split.first)!;
    this.last = ipToInt(split.last)!;
    this.next = this.first;
  }

  allocate(): Promise<string> {
    const result = this.queue.then(() => this.allocateNow());
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async reread(): Promise<Set<string>> {
    const now = Date.now();
    for (const [ip, at] of this.recent) if (now - at > ALLOCATION_GRACE_MS) this.recent.delete(ip);
    return new Set([...(await this.inUse()), ...this.recent.keys()]);
  }

  private async allocateNow(): Promise<string> {
    this.used ??= await this.reread();
    for (let pass = 0; pass < 2; pass++) {
      for (let i = this.next; i <= this.last; i++) {
        const ip = intToIp(i);
        if (this.used.has(ip)) continue;
        this.used.add(ip);
        this.recent.set(ip, Date.now());
        this.next = i + 1;
        return ip;
      }
      // Wrapped: the running sandboxes (and what was just handed out) hold addresses; the rest are free.
      this.used = await this.reread();
      this.next = this.first;
    }
    throw new Error(`no free pod address in ${this.cidr}`);
  }
}

/** The host end's name: unique per sandbox, within Linux's 15 characters. */
export function hostVethName(sandboxId: string): string {
  return `veth${sandboxId.slice(0, 11)}`;
}

/**
 * The pod's MAC, from its IP (0a:58 and the four address bytes, as ovn-kubernetes does): a pod
 * wired again keeps its MAC, so the neighbours' ARP caches stay right.
 */
export function macFor(ip: string): string {
  return ["0a", "58", ...ip.split(".").map((b) => Number(b).toString(16).padStart(2, "0"))].join(":");
}

/** The two `ip -batch` scripts: the host side (veth to the bridge), then inside the pod's namespace. */
export function interfaceScripts(o: { pid: number; ip: string; cidr: string; bridge: string; hostIf: string }): { host: string; pod: string } {
  const split = splitBlock(o.cidr);
  return {
    host: [
      `link add ${o.hostIf} mtu ${MTU} type veth peer name eth0 mtu ${MTU} address ${macFor(o.ip)} netns ${o.pid}`,
      `link set ${o.hostIf} master ${o.bridge}`,
      // A pod can reach itself through its Services.
      `link set ${o.hostIf} type bridge_slave hairpin on`,
      `link set ${o.hostIf} up`,
    ].join("\n") + "\n",
    pod: [
      "link set lo up",
      `addr add ${o.ip}/${split.prefix} dev eth0`,
      "link set eth0 up",
      `route add default via ${split.gateway} dev eth0`,
    ].join("\n") + "\n",
  };
}

/**
 * Gives a started sandbox (its process `pid`) its interface and address on the node's bridge.
 * `again`: a host end left by an interrupted attempt goes first, so the whole wiring is redone.
 */
export async function attachPod(o: { pid: number; ip: string; cidr: string; bridge: string; sandboxId: string; again?: boolean }): Promise<void> {
  const hostIf = hostVethName(o.sandboxId);
  const scripts = interfaceScripts({ ...o, hostIf });
  if (o.again) await runCommand("ip", ["link", "del", hostIf]).catch(() => undefined);
  await runCommand("ip", ["-batch", "-"], scripts.host);
  try {
    await runCommand("nsenter", [`--net=/proc/${o.pid}/ns/net`, "ip", "-batch", "-"], scripts.pod);
  } catch (error) {
    // Not left half-wired: without the host end, the next look finds it unwired.
    await runCommand("ip", ["link", "del", hostIf]).catch(() => undefined);
    throw error;
  }
}
