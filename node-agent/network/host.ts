// The machine-level part of the pod network: kernel switches, the local sink for Service and
// unowned pod addresses, the cluster DNS address, and the two rules that let routed traffic into
// the pod bridge past Docker's FORWARD policy. Idempotent: a restarted agent runs it again.
import { readdir, readFile, writeFile } from "node:fs/promises";
import type { NetworkConfig } from "../config";
import { CommandError, runCommand } from "./commands";
import { TABLE } from "./nft-script";
import { WireGuardDevice } from "./wireguard";

/**
 * A bridge with no ports: whatever is routed to it is dropped on the node. Service and pod
 * addresses without a rule end here instead of leaving through the default gateway (a plain
 * `unreachable` route would also fail the node's own connections before the NAT hook sees them).
 */
export const SINK_DEVICE = "edgeplane-svc";
/** Routes to other nodes' pod blocks carry this protocol number, so the agent finds its own. */
export const ROUTE_PROTOCOL = "199";

async function writeSysctl(path: string, value: string): Promise<void> {
  const file = `/proc/sys/${path}`;
  if ((await readFile(file, "utf8").catch(() => "")).trim() === value) return;
  await writeFile(file, value);
}

async function ip(...args: string[]): Promise<string> {
  return runCommand("ip", args);
}

/** The Docker-side rules: `iptables -C` first, so a restart does not add them twice. */
function dockerUserRules(config: NetworkConfig): string[][] {
  return [
    ["-o", config.bridge, "-m", "conntrack", "--ctstate", "DNAT", "-m", "comment", "--comment", "edgeplane: Service traffic to pods", "-j", "ACCEPT"],
    // As flannel does: other nodes' pods and other nodes themselves reach pods here by pod IP.
    ["-o", config.bridge, "-d", config.clusterCIDR, "-m", "comment", "--comment", "edgeplane: routed traffic to pods", "-j", "ACCEPT"],
  ];
}

export async function setUpHost(config: NetworkConfig, log: (message: string) => void): Promise<void> {
  await writeSysctl("net/ipv4/ip_forward", "1");
  // NodePorts on 127.0.0.1 are DNATed to pods; the kernel drops loopback sources off `lo` otherwise.
  await writeSysctl("net/ipv4/conf/all/route_localnet", "1");
  // Service replies between two pods on one bridge must pass conntrack to be un-DNATed.
  await runCommand("modprobe", ["br_netfilter"]).catch(() => undefined);
  await writeSysctl("net/bridge/bridge-nf-call-iptables", "1").catch((error) => log(`bridge-nf-call-iptables: ${String(error)}`));

  const links = await ip("-o", "link", "show");
  if (!new RegExp(`^\\d+: ${SINK_DEVICE}[:@]`, "m").test(links)) await ip("link", "add", SINK_DEVICE, "type", "bridge");
  await ip("link", "set", SINK_DEVICE, "up");
  await ip("addr", "replace", `${config.clusterDNS}/32`, "dev", SINK_DEVICE);
  await ip("route", "replace", config.serviceCIDR, "dev", SINK_DEVICE);
  await ip("route", "replace", config.clusterCIDR, "dev", SINK_DEVICE);

  for (const rule of dockerUserRules(config)) {
    try {
      await runCommand("iptables", ["-C", "DOCKER-USER", ...rule]);
    } catch (error) {
      try {
        await runCommand("iptables", ["-I", "DOCKER-USER", ...rule]);
      } catch (insertError) {
        // No DOCKER-USER chain: Docker runs without iptables, so nothing of its drops forwarded traffic.
        if (!(insertError instanceof CommandError)) throw insertError;
        log(`iptables DOCKER-USER: ${insertError.stderr.trim() || String(error)}`);
        break;
      }
    }
  }
}

/** Turns on hairpin mode for every pod port of the bridge: a pod can reach itself through a Service. */
export async function enableHairpin(bridge: string): Promise<void> {
  const dir = `/sys/class/net/${bridge}/brif`;
  const ports = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    ports.map(async (port) => {
      const file = `${dir}/${port}/hairpin_mode`;
      if ((await readFile(file, "utf8").catch(() => "1")).trim() === "0") await writeFile(file, "1").catch(() => undefined);
    }),
  );
}

/** Everything setUpHost and the proxy made (uninstall): the nft table, the sink, routes, rules. */
export async function tearDownHost(config: NetworkConfig): Promise<void> {
  await runCommand("nft", ["delete", "table", ...TABLE.split(" ")]).catch(() => undefined);
  await ip("route", "flush", "proto", ROUTE_PROTOCOL).catch(() => undefined);
  await ip("link", "del", SINK_DEVICE).catch(() => undefined);
  await WireGuardDevice.remove(config.wireguardDevice);
  for (const rule of dockerUserRules(config)) await runCommand("iptables", ["-D", "DOCKER-USER", ...rule]).catch(() => undefined);
}
