// Nodes with true separation on one machine: each node is a network namespace with its own Docker
// engine (dockerd entered into the namespace with nsenter), its own agent, its own nftables,
// routes, bridge and cluster DNS address, and one veth to a "LAN": a bridge in a namespace of its
// own. The namespaces have no default route, so nothing the nodes send can leave the machine.
// The control plane listens on the host's loopback; a relay in each namespace carries the agent's
// connections there through a unix socket, so the agent uses the Worker's URL unchanged.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../scripts/lib/wrangler";
import type { Cluster } from "./harness";
import { eventually } from "./helpers";
import { createJoinToken } from "./node-agent-lib";

const run = promisify(execFile);

/** RFC 2544's benchmarking range: on no real network, and only on the LAN bridge made here. */
export const LAN_PREFIX = "198.18.0";

export async function sh(command: string, args: string[], timeout = 60_000): Promise<string> {
  const { stdout } = await run(command, args, { timeout, maxBuffer: 16 * 2 ** 20 });
  return stdout;
}

/** Runs a command inside a namespace (`ip netns exec`: also a private /sys for that namespace). */
export function inNetns(netns: string, command: string, ...args: string[]): Promise<string> {
  return sh("ip", ["netns", "exec", netns, command, ...args]);
}

/**
 * Refuses (throws) unless the node's namespace routes `ip` the way `expected` says (its bridge,
 * the Service sink, the other node, the WireGuard device): checked before anything is sent there.
 */
export async function assertRoute(node: { name: string; netns: string }, ip: string, expected: RegExp): Promise<string> {
  const route = await inNetns(node.netns, "ip", "route", "get", ip);
  if (!expected.test(route)) throw new Error(`refusing to send to ${ip} from ${node.name}: route is ${route.trim()}, expected ${expected}`);
  return route;
}

export interface Lan {
  netns: string;
  remove(): Promise<void>;
}

/** The LAN: a namespace holding one bridge that every node's veth plugs into. */
export async function createLan(id: string): Promise<Lan> {
  const netns = `ep-lan-${id}`;
  await sh("ip", ["netns", "add", netns]);
  await inNetns(netns, "ip", "link", "add", "lan", "type", "bridge");
  await inNetns(netns, "ip", "link", "set", "lan", "up");
  return {
    netns,
    async remove() {
      await sh("ip", ["netns", "del", netns]).catch(() => undefined);
    },
  };
}

export interface AgentOptions {
  backend: "host-gw" | "wireguard";
}

export interface NetnsNode {
  name: string;
  netns: string;
  ip: string;
  dockerSocket: string;
  /** Starts (or restarts) the agent; its data directory, and so its credential and keys, persist. */
  startAgent(options: AgentOptions): Promise<void>;
  /** SIGTERM, as systemd stops it: containers and kernel rules stay. */
  stopAgent(): Promise<void>;
  agentLog(): string;
  /** The running agent's process id (the same process `ip netns exec` became). */
  agentPid(): number | undefined;
  /** `wg` as the agent sees it: its namespace and its private /run/wireguard. */
  wg(...args: string[]): Promise<string>;
  docker(...args: string[]): Promise<string>;
  remove(): Promise<void>;
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// The relay inside the namespace: 127.0.0.1:<port> there → the unix socket → 127.0.0.1:<port> here.
const RELAY_SCRIPT = `
const net = require("node:net");
const [port, socketPath] = process.argv.slice(1);
net.createServer((c) => { const u = net.connect(socketPath); c.pipe(u).pipe(c); c.on("error", () => u.destroy()); u.on("error", () => c.destroy()); })
  .listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\\n"));
`;

/**
 * A node: namespace `ep-<id>-<index>`, address 198.18.0.<10+index> on the LAN, dockerd with
 * `images` loaded from the host's engine, and the control plane's port relayed in.
 */
export async function createNetnsNode(cluster: Cluster, lan: Lan, id: string, index: number, dir: string, images: string[]): Promise<NetnsNode> {
  const name = `netns-${id}-${index}`;
  const netns = `ep-${id}-${index}`;
  const ip = `${LAN_PREFIX}.${10 + index}`;
  const home = join(dir, `n${index}`);
  await mkdir(home, { recursive: true });
  const children: ChildProcess[] = [];
  const closers: (() => Promise<void>)[] = [];

  await sh("ip", ["netns", "add", netns]);
  closers.push(async () => void (await sh("ip", ["netns", "del", netns]).catch(() => undefined)));
  const port = `p${index}-${id}`.slice(0, 15);
  await sh("ip", ["link", "add", port, "netns", lan.netns, "type", "veth", "peer", "name", "eth0", "netns", netns]);
  await inNetns(lan.netns, "ip", "link", "set", port, "master", "lan", "up");
  await inNetns(netns, "ip", "addr", "add", `${ip}/24`, "dev", "eth0");
  await inNetns(netns, "ip", "link", "set", "eth0", "up");
  await inNetns(netns, "ip", "link", "set", "lo", "up");
  // A second interface with an address of its own (joined to nothing): the agent must report and
  // route through the address its --node-ip names, not whichever interface comes first.
  await inNetns(netns, "ip", "link", "add", "side0", "type", "veth", "peer", "name", "side1");
  await inNetns(netns, "ip", "addr", "add", `198.19.0.${10 + index}/24`, "dev", "side0");
  await inNetns(netns, "ip", "link", "set", "side0", "up");

  // The namespace's own Docker engine. nsenter (not `ip netns exec`): dockerd needs the host's /sys for cgroups.
  const dockerSocket = join(home, "docker.sock");
  const dockerd = spawn("nsenter", [
    `--net=/run/netns/${netns}`, "dockerd",
    "--data-root", join(home, "docker"), "--exec-root", join(home, "exec"), "--pidfile", join(home, "docker.pid"),
    "-H", `unix://${dockerSocket}`, "--bridge=none",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let dockerdLog = "";
  dockerd.stderr?.on("data", (chunk: Buffer) => (dockerdLog = (dockerdLog + chunk.toString()).slice(-8_000)));
  children.push(dockerd);
  const docker = (...args: string[]) => sh("docker", ["-H", `unix://${dockerSocket}`, ...args]);
  await eventually(async () => docker("version", "--format", "{{.Server.Version}}").then(() => true, () => false), `dockerd in ${netns}`, 60_000, 250).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${dockerdLog}`);
  });
  for (const image of images) await sh("sh", ["-c", `docker save ${image} | docker -H unix://${dockerSocket} load`], 120_000);

  // The control plane's port, relayed into the namespace.
  const apiPort = new URL(cluster.url).port;
  const relaySocket = join(home, "api.sock");
  const relayServer = net.createServer((c) => {
    const upstream = net.connect(Number(apiPort), "127.0.0.1");
    c.pipe(upstream).pipe(c);
    c.on("error", () => upstream.destroy());
    upstream.on("error", () => c.destroy());
  });
  await new Promise<void>((resolve) => relayServer.listen(relaySocket, resolve));
  closers.push(() => new Promise<void>((resolve) => relayServer.close(() => resolve())));
  const relay = spawn("nsenter", [`--net=/run/netns/${netns}`, process.execPath, "-e", RELAY_SCRIPT, apiPort, relaySocket], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(relay);
  await new Promise<void>((resolve, reject) => {
    relay.stdout?.once("data", () => resolve());
    relay.once("exit", (code) => reject(new Error(`relay in ${netns} exited ${code}`)));
  });

  const caFile = join(home, "ca.crt");
  await writeFile(caFile, cluster.caPem);
  const joinToken = await createJoinToken(cluster);
  const dataDir = join(home, "agent");
  const logFile = join(home, "agent.log");
  let agent: ChildProcess | undefined;

  const node: NetnsNode = {
    name,
    netns,
    ip,
    dockerSocket,
    docker,
    async startAgent(options) {
      const config = {
        server: cluster.url,
        caFile,
        nodeName: name,
        dataDir,
        joinToken,
        dockerSocket,
        nodeIP: ip,
        labels: { "edgeplane.test/slot": String(index) },
        network: { backend: options.backend },
        ingress: { enabled: false },
      };
      const configFile = join(home, "agent.json");
      await writeFile(configFile, JSON.stringify(config, null, 2));
      // wireguard-go keeps its control socket in /run/wireguard, named for the device: a private
      // tmpfs there per node, as two machines would have.
      const script = `mkdir -p /run/wireguard && mount -t tmpfs tmpfs /run/wireguard && exec "${process.execPath}" --import tsx node-agent/main.ts --config ${configFile} >>${logFile} 2>&1`;
      agent = spawn("ip", ["netns", "exec", netns, "sh", "-c", script], { cwd: REPO_ROOT, stdio: "ignore" });
      children.push(agent);
    },
    async stopAgent() {
      if (!agent) return;
      agent.kill("SIGTERM");
      await waitExit(agent, 10_000);
      agent = undefined;
    },
    agentPid() {
      return agent?.pid;
    },
    async wg(...args) {
      if (!agent?.pid) throw new Error(`${name}: no agent running`);
      return sh("nsenter", ["--target", String(agent.pid), "--net", "--mount", "wg", ...args]);
    },
    agentLog() {
      return existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-80).join("\n") : "(no agent log)";
    },
    async remove() {
      await node.stopAgent();
      // The pods, the agent's kernel state (with the WireGuard device: wireguard-go exits with it), the engine.
      const ids = (await docker("ps", "-aq").catch(() => "")).split("\n").filter(Boolean);
      if (ids.length > 0) await docker("rm", "-f", ...ids).catch(() => undefined);
      await sh("ip", ["netns", "exec", netns, process.execPath, "--import", "tsx", join(REPO_ROOT, "node-agent", "main.ts"), "--config", join(home, "agent.json"), "--teardown-network"]).catch(() => undefined);
      dockerd.kill("SIGTERM");
      await waitExit(dockerd, 20_000);
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      for (const close of closers.reverse()) await close();
      await rm(home, { recursive: true, force: true }).catch(() => undefined);
    },
  };
  return node;
}
