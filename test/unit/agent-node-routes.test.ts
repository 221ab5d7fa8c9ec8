// Routes to other nodes' pod blocks (host-gateway or WireGuard, per pair of nodes), the WireGuard
// peer configuration as `wg` reports and takes it, and the agent's network options.
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../node-agent/config";
import { networkAddress } from "../../shared/ipv4";
import { parseRoutes, wantedRoutes, type NodeInfo } from "../../node-agent/network/node-routes";
import { loadOrCreateKeys, parsePeers, peerChanges } from "../../node-agent/network/wireguard";

const node = (name: string, cidr: string | undefined, ip: string, annotations?: Record<string, string>): NodeInfo => ({
  metadata: { name, annotations },
  spec: cidr ? { podCIDR: cidr } : {},
  status: { addresses: [{ type: "InternalIP", address: ip }, { type: "Hostname", address: name }] },
});
const KEY_A = "Pp7AxK0PA0Y8MomBe+AgObbvWrYRrhuvPRSkl0b0qRA=";
const KEY_B = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const KEY_C = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
const wg = (key: string, extra: Record<string, string> = {}) => ({ "network.edgeplane.dev/backend": "wireguard", "network.edgeplane.dev/wireguard-public-key": key, ...extra });

describe("routes to other nodes", () => {
  const nodes = [
    node("self", "10.244.0.0/24", "192.168.1.10", wg("SELF=")),
    node("gw", "10.244.1.0/24", "192.168.1.11"),
    node("overlay", "10.244.2.0/24", "192.168.1.12", wg(KEY_A, { "network.edgeplane.dev/wireguard-port": "51000" })),
    node("natted", "10.244.3.0/24", "10.0.0.5", wg(KEY_B, { "network.edgeplane.dev/wireguard-endpoint": "203.0.113.7:40000" })),
    node("new", undefined, "192.168.1.14"),
  ];

  it("in host-gateway mode, routes every other block through its node's InternalIP", () => {
    const plan = wantedRoutes(nodes, "self");
    expect([...plan.routes]).toEqual([
      ["10.244.1.0/24", "via 192.168.1.11"],
      ["10.244.2.0/24", "via 192.168.1.12"],
      ["10.244.3.0/24", "via 10.0.0.5"],
    ]);
    expect(plan.peers).toEqual([]);
  });

  it("with WireGuard, sends overlay nodes' blocks into the device and keeps host-gw for the rest", () => {
    const plan = wantedRoutes(nodes, "self", "edgeplane-wg");
    expect(plan.routes.get("10.244.1.0/24")).toBe("via 192.168.1.11");
    expect(plan.routes.get("10.244.2.0/24")).toBe("dev edgeplane-wg");
    expect(plan.routes.get("10.244.3.0/24")).toBe("dev edgeplane-wg");
    expect(plan.peers).toEqual([
      { publicKey: KEY_A, endpoint: "192.168.1.12:51000", allowedIPs: "10.244.2.0/24" },
      { publicKey: KEY_B, endpoint: "203.0.113.7:40000", allowedIPs: "10.244.3.0/24" },
    ]);
  });

  it("ignores malformed or duplicated WireGuard announcements, routing those nodes through host-gw", () => {
    const plan = wantedRoutes([
      node("self", "10.244.0.0/24", "192.168.1.10", wg("SELF=")),
      node("badkey", "10.244.1.0/24", "192.168.1.11", wg("not a key")),
      node("badendpoint", "10.244.2.0/24", "192.168.1.12", wg(KEY_A, { "network.edgeplane.dev/wireguard-endpoint": "nosuch.invalid:1" })),
      node("twin1", "10.244.3.0/24", "192.168.1.13", wg(KEY_B)),
      node("twin2", "10.244.4.0/24", "192.168.1.14", wg(KEY_B)),
      node("good", "10.244.5.0/24", "192.168.1.15", wg(KEY_C)),
    ], "self", "edgeplane-wg");
    expect([...plan.routes]).toEqual([
      ["10.244.1.0/24", "via 192.168.1.11"],
      ["10.244.2.0/24", "via 192.168.1.12"],
      ["10.244.3.0/24", "via 192.168.1.13"],
      ["10.244.4.0/24", "via 192.168.1.14"],
      ["10.244.5.0/24", "dev edgeplane-wg"],
    ]);
    expect(plan.peers.map((p) => p.publicKey)).toEqual([KEY_C]);
  });

  it("reads the kernel's routes back in the same form", () => {
    const out = "10.244.1.0/24 via 192.168.1.11 dev eth0 proto 199 \n10.244.2.0/24 dev edgeplane-wg proto 199 scope link \n";
    expect([...parseRoutes(out)]).toEqual([
      ["10.244.1.0/24", "via 192.168.1.11"],
      ["10.244.2.0/24", "dev edgeplane-wg"],
    ]);
  });
});

describe("WireGuard peers", () => {
  const dump = "PRIV=\tPUB=\t51820\toff\nA=\t(none)\t192.168.1.12:51820\t10.244.2.0/24\t1700000000\t10\t20\t25\nB=\t(none)\t198.51.100.9:61000\t10.244.3.0/24\t0\t0\t0\t25\n";

  it("parses `wg show <dev> dump`", () => {
    expect([...parsePeers(dump).values()]).toEqual([
      { publicKey: "A=", endpoint: "192.168.1.12:51820", allowedIPs: "10.244.2.0/24" },
      { publicKey: "B=", endpoint: "198.51.100.9:61000", allowedIPs: "10.244.3.0/24" },
    ]);
  });

  it("adds new peers, removes gone ones, and leaves a roamed endpoint alone", () => {
    const present = parsePeers(dump);
    // B's endpoint roamed (it is behind NAT) from the advertised 10.0.0.5:51820 the last sync set.
    const configured = new Map<string, string | undefined>([["A=", "192.168.1.12:51820"], ["B=", "10.0.0.5:51820"]]);
    const args = peerChanges(present, [
      { publicKey: "B=", endpoint: "10.0.0.5:51820", allowedIPs: "10.244.3.0/24" },
      { publicKey: "C=", endpoint: "192.168.1.20:51820", allowedIPs: "10.244.4.0/24" },
    ], configured);
    expect(args).toEqual([
      ["peer", "A=", "remove"],
      ["peer", "C=", "allowed-ips", "10.244.4.0/24", "persistent-keepalive", "25", "endpoint", "192.168.1.20:51820"],
    ]);
  });

  it("sets an endpoint again when the node advertises a new one", () => {
    const args = peerChanges(parsePeers(dump), [
      { publicKey: "A=", endpoint: "192.168.1.99:51820", allowedIPs: "10.244.2.0/24" },
      { publicKey: "B=", endpoint: "10.0.0.5:51820", allowedIPs: "10.244.3.0/24" },
    ], new Map([["A=", "192.168.1.12:51820"], ["B=", "10.0.0.5:51820"]]));
    expect(args).toEqual([["peer", "A=", "allowed-ips", "10.244.2.0/24", "persistent-keepalive", "25", "endpoint", "192.168.1.99:51820"]]);
  });

  it("keeps the node's key pair across restarts, private to root, with the public key wg derives", async () => {
    const dir = await mkdtemp(join(tmpdir(), "edgeplane-wg-"));
    try {
      const keys = await loadOrCreateKeys(dir);
      expect(keys.privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(await loadOrCreateKeys(dir)).toEqual(keys);
      expect((await stat(join(dir, "wireguard.key"))).mode & 0o777).toBe(0o600);
      // A known pair (`echo <private> | wg pubkey`): the derivation itself, not only a round trip.
      await writeFile(join(dir, "wireguard.key"), "wOjow5wwKk1IUHRBDe2QjbIzkLXignbYKvvqj8gKV0U=\n");
      expect((await loadOrCreateKeys(dir)).publicKey).toBe("Pp7AxK0PA0Y8MomBe+AgObbvWrYRrhuvPRSkl0b0qRA=");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("gives the device its block's network address", () => {
    expect(networkAddress("10.244.7.0/24")).toBe("10.244.7.0");
    expect(networkAddress("10.244.7.9/16")).toBe("10.244.0.0");
    expect(() => networkAddress("10.244.7.0/33")).toThrow(/not an IPv4 block/);
  });
});

describe("agent network options", () => {
  const base = { server: "https://cp.example", nodeName: "n1" };

  it("defaults to host-gateway routing with WireGuard's usual port", () => {
    const { network } = parseConfig(base);
    expect(network.backend).toBe("host-gw");
    expect(network.wireguardPort).toBe(51820);
    expect(network.wireguardDevice).toBe("edgeplane-wg");
  });

  it("takes the WireGuard backend with an advertised endpoint", () => {
    const { network } = parseConfig({ ...base, network: { backend: "wireguard", wireguardPort: 51000, wireguardEndpoint: "203.0.113.7:40000" } });
    expect(network).toMatchObject({ backend: "wireguard", wireguardPort: 51000, wireguardEndpoint: "203.0.113.7:40000" });
  });

  it("names the field at fault", () => {
    expect(() => parseConfig({ ...base, network: { backend: "vxlan" } })).toThrow(/network\.backend/);
    expect(() => parseConfig({ ...base, network: { wireguardPort: 70000 } })).toThrow(/network\.wireguardPort/);
    expect(() => parseConfig({ ...base, network: { wireguardEndpoint: "no-port" } })).toThrow(/network\.wireguardEndpoint/);
    expect(() => parseConfig({ ...base, network: { wireguardEndpoint: "my_host:51820" } })).toThrow(/network\.wireguardEndpoint/);
    expect(() => parseConfig({ ...base, network: { wireguardEndpoint: "203.0.113.7:99999" } })).toThrow(/network\.wireguardEndpoint/);
  });
});
