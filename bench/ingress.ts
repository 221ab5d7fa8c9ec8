// Ingress benchmark: the same routes (two hosts, three paths, TLS and plain) on the same three
// backend pods, measured side by side in one run with one load tool (wrk, keep-alive):
//   - through the edgeplane ingress (the agent's nginx, configured from the Ingress objects);
//   - through Debian's nginx, configured by hand for the same routes (what ingress-nginx renders);
//   - straight to one pod;
//   - and, as the alternative we did not build, a proxy in Node.js (bench/lib/node-proxy.ts).
// Then how long a new Ingress takes from `kubectl apply` to answering, and the ingress's memory
// with 100 Ingresses. Needs root, Docker, wrk and nginx (apt-get install -y wrk nginx).
//   npm run bench:ingress   (ROUNDS=5 DURATION_S=8 CONNECTIONS=32)
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findFreePort } from "../scripts/lib/local-cluster";
import { removeNode, startAgent, type TestAgent } from "../test/agent/agent-lib";
import { startCluster, toolAvailable, type Cluster } from "../test/e2e/harness";
import { eventually, kubectlOk } from "../test/e2e/helpers";
import { assertStaysLocal } from "../test/e2e/local-route";
import { selfSignedPem } from "../test/e2e/tls-certs";
import { percentile } from "./lib/client";
import { BACKEND_PORT, ensureNginxImage } from "./lib/nginx-image";
import { childPids, pssMb, rssMb, treeCpuNs } from "./lib/proc";
import { parseWrk, type WrkResult } from "./lib/wrk";

const run = promisify(execFile);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DURATION_S = Number(process.env.DURATION_S ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const LIVE_SAMPLES = Number(process.env.LIVE_SAMPLES ?? 10);
const MANY_INGRESSES = Number(process.env.MANY_INGRESSES ?? 100);
const NODE = `bench-ingress-${process.pid}`;
const LOOPBACK = "127.0.0.1";

const backendManifest = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - { name: nginx, image: ${image}, imagePullPolicy: Never, ports: [{ containerPort: ${BACKEND_PORT} }] }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: ${BACKEND_PORT} }]
`;

/** Two hosts, three paths, TLS on one host (kept on plain HTTP too, so both can be measured). */
const INGRESSES = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: bench-a
  annotations: { nginx.ingress.kubernetes.io/ssl-redirect: "false" }
spec:
  tls: [{ hosts: [a.bench], secretName: bench-tls }]
  rules:
  - host: a.bench
    http:
      paths:
      - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
      - { path: /api, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: bench-b }
spec:
  rules:
  - host: b.bench
    http:
      paths:
      - { path: /static, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;

/**
 * nginx configured by hand for the same routes and the same proxying, the way ingress-nginx
 * renders them with its defaults: forwarded headers, WebSocket pass-through, pooled keep-alive
 * to the pods, and responses passed on as they arrive (ingress-nginx's proxy-buffering "off").
 */
function nginxConfig(dir: string, pods: string[], http: number, https: number): string {
  const proxy = `proxy_pass http://web; proxy_http_version 1.1; proxy_set_header Connection $connection_upgrade; proxy_set_header Upgrade $http_upgrade; proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $http_host; proxy_set_header X-Forwarded-Port $server_port; proxy_set_header X-Real-IP $remote_addr;
      proxy_buffering off;`;
  return `worker_processes auto;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000;
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream web { ${pods.map((ip) => `server ${ip}:${BACKEND_PORT};`).join(" ")} keepalive 64; }
  server {
    listen ${LOOPBACK}:${http} default_server; listen ${LOOPBACK}:${https} ssl http2 default_server;
    server_name a.bench;
    ssl_certificate ${dir}/tls.pem; ssl_certificate_key ${dir}/tls.pem;
    location / { ${proxy} }
    location /api { ${proxy} }
  }
  server {
    listen ${LOOPBACK}:${http};
    server_name b.bench;
    location /static { ${proxy} }
    location / { return 404; }
  }
}
`;
}

interface Measured extends WrkResult {
  /** The proxy's CPU time (all its processes and threads) per request, in microseconds. */
  cpuUs: number;
}

/** One wrk run, and the CPU time the proxy whose main process is `proxyPid` spent on it. */
async function wrk(url: string, host: string, proxyPid?: number): Promise<Measured> {
  const args = ["-t2", `-c${CONNECTIONS}`, `-d${DURATION_S}s`, "--latency", "-H", `Host: ${host}`, url];
  await run("wrk", ["-t1", "-c1", "-d1s", "-H", `Host: ${host}`, url]);
  const cpuBefore = proxyPid ? treeCpuNs(proxyPid) : 0;
  const { stdout } = await run("wrk", args, { timeout: (DURATION_S + 30) * 1000 });
  const result = parseWrk(stdout);
  const cpuUs = proxyPid ? (treeCpuNs(proxyPid) - cpuBefore) / 1000 / result.requests : NaN;
  return { ...result, cpuUs };
}

function median(results: Measured[]): Measured {
  const pick = (f: (r: Measured) => number) => percentile(results.map(f), 50);
  return { rps: pick((r) => r.rps), requests: pick((r) => r.requests), p50: pick((r) => r.p50), p99: pick((r) => r.p99), cpuUs: pick((r) => r.cpuUs) };
}

/** The memory of a process and its children (nginx's master and workers): PSS summed, and RSS summed. */
function treeMemoryMb(pid: number): { pss: number; rss: number } {
  const tree = [pid, ...childPids(pid)];
  return { pss: tree.reduce((sum, p) => sum + pssMb(p), 0), rss: tree.reduce((sum, p) => sum + rssMb(p), 0) };
}

async function main(): Promise<void> {
  for (const tool of ["wrk", "nginx", "docker"]) if (!toolAvailable(tool)) throw new Error(`${tool} is needed: apt-get install -y wrk nginx docker.io`);
  const image = await ensureNginxImage();
  const dir = await mkdtemp(join(tmpdir(), "edgeplane-bench-ingress-"));
  let cluster: Cluster | undefined;
  let agent: TestAgent | undefined;
  let nginx: ChildProcess | undefined;
  let nodeProxy: ChildProcess | undefined;
  try {
    cluster = await startCluster({ requestLog: false });
    const c = cluster;
    const kubectl = (...args: string[]) => kubectlOk(c, args);
    const ports = { http: await findFreePort("0.0.0.0"), https: await findFreePort("0.0.0.0") };
    agent = await startAgent(cluster, NODE, join(dir, "agent"), { network: { enabled: true }, ingress: { httpPort: ports.http, httpsPort: ports.https } });
    await eventually(async () => new RegExp(`^${NODE}\\s+Ready`, "m").test(await kubectl("get", "nodes")), "node Ready", 60_000);
    await c.kubectl(["apply", "-f", "-"], { stdin: backendManifest(image) });
    await eventually(async () => ((await kubectl("get", "pods", "-l", "app=web", "--no-headers")).match(/1\/1\s+Running/g) ?? []).length === 3, "3 backend pods Running", 90_000, 500);
    const pods = (await kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.podIP}")).split(" ");
    // wrk, both nginx instances and the Node.js proxy all send to these pod IPs: each is checked with
    // `ip route get` to stay on this machine (the pod bridge) before anything is sent.
    for (const ip of pods) await assertStaysLocal(ip);

    const { cert, key } = await selfSignedPem(["a.bench"]);
    await writeFile(join(dir, "tls.crt"), cert);
    await writeFile(join(dir, "tls.key"), key);
    await writeFile(join(dir, "tls.pem"), cert + key);
    await kubectl("create", "secret", "tls", "bench-tls", `--cert=${join(dir, "tls.crt")}`, `--key=${join(dir, "tls.key")}`);
    await c.kubectl(["apply", "-f", "-"], { stdin: INGRESSES });
    const ingress = (scheme: "http" | "https", path: string) => `${scheme}://${LOOPBACK}:${scheme === "http" ? ports.http : ports.https}${path}`;
    await eventually(async () => (await run("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: b.bench", ingress("http", "/static/x")])).stdout === "200", "the ingress routes b.bench", 30_000, 200);

    const nginxPorts = { http: await findFreePort(LOOPBACK), https: await findFreePort(LOOPBACK) };
    await writeFile(join(dir, "nginx.conf"), nginxConfig(dir, pods, nginxPorts.http, nginxPorts.https));
    nginx = spawn("nginx", ["-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "inherit"] });
    const viaNginx = (scheme: "http" | "https", path: string) => `${scheme}://${LOOPBACK}:${scheme === "http" ? nginxPorts.http : nginxPorts.https}${path}`;
    await eventually(async () => (await run("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: a.bench", viaNginx("https", "/api")]).catch(() => ({ stdout: "" }))).stdout === "200", "nginx up", 10_000, 100);

    // The path not taken: the same routing in Node.js (node:http), measured on the plain routes.
    const nodePort = await findFreePort(LOOPBACK);
    nodeProxy = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "lib", "node-proxy.ts"), String(nodePort), pods.map((ip) => `${ip}:${BACKEND_PORT}`).join(",")], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => nodeProxy!.stdout!.once("data", () => resolve()));
    const viaNode = (path: string) => `http://${LOOPBACK}:${nodePort}${path}`;

    // Same routes, same pods, same load; the three paths alternate within each round.
    const ingressPid = Number(readFileSync(join(dir, "agent", "data", "ingress", "nginx.pid"), "utf8").trim());
    const cases: { label: string; edgeplane: [string, string]; nginx: [string, string] }[] = [
      { label: "a.bench/api, HTTP", edgeplane: [ingress("http", "/api/items"), "a.bench"], nginx: [viaNginx("http", "/api/items"), "a.bench"] },
      { label: "b.bench/static, HTTP", edgeplane: [ingress("http", "/static/app.js"), "b.bench"], nginx: [viaNginx("http", "/static/app.js"), "b.bench"] },
      { label: "a.bench/, HTTPS", edgeplane: [ingress("https", "/"), "a.bench"], nginx: [viaNginx("https", "/"), "a.bench"] },
    ];
    const results = new Map<string, Measured[]>();
    const add = (k: string, r: Measured) => results.set(k, [...(results.get(k) ?? []), r]);
    for (let round = 0; round < ROUNDS; round++) {
      await assertStaysLocal(pods[0]!);
      add("direct", await wrk(`http://${pods[0]}:${BACKEND_PORT}/api/items`, "a.bench"));
      add("node", await wrk(viaNode("/api/items"), "a.bench", nodeProxy.pid));
      for (const cs of cases) {
        // Which proxy goes first alternates by round, so neither always runs on a warmer machine.
        const order = round % 2 === 0 ? (["edgeplane", "nginx"] as const) : (["nginx", "edgeplane"] as const);
        for (const proxy of order) add(`${proxy} ${cs.label}`, await wrk(...cs[proxy], proxy === "edgeplane" ? ingressPid : nginx.pid));
      }
      process.stdout.write(`round ${round + 1} of ${ROUNDS} done\n`);
    }
    const direct = median(results.get("direct")!);
    const fmt = (r: Measured) => `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms${Number.isNaN(r.cpuUs) ? "" : `  proxy CPU ${r.cpuUs.toFixed(1)} µs/req`}`;
    const spread = (k: string) => results.get(k)!.map((r) => r.rps.toFixed(0)).join(" ");
    console.log(`\nwrk -t2 -c${CONNECTIONS} -d${DURATION_S}s, medians of ${ROUNDS} rounds, three backend pods (one for direct)`);
    console.log(`${"straight to a pod".padEnd(34)} ${fmt(direct)}`);
    console.log(`${"Node.js proxy a.bench/api, HTTP".padEnd(34)} ${fmt(median(results.get("node")!))}`);
    for (const cs of cases) {
      const e = median(results.get(`edgeplane ${cs.label}`)!);
      const n = median(results.get(`nginx ${cs.label}`)!);
      console.log(`${`edgeplane ${cs.label}`.padEnd(34)} ${fmt(e)}   (rounds: ${spread(`edgeplane ${cs.label}`)})`);
      console.log(`${`nginx ${cs.label}`.padEnd(34)} ${fmt(n)}   (rounds: ${spread(`nginx ${cs.label}`)})`);
      console.log(`${"".padEnd(34)} edgeplane/nginx: ${(e.rps / n.rps).toFixed(2)}× req/s, p99 ${(e.p99 / n.p99).toFixed(2)}×, CPU per request ${(e.cpuUs / n.cpuUs).toFixed(2)}×; edgeplane/direct ${(e.rps / direct.rps).toFixed(2)}× req/s`);
    }

    // From `kubectl apply` of a new Ingress to its first routed answer.
    const live: number[] = [];
    for (let i = 0; i < LIVE_SAMPLES; i++) {
      const host = `live-${i}.bench`;
      const started = performance.now();
      await c.kubectl(["create", "ingress", `live-${i}`, `--rule=${host}/*=web:80`]);
      await eventually(async () => (await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `Host: ${host}`, ingress("http", "/")])).stdout === "200", `${host} live`, 10_000, 10);
      live.push(performance.now() - started);
    }
    console.log(`\nkubectl create ingress → first routed answer: p50 ${percentile(live, 50).toFixed(0)} ms, max ${Math.max(...live).toFixed(0)} ms (n=${live.length}; each: ${live.map((ms) => ms.toFixed(0)).join(" ")})`);
    // A slow one is explained by what the ingress controller said meanwhile.
    if (Math.max(...live) > 1_000) console.log(agent.output().split("\n").filter((l) => l.includes("ingress:")).slice(-40).join("\n"));

    // Memory with MANY_INGRESSES Ingresses (two paths each) served.
    const before = treeMemoryMb(ingressPid);
    const many = Array.from({ length: MANY_INGRESSES }, (_, i) => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: `many-${i}` },
      spec: { rules: [{ host: `many-${i}.bench`, http: { paths: ["/", "/api"].map((path) => ({ path, pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } })) } }] },
    }));
    await c.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: many }) });
    await eventually(async () => (await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `Host: many-${MANY_INGRESSES - 1}.bench`, ingress("http", "/api")])).stdout === "200", "the last Ingress live", 30_000, 50);
    // Load them once so every worker has touched its maps, then read.
    await wrk(ingress("http", "/api"), `many-${MANY_INGRESSES - 1}.bench`);
    const after = treeMemoryMb(ingressPid);
    const mb = (m: { pss: number; rss: number }) => `${m.pss.toFixed(1)} MB (RSS summed over the processes: ${m.rss.toFixed(1)} MB)`;
    console.log(`\nthe ingress's nginx (master and workers) memory, PSS: ${mb(before)} with ${LIVE_SAMPLES + 2} Ingresses, ${mb(after)} with ${MANY_INGRESSES + LIVE_SAMPLES + 2}`);
    const agentPid = agent.pid();
    if (agentPid) console.log(`node agent (everything it does, not only ingress) resident memory: ${rssMb(agentPid).toFixed(1)} MB`);
  } finally {
    nginx?.kill("SIGTERM");
    nodeProxy?.kill("SIGTERM");
    await agent?.stop();
    await removeNode(NODE).catch(() => undefined);
    await run(process.execPath, ["--import", "tsx", "node-agent/main.ts", "--config", join(dir, "agent", "agent.json"), "--teardown-network"]).catch(() => undefined);
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
