// Two nodes with true separation (a network namespace, a Docker engine and an agent each, joined
// by a LAN bridge): pods reach each other across nodes by pod IP with no NAT, and through a
// Service, first in host-gateway mode, then over the WireGuard overlay with the LAN refusing to
// carry pod addresses at all. Between the two, both agents are down and traffic still flows.
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { requireTool, startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { assertRoute, createLan, createNetnsNode, inNetns, type Lan, type NetnsNode } from "./netns-nodes";

const MANIFEST = join(import.meta.dirname, "manifests", "two-nodes.yaml");
const ROOT = process.getuid?.() === 0;
if (!ROOT && (process.env.CI === "true" || process.env.CI === "1")) throw new Error("the two-node test needs root (network namespaces): CI=true, failing, not skipping");
const READY = ROOT && ["kubectl", "ip", "nsenter", "nft", "wg", "wireguard-go"].every(requireTool) && (await requireDockerEngine());

const ID = (process.pid % 100_000).toString(36);
let cluster: Cluster;
let clusterStopped = false;
let lan: Lan;
let dir: string;
const nodes: NetnsNode[] = [];

const kubectl = (...args: string[]) => kubectlOk(cluster, args);

// busybox's `wget -T` crashes when a connection fails: its own `timeout` applet bounds it instead.
const clientGet = (url: string) => kubectl("-n", "cross", "exec", "client", "--", "timeout", "5", "wget", "-qO-", url).then((s) => s.trim());
const nodeGet = (node: NetnsNode, url: string) => inNetns(node.netns, "busybox", "timeout", "5", "busybox", "wget", "-qO-", url).then((s) => s.trim());

/** What each node's kernel and agent hold, for a failure message. */
async function diagnostics(): Promise<string> {
  const parts: string[] = [];
  for (const node of nodes) {
    parts.push(`--- ${node.name}: routes\n${await inNetns(node.netns, "ip", "route").catch(String)}`);
    parts.push(`--- ${node.name}: wg\n${await node.wg("show").catch(String)}`);
    parts.push(`--- ${node.name}: agent log\n${node.agentLog()}`);
  }
  return parts.join("\n");
}

async function podIP(name: string): Promise<string> {
  return kubectl("-n", "cross", "get", "pod", name, "-o", "jsonpath={.status.podIP}");
}

/** The Service spreads across both nodes' pods: ask until both have answered (or fail). */
async function seesBoth(get: (url: string) => Promise<string>, url: string): Promise<void> {
  const seen = new Set<string>();
  for (let i = 0; i < 40 && seen.size < 2; i++) seen.add(await get(url));
  expect([...seen].sort()).toEqual(["web-1", "web-2"]);
}

const seesBothThroughService = (url: string) => seesBoth(clientGet, url);

async function checkCrossNodeTraffic(mode: "host-gw" | "wireguard"): Promise<void> {
  await crossNodeTraffic(mode).catch(async (error: unknown) => {
    throw new Error(`${mode}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n${await diagnostics()}`);
  });
}

async function crossNodeTraffic(mode: "host-gw" | "wireguard"): Promise<void> {
  const [n1, n2] = nodes as [NetnsNode, NetnsNode];
  const web2 = await podIP("web-2");
  const client = await podIP("client");
  const clusterIP = await kubectl("-n", "cross", "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}");
  // How a node reaches the other node's pods: through its address, or into the WireGuard device.
  const toward = (peer: NetnsNode) => (mode === "host-gw" ? new RegExp(`via ${peer.ip} dev eth0`) : /dev edgeplane-wg/);
  await eventually(async () => assertRoute(n1, web2, toward(n2)).then(() => true, () => false), `${n1.name} routes ${web2} ${mode === "host-gw" ? `via ${n2.ip}` : "into the WireGuard device"}\n${n1.agentLog()}`, 30_000, 250);
  await assertRoute(n2, client, toward(n1));
  await assertRoute(n1, clusterIP, /dev edgeplane-svc/);

  // Pod to pod across nodes by pod IP: web-2 sees the client's own address (no NAT between pods).
  expect(await clientGet(`http://${web2}:8080/`)).toBe("web-2");
  expect(await clientGet(`http://${web2}:8080/cgi-bin/ip`)).toBe(client);
  // Through the Service, by name and by ClusterIP, to both nodes' pods.
  await seesBothThroughService("http://web.cross.svc.cluster.local/");
  await seesBothThroughService(`http://${clusterIP}/`);
  // The node itself reaches a remote pod and the Service (busybox from the host, inside n2's namespace).
  const web1 = await podIP("web-1");
  await assertRoute(n2, web1, toward(n1));
  expect(await nodeGet(n2, `http://${web1}:8080/`)).toBe("web-1");
  await assertRoute(n2, clusterIP, /dev edgeplane-svc/);
  expect(["web-1", "web-2"]).toContain(await nodeGet(n2, `http://${clusterIP}/`));
}

beforeAll(async () => {
  if (!READY) return;
  const image = await ensureBusyboxImage();
  cluster = await startCluster();
  dir = await mkdtemp(join(tmpdir(), "ep2n-"));
  lan = await createLan(ID);
  for (const index of [1, 2]) nodes.push(await createNetnsNode(cluster, lan, ID, index, dir, [image]));
}, 240_000);

afterAll(async () => {
  for (const node of nodes) await node.remove();
  await lan?.remove();
  if (!clusterStopped) await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe.skipIf(!READY)("two nodes, each in its own network namespace with its own Docker engine", () => {
  it("carry pod traffic across nodes by pod IP and through a Service, in host-gateway mode and over WireGuard, with agents or control plane down", async () => {
    const [n1, n2] = nodes as [NetnsNode, NetnsNode];
    for (const node of nodes) await node.startAgent({ backend: "host-gw" });
    await eventually(async () => (await kubectl("get", "nodes", "--no-headers")).match(/\sReady\s/g)?.length === 2, `both nodes Ready\n${n1.agentLog()}\n${n2.agentLog()}`, 90_000, 500);
    const wide = await kubectl("get", "nodes", "-o", "wide");
    expect(wide).toMatch(new RegExp(`${n1.name}\\s+Ready\\s.*\\s${n1.ip.replace(/\./g, "\\.")}\\s`));
    expect(wide).toMatch(new RegExp(`${n2.name}\\s+Ready\\s.*\\s${n2.ip.replace(/\./g, "\\.")}\\s`));
    const cidrs = (await kubectl("get", "nodes", "-o", "jsonpath={.items[*].spec.podCIDR}")).split(" ");
    expect(new Set(cidrs).size).toBe(2);
    expect(await kubectl("get", "node", n1.name, "-o", "jsonpath={.metadata.annotations.network\\.edgeplane\\.dev/backend}")).toBe("host-gw");

    await kubectl("apply", "-f", MANIFEST);
    await eventually(async () => ((await kubectl("-n", "cross", "get", "pods", "--no-headers")).match(/\s1\/1\s+Running\s/g) ?? []).length === 3, `3 pods Running\n${n1.agentLog()}`, 120_000, 500);
    expect(await kubectl("-n", "cross", "get", "pod", "web-2", "-o", "jsonpath={.spec.nodeName}")).toBe(n2.name);
    await checkCrossNodeTraffic("host-gw");

    // Pod egress to an address outside the cluster leaves masqueraded: node 2's own server (on the
    // LAN, not a pod) sees node 1's address, not the client pod's.
    const www = join(dir, "www");
    await mkdir(join(www, "cgi-bin"), { recursive: true });
    await writeFile(join(www, "cgi-bin", "ip"), '#!/bin/sh\naddr=${REMOTE_ADDR#"[::ffff:"}\nprintf \'Content-Type: text/plain\\r\\n\\r\\n%s\\n\' "${addr%"]"}"\n');
    await chmod(join(www, "cgi-bin", "ip"), 0o755);
    const outside = spawn("ip", ["netns", "exec", n2.netns, "busybox", "httpd", "-f", "-p", `${n2.ip}:18080`, "-h", www], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 300));
      await assertRoute(n1, n2.ip, /dev eth0/);
      expect(await clientGet(`http://${n2.ip}:18080/cgi-bin/ip`)).toBe(n1.ip);
    } finally {
      outside.kill("SIGKILL");
    }

    // Both agents down: the kernel keeps the routes and Service rules, so traffic still flows.
    await n1.stopAgent();
    await n2.stopAgent();
    const clusterIP = await kubectl("-n", "cross", "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}");
    await assertRoute(n1, clusterIP, /dev edgeplane-svc/);
    await seesBoth((url) => nodeGet(n1, url), `http://${clusterIP}/`);

    // WireGuard: the agents come back as overlay nodes, and the LAN now drops every packet that
    // carries a pod address, so only encrypted UDP between the node addresses gets across.
    await inNetns(lan.netns, "nft", "add table bridge lan ; add chain bridge lan forward { type filter hook forward priority 0 ; } ; add rule bridge lan forward ip saddr 10.244.0.0/16 drop ; add rule bridge lan forward ip daddr 10.244.0.0/16 drop");
    // As if node 1's agent had stopped between starting web-1's sandbox and wiring it: the
    // restarted agent finds the sandbox without its interface and wires it again.
    const web1Sandbox = (await n1.docker("ps", "-q", "--no-trunc", "--filter", "label=io.kubernetes.pod.name=web-1", "--filter", "label=io.kubernetes.docker.type=podsandbox")).trim();
    await inNetns(n1.netns, "ip", "link", "del", `veth${web1Sandbox.slice(0, 11)}`);
    for (const node of nodes) await node.startAgent({ backend: "wireguard" });
    for (const node of nodes) {
      await eventually(async () => (await kubectl("get", "node", node.name, "-o", "jsonpath={.metadata.annotations.network\\.edgeplane\\.dev/backend}")) === "wireguard", `${node.name} announces WireGuard\n${node.agentLog()}`, 60_000, 250);
    }
    expect(await kubectl("get", "node", n1.name, "-o", "jsonpath={.metadata.annotations.network\\.edgeplane\\.dev/wireguard-implementation}")).toBe("wireguard-go");
    await checkCrossNodeTraffic("wireguard");
    expect((await n1.docker("ps", "-q", "--no-trunc", "--filter", "label=io.kubernetes.pod.name=web-1", "--filter", "label=io.kubernetes.docker.type=podsandbox")).trim()).toBe(web1Sandbox);
    const handshakes = await n1.wg("show", "edgeplane-wg", "latest-handshakes");
    expect(handshakes).toMatch(/\t[1-9]\d*\s*$/m);
    const transfer = (await n1.wg("show", "edgeplane-wg", "transfer")).trim().split("\t");
    expect(Number(transfer[1])).toBeGreaterThan(0);
    expect(Number(transfer[2])).toBeGreaterThan(0);
    const dropped = await inNetns(lan.netns, "nft", "list", "chain", "bridge", "lan", "forward");
    expect(dropped).toContain("drop");

    // The control plane goes away: the nodes' kernels keep carrying pod and Service traffic.
    const web1 = await podIP("web-1");
    await cluster.stop();
    clusterStopped = true;
    await assertRoute(n2, web1, /dev edgeplane-wg/);
    expect(await nodeGet(n2, `http://${web1}:8080/`)).toBe("web-1");
    await assertRoute(n1, clusterIP, /dev edgeplane-svc/);
    await seesBoth((url) => nodeGet(n1, url), `http://${clusterIP}/`);
  }, 420_000);
});
