// The encrypted overlay for nodes that share no layer-2 network or sit behind NAT: a WireGuard
// device whose peers are the other nodes, each allowed its own pod block. The kernel module when
// the machine has it, else Debian's wireguard-go in userspace (over /dev/net/tun); wireguard-tools
// configures either. Keys never leave the node: only the public key travels, in the Node's
// annotations, and peers learn each other's endpoints from the control plane.
import { spawn } from "node:child_process";
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "./commands";
import { networkAddress } from "../../shared/ipv4";

/** The annotations that tell every other node how to reach this one. */
export const ANNOTATION_BACKEND = "network.edgeplane.dev/backend";
export const ANNOTATION_PUBLIC_KEY = "network.edgeplane.dev/wireguard-public-key";
export const ANNOTATION_PORT = "network.edgeplane.dev/wireguard-port";
export const ANNOTATION_ENDPOINT = "network.edgeplane.dev/wireguard-endpoint";
export const ANNOTATION_WIREGUARD_IMPLEMENTATION = "network.edgeplane.dev/wireguard-implementation";

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
/** IPv4:port only: a name would be resolved by `wg` on every node, and a bad one fails there. */
export const WIREGUARD_ENDPOINT = new RegExp(`^${OCTET}(\\.${OCTET}){3}:([1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])$`);

/** WireGuard's usual port, the default for every node. */
export const DEFAULT_WIREGUARD_PORT = 51820;
/** WireGuard's own overhead on a 1500-byte link (flannel and wg-quick use the same). */
export const WIREGUARD_MTU = 1420;
/** Keeps a NAT mapping open so a node behind NAT stays reachable through the handshake it made. */
export const PERSISTENT_KEEPALIVE_S = 25;
const KEY_FILE = "wireguard.key";

export interface WireGuardKeys {
  privateKey: string;
  publicKey: string;
}

export interface WireGuardPeer {
  publicKey: string;
  /** ip:port; absent for a node behind NAT (it reaches us, and WireGuard learns where from). */
  endpoint?: string;
  allowedIPs: string;
}

// An X25519 key in WireGuard's form is the raw 32 bytes, base64; JWK carries them base64url.
const fromJwk = (value: string) => Buffer.from(value, "base64url").toString("base64");

function publicKeyOf(privateKey: string): string {
  const d = Buffer.from(privateKey, "base64").toString("base64url");
  const x = createPublicKey(createPrivateKey({ key: { kty: "OKP", crv: "X25519", d, x: "" }, format: "jwk" })).export({ format: "jwk" }).x;
  return fromJwk(x as string);
}

/** The node's key pair: made once and kept in the data directory (0600), so restarts keep peers. */
export async function loadOrCreateKeys(dataDir: string): Promise<WireGuardKeys> {
  const file = join(dataDir, KEY_FILE);
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (existing) return { privateKey: existing, publicKey: publicKeyOf(existing) };
  const jwk = generateKeyPairSync("x25519").privateKey.export({ format: "jwk" });
  const keys = { privateKey: fromJwk(jwk.d as string), publicKey: fromJwk(jwk.x as string) };
  await writeFile(file, `${keys.privateKey}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return keys;
}

/** `wg show <dev> dump` peer lines → public key → its configuration as WireGuard reports it. */
export function parsePeers(dump: string): Map<string, WireGuardPeer> {
  const peers = new Map<string, WireGuardPeer>();
  // The first line is the interface; each peer line: key, psk, endpoint, allowed-ips, handshake, rx, tx, keepalive.
  for (const line of dump.split("\n").slice(1)) {
    const [publicKey, , endpoint, allowedIPs] = line.split("\t");
    if (!publicKey || allowedIPs === undefined) continue;
    peers.set(publicKey, { publicKey, endpoint: endpoint === "(none)" ? undefined : endpoint, allowedIPs });
  }
  return peers;
}

/**
 * The `wg set` arguments, one list per peer, that turn `present` into `wanted`. An endpoint
 * is set when a peer is new or its advertised endpoint changed since `configured`, never merely
 * because WireGuard roamed to where the peer's packets now come from (a node behind NAT).
 */
export function peerChanges(present: Map<string, WireGuardPeer>, wanted: WireGuardPeer[], configured: Map<string, string | undefined>): string[][] {
  const changes: string[][] = [];
  const keep = new Set(wanted.map((p) => p.publicKey));
  for (const key of present.keys()) if (!keep.has(key)) changes.push(["peer", key, "remove"]);
  for (const peer of wanted) {
    const now = present.get(peer.publicKey);
    const endpointChanged = peer.endpoint !== undefined && (!now || configured.get(peer.publicKey) !== peer.endpoint);
    if (now && now.allowedIPs === peer.allowedIPs && !endpointChanged) continue;
    const args = ["peer", peer.publicKey, "allowed-ips", peer.allowedIPs, "persistent-keepalive", String(PERSISTENT_KEEPALIVE_S)];
    if (peer.endpoint) args.push("endpoint", peer.endpoint);
    changes.push(args);
  }
  return changes;
}

export type WireGuardImplementation = "kernel" | "wireguard-go";

async function linkExists(device: string): Promise<boolean> {
  return runCommand("ip", ["link", "show", "dev", device]).then(
    () => true,
    () => false,
  );
}

/** Starts wireguard-go, which creates the tun device and stays in the background (it outlives the agent). */
function startWireguardGo(device: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("wireguard-go", [device], { stdio: ["ignore", "ignore", "pipe"], detached: true });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => reject(new Error(`wireguard-go: ${error.message} (install Debian's wireguard-go)`)));
    // Without -f it forks its daemon and the launcher exits 0 once the device is up.
    // Not unref'd: this exit is awaited, and may be all that keeps the event loop running yet.
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`wireguard-go ${device}: exit ${code}: ${stderr.trim()}`))));
  });
}

export class WireGuardDevice {
  implementation: WireGuardImplementation = "kernel";
  private address: string | undefined;
  /** The endpoint each peer was last given (see peerChanges). */
  private readonly configured = new Map<string, string | undefined>();

  constructor(
    readonly device: string,
    readonly port: number,
    private readonly keyFile: string,
  ) {}

  /** Creates (or adopts) the device and sets its key and port. Idempotent across agent restarts. */
  async up(): Promise<void> {
    if (!(await linkExists(this.device))) {
      try {
        await runCommand("ip", ["link", "add", "dev", this.device, "type", "wireguard"]);
      } catch {
        // No kernel module ("Unknown device type"): the same protocol in userspace.
        await startWireguardGo(this.device);
        this.implementation = "wireguard-go";
      }
    } else {
      const details = await runCommand("ip", ["-d", "link", "show", "dev", this.device]);
      this.implementation = /\bwireguard\b/.test(details) ? "kernel" : "wireguard-go";
    }
    await runCommand("wg", ["set", this.device, "listen-port", String(this.port), "private-key", this.keyFile]);
    await runCommand("ip", ["link", "set", "dev", this.device, "mtu", String(WIREGUARD_MTU), "up"]);
  }

  /**
   * Gives the device the network address of this node's block (as flannel's wireguard backend
   * does): the node's own connections to remote pods leave with a source that peers accept.
   */
  async setPodCIDR(cidr: string): Promise<void> {
    const address = `${networkAddress(cidr)}/32`;
    if (address === this.address) return;
    await runCommand("ip", ["addr", "replace", address, "dev", this.device]);
    this.address = address;
  }

  async syncPeers(wanted: WireGuardPeer[]): Promise<void> {
    const present = parsePeers(await runCommand("wg", ["show", this.device, "dump"]));
    // One `wg set` per peer: a peer the kernel refuses does not hold back the others.
    const failures: string[] = [];
    for (const args of peerChanges(present, wanted, this.configured)) {
      await runCommand("wg", ["set", this.device, ...args]).catch((error: unknown) => failures.push(String(error)));
    }
    this.configured.clear();
    for (const peer of wanted) this.configured.set(peer.publicKey, peer.endpoint);
    if (failures.length > 0) throw new Error(failures.join("; "));
  }

  /** Removes the device (wireguard-go exits when its device goes). */
  static async remove(device: string): Promise<void> {
    await runCommand("ip", ["link", "del", "dev", device]).catch(() => undefined);
  }
}

export function keyFile(dataDir: string): string {
  return join(dataDir, KEY_FILE);
}
