// The agent's configuration file (`--config <file>`, JSON) and its node credential: a join token
// is exchanged once for a credential kept in <dataDir>/credential.json; `token` skips the join.
import { readFile } from "node:fs/promises";
import { CLUSTER_CIDR, CLUSTER_DOMAIN, KUBE_DNS_SERVICE_IP, SERVICE_CIDR } from "../shared/cluster-network";
import { DEFAULT_INGRESS, type IngressConfig } from "./ingress/ingress-controller";
import { DEFAULT_WIREGUARD_PORT, WIREGUARD_ENDPOINT } from "./network/wireguard";

export interface AgentConfig {
  server: string;
  caFile?: string;
  nodeName: string;
  dataDir: string;
  joinToken?: string;
  /** A ready bearer token (a node credential or, in tests, the admin token): no join. */
  token?: string;
  dockerSocket?: string;
  labels?: Record<string, string>;
  /** The address to report and route pods through (kubelet's --node-ip); else the first global IPv4. */
  nodeIP?: string;
  network: NetworkConfig;
  /** The ingress controller (nginx, configured from the cluster's Ingresses). */
  ingress: IngressConfig;
  /** kubelet's nodeLeaseDurationSeconds: the Lease is renewed every quarter of it. Default 40. */
  nodeLeaseDurationSeconds?: number;
}

/**
 * The pod network, Service proxy and cluster DNS this agent programs into the machine's kernel.
 * One agent per network namespace may own them; `enabled: false` leaves pods on a plain Docker
 * bridge (no Services, no cluster DNS), for a machine that already runs another agent.
 */
export interface NetworkConfig {
  enabled: boolean;
  /** Every pod address (kube-controller-manager's --cluster-cidr); nodes hold blocks of it. */
  clusterCIDR: string;
  /** Service addresses (--service-cluster-ip-range): never routed off the node. */
  serviceCIDR: string;
  /** The cluster DNS Service's address (kubelet's --cluster-dns), served on this node. */
  clusterDNS: string;
  clusterDomain: string;
  /** Where names outside the cluster go (`ip` or `ip:port`); default: the machine's resolv.conf nameservers. */
  upstreamDNS?: string[];
  /** The Linux bridge the pods sit on (Docker's bridge driver names it so). */
  bridge: string;
  /**
   * How pod traffic crosses to other nodes: `host-gw` routes through their addresses (one
   * layer-2 network); `wireguard` is an encrypted overlay for nodes apart or behind NAT.
   */
  backend: "host-gw" | "wireguard";
  wireguardPort: number;
  wireguardDevice: string;
  /** ip:port the other nodes should send to (a public or forwarded address); default InternalIP:port. */
  wireguardEndpoint?: string;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  enabled: true,
  clusterCIDR: CLUSTER_CIDR,
  serviceCIDR: SERVICE_CIDR,
  clusterDNS: KUBE_DNS_SERVICE_IP,
  clusterDomain: CLUSTER_DOMAIN,
  bridge: "edgeplane0",
  backend: "host-gw",
  wireguardPort: DEFAULT_WIREGUARD_PORT,
  wireguardDevice: "edgeplane-wg",
};

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

function parseNetwork(raw: unknown): NetworkConfig {
  if (raw === undefined) return { ...DEFAULT_NETWORK };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`config: "network" must be an object`);
  const obj = raw as Record<string, unknown>;
  const field = (key: string, pattern: RegExp | undefined, fallback: string): string => {
    const value = stringField(obj, key, false);
    if (value === undefined) return fallback;
    if (pattern && !pattern.test(value)) throw new Error(`config: "network.${key}" is not valid: ${value}`);
    return value;
  };
  if (obj.enabled !== undefined && typeof obj.enabled !== "boolean") throw new Error(`config: "network.enabled" must be true or false`);
  const upstream = obj.upstreamDNS;
  const hostPort = (u: unknown) => typeof u === "string" && IPV4.test(u.replace(/:\d{1,5}$/, ""));
  if (upstream !== undefined && (!Array.isArray(upstream) || !upstream.every(hostPort))) {
    throw new Error(`config: "network.upstreamDNS" must be a list of IPv4 addresses (with an optional :port)`);
  }
  const bridge = field("bridge", /^[a-zA-Z0-9_-]{1,15}$/, DEFAULT_NETWORK.bridge);
  const backend = field("backend", /^(host-gw|wireguard)$/, DEFAULT_NETWORK.backend) as NetworkConfig["backend"];
  const port = obj.wireguardPort ?? DEFAULT_NETWORK.wireguardPort;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`config: "network.wireguardPort" must be a port number`);
  const endpoint = stringField(obj, "wireguardEndpoint", false);
  if (endpoint !== undefined && !WIREGUARD_ENDPOINT.test(endpoint)) throw new Error(`config: "network.wireguardEndpoint" must be an IPv4 address and port (ip:port)`);
  return {
    enabled: obj.enabled === undefined ? DEFAULT_NETWORK.enabled : (obj.enabled as boolean),
    clusterCIDR: field("clusterCIDR", IPV4_CIDR, DEFAULT_NETWORK.clusterCIDR),
    serviceCIDR: field("serviceCIDR", IPV4_CIDR, DEFAULT_NETWORK.serviceCIDR),
    clusterDNS: field("clusterDNS", IPV4, DEFAULT_NETWORK.clusterDNS),
    clusterDomain: field("clusterDomain", /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, DEFAULT_NETWORK.clusterDomain),
    upstreamDNS: upstream as string[] | undefined,
    bridge,
    backend,
    wireguardPort: port,
    wireguardDevice: field("wireguardDevice", /^[a-zA-Z0-9_-]{1,15}$/, DEFAULT_NETWORK.wireguardDevice),
    wireguardEndpoint: endpoint,
  };
}

function parseIngress(raw: unknown): IngressConfig {
  if (raw === undefined) return { ...DEFAULT_INGRESS };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`config: "ingress" must be an object`);
  const obj = raw as Record<string, unknown>;
  if (obj.enabled !== undefined && typeof obj.enabled !== "boolean") throw new Error(`config: "ingress.enabled" must be true or false`);
  const port = (key: "httpPort" | "httpsPort"): number => {
    const value = obj[key] ?? DEFAULT_INGRESS[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`config: "ingress.${key}" must be a port number`);
    return value;
  };
  const bindAddress = stringField(obj, "bindAddress", false);
  if (bindAddress !== undefined && !IPV4.test(bindAddress)) throw new Error(`config: "ingress.bindAddress" must be an IPv4 address`);
  const config: IngressConfig = { enabled: obj.enabled === undefined ? DEFAULT_INGRESS.enabled : (obj.enabled as boolean), httpPort: port("httpPort"), httpsPort: port("httpsPort"), bindAddress };
  if (config.httpPort === config.httpsPort) throw new Error(`config: "ingress.httpPort" and "ingress.httpsPort" must differ`);
  return config;
}

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function stringField(raw: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = raw[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || value === "") throw new Error(`config: "${key}" must be a non-empty string`);
  return value;
}

/** Validates a parsed config object; every problem is an Error naming the field. */
export function parseConfig(raw: unknown): AgentConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("config: must be a JSON object");
  const obj = raw as Record<string, unknown>;
  const server = stringField(obj, "server", true) as string;
  if (!/^https?:\/\//.test(server)) throw new Error(`config: "server" must be an http(s) URL`);
  const nodeName = stringField(obj, "nodeName", true) as string;
  if (!NODE_NAME.test(nodeName) || nodeName.length > 253) throw new Error(`config: "nodeName" must be a DNS subdomain name`);
  const labels = obj.labels;
  if (labels !== undefined) {
    if (typeof labels !== "object" || labels === null || Array.isArray(labels)) throw new Error(`config: "labels" must be an object`);
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value !== "string") throw new Error(`config: labels["${key}"] must be a string`);
    }
  }
  const config: AgentConfig = {
    server,
    nodeName,
    dataDir: stringField(obj, "dataDir", false) ?? "/var/lib/edgeplane",
    caFile: stringField(obj, "caFile", false),
    joinToken: stringField(obj, "joinToken", false),
    token: stringField(obj, "token", false),
    dockerSocket: stringField(obj, "dockerSocket", false),
    labels: labels as Record<string, string> | undefined,
    nodeIP: stringField(obj, "nodeIP", false),
    network: parseNetwork(obj.network),
    ingress: parseIngress(obj.ingress),
  };
  if (config.nodeIP !== undefined && !IPV4.test(config.nodeIP)) throw new Error(`config: "nodeIP" must be an IPv4 address`);
  const lease = obj.nodeLeaseDurationSeconds;
  if (lease !== undefined) {
    if (typeof lease !== "number" || !Number.isInteger(lease) || lease < 1) throw new Error(`config: "nodeLeaseDurationSeconds" must be a positive whole number of seconds`);
    config.nodeLeaseDurationSeconds = lease;
  }
  return config;
}

export async function loadConfig(path: string): Promise<AgentConfig> {
  const text = await readFile(path, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`config ${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseConfig(raw);
}

/** `--config <file>` or `--config=<file>` from argv. */
export function configPathFromArgs(argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--config" && argv[i + 1]) return argv[i + 1] as string;
    if (arg.startsWith("--config=")) return arg.slice("--config=".length);
  }
  throw new Error("usage: agent --config <file>");
}
