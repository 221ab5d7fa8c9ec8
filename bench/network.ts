// The pod network and Service proxy on two separated nodes (a network namespace, a Docker engine
// and an agent each, as the two-node test builds them), each figure beside its anchor, measured
// in one run with one load tool (wrk, new connection per request: busybox httpd closes each one,
// so every request pays the first-packet path where the Service rules act):
//   - requests to a ClusterIP against the same requests to the pod IP behind it;
//   - a NodePort against the pod IP;
//   - pod to pod across nodes against host to host across the same LAN (host-gw, then WireGuard);
//   - cluster DNS queries per second against one node's server (dnsperf), per CPU-second of the agent;
//   - time from an endpoint change (a pod leaves and rejoins a Service) to the rules and the
//     DNS records on both nodes.
//   npm run bench:network   (needs root, wrk and dnsperf: apt-get install -y wrk dnsperf)
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBusyboxImage } from "../test/e2e/docker-images";
import { startCluster, toolAvailable, type Cluster } from "../test/e2e/harness";
import { eventually, kubectlOk } from "../test/e2e/helpers";
import { assertRoute, createLan, createNetnsNode, inNetns, sh, type Lan, type NetnsNode } from "../test/e2e/netns-nodes";
import { percentile } from "./lib/client";
import { parseWrk, type WrkResult } from "./lib/wrk";
import { cpuSeconds } from "./lib/proc";

const DURATION_S = Number(process.env.DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
/** Each pair is measured this many times, alternating, and the medians are reported. */
const PAIRS = Number(process.env.PAIRS ?? 3);
const HOST_PORT = 18080;

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: { name: bench }
${[1, 2].map((slot) => `---
apiVersion: v1
kind: Pod
metadata: { name: web-${slot}, namespace: bench, labels: { app: web, pod: web-${slot} } }
spec:
  nodeSelector: { edgeplane.test/slot: "${slot}" }
  containers:
  - name: web
    image: edgeplane.test/busybox:1
    imagePullPolicy: Never
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: [{ containerPort: 8080 }]
    readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }`).join("\n")}
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: bench }
spec:
  nodeSelector: { edgeplane.test/slot: "1" }
  containers: [{ name: client, image: edgeplane.test/busybox:1, imagePullPolicy: Never, command: ["sleep", "3600"] }]
---
apiVersion: v1
kind: Service
metadata: { name: one, namespace: bench }
spec:
  type: NodePort
  selector: { pod: web-1 }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: bench }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: web-headless, namespace: bench }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

/** wrk from inside a network namespace given as an nsenter target (a pod's, or a node's). */
async function wrk(netnsArgs: string[], url: string): Promise<WrkResult> {
  // A short warm-up: ARP, conntrack and the server's first fork are not what is measured.
  await sh("nsenter", [...netnsArgs, "wrk", "-t1", "-c1", "-d1s", url]);
  return parseWrk(await sh("nsenter", [...netnsArgs, "wrk", "-t1", `-c${CONNECTIONS}`, `-d${DURATION_S}s`, "--latency", url], (DURATION_S + 30) * 1000));
}

// TCP connect time (SYN out, SYN-ACK back: the first packet, where Service rules act), then a
// reset, so neither side keeps TIME_WAIT sockets that a later connect could collide with.
const CONNECT_SCRIPT = `
const net = require("node:net");
const [host, port, count] = process.argv.slice(1);
const times = [];
const one = () => {
  const started = process.hrtime.bigint();
  const socket = net.connect({ host, port: Number(port) });
  socket.once("connect", () => {
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    socket.resetAndDestroy();
    if (times.length < Number(count)) setImmediate(one);
    else process.stdout.write(JSON.stringify(times));
  });
  socket.once("error", (e) => { process.stderr.write(e.message); process.exit(1); });
};
one();
`;

async function connectTimes(netnsArgs: string[], host: string, port: number | string, count = 2_000): Promise<number[]> {
  return JSON.parse(await sh("nsenter", [...netnsArgs, process.execPath, "-e", CONNECT_SCRIPT, host, String(port), String(count)], 120_000)) as number[];
}

/** Round trips of `count` pings (busybox ping, same binary on both sides), in milliseconds. */
async function pingTimes(netnsArgs: string[], address: string, count = 2_000): Promise<number[]> {
  const out = await sh("nsenter", [...netnsArgs, "busybox", "ping", "-c", String(count), "-i", "0.002", address], 120_000);
  return [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

async function compareTimes(label: string, measured: () => Promise<number[]>, anchorLabel: string, anchor: () => Promise<number[]>): Promise<void> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    a.push(...(await measured()));
    b.push(...(await anchor()));
  }
  const f = (n: number) => n.toFixed(3);
  const [a50, a99, b50, b99] = [percentile(a, 50), percentile(a, 99), percentile(b, 50), percentile(b, 99)];
  console.log(`${label}: p50 ${f(a50)} ms, p99 ${f(a99)} ms (n=${a.length})`);
  console.log(`  ${anchorLabel}: p50 ${f(b50)} ms, p99 ${f(b99)} ms (n=${b.length})`);
  console.log(`  ratio: p50 ${(a50 / b50).toFixed(2)}x, p99 ${(a99 / b99).toFixed(2)}x, added p50 ${f(a50 - b50)} ms`);
}

/** Lets wrk's new connection per request reuse TIME_WAIT ports, or runs starve for ports. */
async function reuseTimeWait(netnsArgs: string[]): Promise<void> {
  await sh("nsenter", [...netnsArgs, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse && echo '10000 65000' > /proc/sys/net/ipv4/ip_local_port_range"]);
}

const nodeNs = (node: NetnsNode) => [`--net=/run/netns/${node.netns}`];

async function podNs(node: NetnsNode, pod: string): Promise<string[]> {
  const id = (await node.docker("ps", "-q", "--filter", `label=io.kubernetes.pod.name=${pod}`, "--filter", "label=io.kubernetes.docker.type=podsandbox")).trim().split("\n")[0];
  const pid = (await node.docker("inspect", "-f", "{{.State.Pid}}", id!)).trim();
  return [`--net=/proc/${pid}/ns/net`];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Measured and anchor alternately, PAIRS times each, so drift on the machine hits both alike. */
async function compare(label: string, measured: () => Promise<WrkResult>, anchorLabel: string, anchor: () => Promise<WrkResult>): Promise<void> {
  const a: WrkResult[] = [];
  const b: WrkResult[] = [];
  for (let i = 0; i < PAIRS; i++) {
    a.push(await measured());
    b.push(await anchor());
  }
  const mid = (rs: WrkResult[]): WrkResult => ({ rps: median(rs.map((r) => r.rps)), requests: median(rs.map((r) => r.requests)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) });
  console.log(row(label, mid(a), anchorLabel, mid(b)));
}

function row(label: string, measured: WrkResult, anchorLabel: string, anchor: WrkResult): string {
  const f = (n: number) => n.toFixed(3);
  return [
    `${label}: p50 ${f(measured.p50)} ms, p99 ${f(measured.p99)} ms, ${measured.rps.toFixed(0)} req/s`,
    `  ${anchorLabel}: p50 ${f(anchor.p50)} ms, p99 ${f(anchor.p99)} ms, ${anchor.rps.toFixed(0)} req/s`,
    `  ratio: p50 ${(measured.p50 / anchor.p50).toFixed(2)}x, p99 ${(measured.p99 / anchor.p99).toFixed(2)}x, added p50 ${f(measured.p50 - anchor.p50)} ms`,
  ].join("\n");
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("bench:network needs root (network namespaces)");
  for (const tool of ["wrk", "dnsperf", "nsenter", "nft", "wg", "wireguard-go", "kubectl", "docker"]) {
    if (!toolAvailable(tool)) throw new Error(`${tool} is needed (apt-get install -y wrk dnsperf wireguard-tools wireguard-go nftables)`);
  }
  const image = await ensureBusyboxImage();
  const id = `b${(process.pid % 10_000).toString(36)}`;
  const dir = await mkdtemp(join(tmpdir(), "epbn-"));
  let cluster: Cluster | undefined;
  let lan: Lan | undefined;
  const nodes: NetnsNode[] = [];
  let hostServer: ChildProcess | undefined;
  try {
    cluster = await startCluster({ requestLog: false });
    lan = await createLan(id);
    for (const index of [1, 2]) nodes.push(await createNetnsNode(cluster, lan, id, index, dir, [image]));
    const [n1, n2] = nodes as [NetnsNode, NetnsNode];
    const kubectl = (...args: string[]) => kubectlOk(cluster!, args);
    for (const node of nodes) await node.startAgent({ backend: "host-gw" });
    await eventually(async () => (await kubectl("get", "nodes", "--no-headers")).match(/\sReady\s/g)?.length === 2, "both nodes Ready", 90_000, 500);
    await cluster.kubectl(["apply", "-f", "-"], { stdin: MANIFEST });
    await eventually(async () => ((await kubectl("-n", "bench", "get", "pods", "--no-headers")).match(/\s1\/1\s+Running\s/g) ?? []).length === 3, "bench pods Running", 120_000, 500);
    const get = (kind: string, name: string, path: string) => kubectl("-n", "bench", "get", kind, name, "-o", `jsonpath={${path}}`);
    const web1 = await get("pod", "web-1", ".status.podIP");
    const web2 = await get("pod", "web-2", ".status.podIP");
    const oneIP = await get("svc", "one", ".spec.clusterIP");
    const nodePort = await get("svc", "one", ".spec.ports[0].nodePort");
    const client = await podNs(n1, "client");
    for (const ns of [client, nodeNs(n1), nodeNs(n2)]) await reuseTimeWait(ns);
    // Host networking's anchor: the same server, on node 2's own address.
    const www = join(dir, "www");
    await mkdir(www, { recursive: true });
    await writeFile(join(www, "index.html"), "host\n");
    hostServer = spawn("ip", ["netns", "exec", n2.netns, "busybox", "httpd", "-f", "-p", `${n2.ip}:${HOST_PORT}`, "-h", www], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 300));
    // Before any load: every address is routed where it should be inside the sending node's
    // namespace (the client pod's traffic is routed by node 1).
    // Every address the runs below send to, checked with `ip route get` in the sending namespace.
    await assertRoute(n1, web1, /dev edgeplane0/);
    await assertRoute(n1, oneIP, /dev edgeplane-svc/);
    await assertRoute(n1, web2, new RegExp(`via ${n2.ip} dev eth0`));
    await assertRoute(n1, n2.ip, /dev eth0/);
    await assertRoute(n1, "10.96.0.10", /^local |dev edgeplane-svc/);
    await assertRoute(n2, web1, new RegExp(`via ${n1.ip} dev eth0`));
    await assertRoute(n2, n1.ip, /dev eth0/);

    console.log(`bench:network — two namespaced nodes, wrk -c${CONNECTIONS} -d${DURATION_S}s per figure, busybox httpd behind every address`);
    console.log(`bench:network — medians of ${PAIRS} alternating runs per pair\n`);
    console.log("TCP connect time (first packet and its answer), 2,000 connects per run:");
    await compareTimes("connect to ClusterIP (pod on node 1 → pod on node 1)", () => connectTimes(client, oneIP, 80), "connect to the pod IP", () => connectTimes(client, web1, 8080));
    await compareTimes("connect to NodePort (node 2 → node 1:nodePort → pod on node 1)", () => connectTimes(nodeNs(n2), n1.ip, nodePort), "connect to the pod IP from node 2", () => connectTimes(nodeNs(n2), web1, 8080));
    await compareTimes("connect pod to pod across nodes, host-gw", () => connectTimes(client, web2, 8080), "connect host to host", () => connectTimes(nodeNs(n1), n2.ip, HOST_PORT));
    console.log("\nHTTP (wrk), one new connection per request:");
    await compare("ClusterIP (pod on node 1 → Service → pod on node 1)", () => wrk(client, `http://${oneIP}/`), "pod IP, same pods", () => wrk(client, `http://${web1}:8080/`));
    await compare("NodePort (node 2 → node 1's address:nodePort → pod on node 1)", () => wrk(nodeNs(n2), `http://${n1.ip}:${nodePort}/`), "pod IP from node 2", () => wrk(nodeNs(n2), `http://${web1}:8080/`));
    const hostToHost = () => wrk(nodeNs(n1), `http://${n2.ip}:${HOST_PORT}/`);
    await compare("pod to pod across nodes, host-gw", () => wrk(client, `http://${web2}:8080/`), "host to host across the LAN", hostToHost);
    const hostPing = () => pingTimes(nodeNs(n1), n2.ip);
    await compareTimes("ping round trip, pod to pod across nodes, host-gw", () => pingTimes(client, web2), "ping host to host", hostPing);

    // DNS: dnsperf against node 1's cluster DNS, names the zone answers itself.
    const queries = join(dir, "queries.txt");
    await writeFile(queries, ["web.bench.svc.cluster.local A", "web-headless.bench.svc.cluster.local A", "one.bench.svc.cluster.local A", "_http._tcp.web.bench.svc.cluster.local SRV", "nothere.bench.svc.cluster.local A"].join("\n") + "\n");
    const agentPid = n1.agentPid()!;
    const cpuBefore = cpuSeconds(agentPid);
    const dns = await inNetns(n1.netns, "dnsperf", "-s", "10.96.0.10", "-d", queries, "-l", "10", "-c", "4", "-Q", "100000");
    const cpu = cpuSeconds(agentPid) - cpuBefore;
    const qps = Number(/Queries per second:\s+([\d.]+)/.exec(dns)?.[1]);
    const lost = /Queries lost:\s+(\d+)/.exec(dns)?.[1];
    const answered = Number(/Queries completed:\s+(\d+)/.exec(dns)?.[1]);
    console.log(`cluster DNS (dnsperf, 10 s, 4 clients): ${qps.toFixed(0)} queries/s, ${lost} lost; the agent used ${cpu.toFixed(2)} CPU-s: ${(answered / cpu).toFixed(0)} queries per CPU-second`);

    // Endpoint change → every node's rules and DNS records.
    const rulesHave = (node: NetnsNode) => inNetns(node.netns, "nft", "list", "table", "ip", "edgeplane").then((t) => t.includes(web2));
    const dnsHas = (node: NetnsNode) => inNetns(node.netns, "busybox", "nslookup", "web-headless.bench.svc.cluster.local", "10.96.0.10").then((t) => t.includes(web2), () => false);
    const changes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const leaving = round % 2 === 0;
      const started = performance.now();
      await kubectl("-n", "bench", "label", "pod", "web-2", "--overwrite", `app=${leaving ? "away" : "web"}`);
      const seen = await Promise.all(nodes.flatMap((node) => [rulesHave, dnsHas].map(async (probe) => {
        for (;;) {
          if ((await probe(node)) !== leaving) return performance.now() - started;
          if (performance.now() - started > 10_000) throw new Error(`${node.name}: no change after 10 s`);
        }
      })));
      changes.push(Math.max(...seen));
    }
    console.log(`endpoint change → rules and DNS on both nodes (kubectl label, then polling nft and nslookup on each node; includes the kubectl call): p50 ${percentile(changes, 50).toFixed(0)} ms, max ${Math.max(...changes).toFixed(0)} ms (n=${changes.length})`);

    // The same cross-node figures over WireGuard.
    for (const node of nodes) await node.stopAgent();
    for (const node of nodes) await node.startAgent({ backend: "wireguard" });
    await eventually(async () => assertRoute(n1, web2, /dev edgeplane-wg/).then(() => true, () => false), "routes into WireGuard", 60_000, 250);
    const clientWg = await podNs(n1, "client");
    await compareTimes("connect pod to pod across nodes, WireGuard (wireguard-go)", () => connectTimes(clientWg, web2, 8080), "connect host to host", () => connectTimes(nodeNs(n1), n2.ip, HOST_PORT));
    await compareTimes("ping round trip, pod to pod across nodes, WireGuard (wireguard-go)", () => pingTimes(clientWg, web2), "ping host to host", hostPing);
    await compare("pod to pod across nodes, WireGuard (wireguard-go)", () => wrk(clientWg, `http://${web2}:8080/`), "host to host across the LAN", hostToHost);
  } finally {
    hostServer?.kill("SIGKILL");
    for (const node of nodes) await node.remove();
    await lan?.remove();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
