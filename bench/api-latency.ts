// API latency against the local Worker (workerd + D1): p50/p99 of get, create, update,
// a paged list of 10,000 pods (limit=500, as kubectl pages), and watch delivery to 100
// concurrent watchers. Run: npm run bench:api
import { execFileSync } from "node:child_process";
import { startCluster } from "../test/e2e/harness";
import { clientFromKubeconfig, percentile, summary } from "./lib/client";

const SEED_PODS = Number(process.env.SEED_PODS ?? 10_000);
const SAMPLES = Number(process.env.SAMPLES ?? 500);
const WATCHERS = Number(process.env.WATCHERS ?? 100);
const WATCH_WRITES = Number(process.env.WATCH_WRITES ?? 50);
const SEED_CONCURRENCY = 8;

/** Resident memory of the workerd processes in wrangler's process group, in MB. */
function workerdRssMb(pgid: number): string {
  const out = execFileSync("ps", ["-o", "rss=,comm=", "-g", String(pgid)], { encoding: "utf8" });
  const kb = out
    .split("\n")
    .filter((l) => l.includes("workerd"))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]), 0);
  return (kb / 1024).toFixed(0);
}

function pod(name: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "bench", shard: String(name.length % 10) } },
    // Already bound, as in a settled cluster: this measures the API, not scheduling
    // (bench/scheduler.ts and the controllers' benchmark measure that).
    spec: { nodeName: "bench-node", containers: [{ name: "c", image: "busybox:1.36", command: ["sleep", "3600"], resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
  };
}

async function main() {
  // As `npm start` runs it: without wrangler's per-request log (local-only overhead) unless REQUEST_LOG=true.
  const requestLog = process.env.REQUEST_LOG === "true";
  const cluster = await startCluster({ requestLog });
  console.log(`local cluster: wrangler's request log ${requestLog ? "on" : "off"}`);
  const api = clientFromKubeconfig(cluster.kubeconfig);
  try {
    await api.call("POST", "/api/v1/namespaces", { metadata: { name: "bench" } });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SEED_CONCURRENCY }, async () => {
        while (next < SEED_PODS) {
          const i = next++;
          const res = await api.call("POST", "/api/v1/namespaces/bench/pods", pod(`seed-${i}`));
          if (res.status !== 201) throw new Error(`seed create ${res.status}: ${res.body}`);
        }
      }),
    );
    console.log(`seeded ${SEED_PODS} pods in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const creates: number[] = [];
    const gets: number[] = [];
    const updates: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const c = await api.call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: `cm-${i}` }, data: { v: "0" } });
      if (c.status !== 201) throw new Error(`create ${c.status}: ${c.body}`);
      creates.push(c.ms);
      const g = await api.call("GET", `/api/v1/namespaces/bench/pods/seed-${i * 7 % SEED_PODS}`);
      if (g.status !== 200) throw new Error(`get ${g.status}`);
      gets.push(g.ms);
      const obj = JSON.parse(c.body) as { data: Record<string, string> };
      obj.data.v = "1";
      const u = await api.call("PUT", `/api/v1/namespaces/default/configmaps/cm-${i}`, obj);
      if (u.status !== 200) throw new Error(`update ${u.status}: ${u.body}`);
      updates.push(u.ms);
    }
    console.log(summary("get pod", gets));
    console.log(summary("create configmap", creates));
    console.log(summary("update configmap", updates));

    const lists: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      let token = "";
      let count = 0;
      do {
        const res = await api.call("GET", `/api/v1/namespaces/bench/pods?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ""}`);
        const body = JSON.parse(res.body) as { items: unknown[]; metadata: { continue?: string } };
        count += body.items.length;
        token = body.metadata.continue ?? "";
      } while (token);
      if (count !== SEED_PODS) throw new Error(`listed ${count} pods, expected ${SEED_PODS}`);
      lists.push(performance.now() - started);
    }
    console.log(summary(`list ${SEED_PODS} pods (limit=500)`, lists));
    const tableStart = performance.now();
    let token = "";
    do {
      const res = await api.call("GET", `/api/v1/namespaces/bench/pods?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ""}`);
      token = (JSON.parse(res.body) as { metadata: { continue?: string } }).metadata.continue ?? "";
    } while (token);
    const unpaged = await api.call("GET", "/api/v1/namespaces/bench/pods");
    console.log(`unpaged list of ${SEED_PODS} pods (streamed): ${unpaged.ms.toFixed(0)} ms, ${(unpaged.body.length / 1e6).toFixed(1)} MB`);
    void tableStart;

    // Watch delivery: 100 watchers on one namespace; each write's latency is measured
    // from the moment the write is sent to the moment each watcher has the event.
    const sentAt = new Map<string, number>();
    const delivery: number[] = [];
    const list = await api.call("GET", "/api/v1/namespaces/default/configmaps?limit=1");
    const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const streams = Array.from({ length: WATCHERS }, () =>
      api.stream(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`, (line) => {
        const event = JSON.parse(line) as { object: { metadata: { name: string } } };
        const sent = sentAt.get(event.object.metadata.name);
        if (sent !== undefined) delivery.push(performance.now() - sent);
      }),
    );
    await Promise.all(streams.map((s) => s.ready));
    for (let i = 0; i < WATCH_WRITES; i++) {
      const name = `watched-${i}`;
      sentAt.set(name, performance.now());
      await api.call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name }, data: { i: String(i) } });
      await new Promise((r) => setTimeout(r, 20));
    }
    const deadline = Date.now() + 10_000;
    while (delivery.length < WATCHERS * WATCH_WRITES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const s of streams) s.close();
    console.log(summary(`watch delivery (${WATCHERS} watchers)`, delivery));
    console.log(`watch events received ${delivery.length}/${WATCHERS * WATCH_WRITES}; p99=${percentile(delivery, 99).toFixed(1)} ms`);
    console.log(`workerd resident memory (whole runtime: every isolate, Durable Object and SQLite cache): ${workerdRssMb(cluster.pid)} MB`);
  } finally {
    api.agent.destroy();
    await cluster.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
