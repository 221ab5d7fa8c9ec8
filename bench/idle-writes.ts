// SQL store writes of an idle cluster (DESIGN decision 9): N hollow nodes heartbeating, some
// pods running, nothing changing. Counts change-log revisions over a window and prints writes
// per node per hour (target ~0) and the requests/s the Worker handled meanwhile.
// Run: npx tsx bench/idle-writes.ts   (NODES=50 PODS=20 WINDOW_S=60 QUIET_S=15)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePort, startLocalCluster } from "../scripts/lib/local-cluster";
import { startHollowNodes } from "../test/e2e/hollow-nodes";
import { clientFromKubeconfig, type ApiClient } from "./lib/client";

const NODES = Number(process.env.NODES ?? 50);
const PODS = Number(process.env.PODS ?? 20);
const WINDOW_MS = Number(process.env.WINDOW_S ?? 60) * 1000;
/** The cluster is idle once the store's revision has not moved for this long. */
const QUIET_MS = Number(process.env.QUIET_S ?? 15) * 1000;
const QUIET_TIMEOUT_MS = 300_000;
const POLL_MS = 1_000;
/** The dev server logs one line per request it served, e.g. `[wrangler:info] PUT /apis/... 200 OK (3ms)`. */
const REQUEST_LINE = /\[wrangler:inf\w*\]\s+(GET|PUT|POST|PATCH|DELETE)\s/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The change log's head: every SQL store write adds one revision (a list's resourceVersion is it). */
async function storeRevision(api: ApiClient): Promise<number> {
  const res = await api.call("GET", "/api/v1/namespaces?limit=1");
  if (res.status !== 200) throw new Error(`list namespaces: ${res.status} ${res.body}`);
  return Number((JSON.parse(res.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
}

async function waitForQuiet(api: ApiClient): Promise<void> {
  const deadline = Date.now() + QUIET_TIMEOUT_MS;
  let last = await storeRevision(api);
  let since = Date.now();
  while (Date.now() - since < QUIET_MS) {
    if (Date.now() > deadline) throw new Error(`the store never went quiet (revision still moving at ${last})`);
    await sleep(POLL_MS);
    const now = await storeRevision(api);
    if (now !== last) (last = now), (since = Date.now());
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "edgeplane-idle-"));
  let requests = 0;
  const cluster = await startLocalCluster({
    root,
    port: await findFreePort(),
    inspectorPort: await findFreePort(),
    onOutput: (line) => {
      if (REQUEST_LINE.test(line)) requests++;
    },
  });
  const api = clientFromKubeconfig(cluster.kubeconfig, 4);
  const names = Array.from({ length: NODES }, (_, i) => `idle-${i}`);
  const nodes = await startHollowNodes(cluster.kubeconfig, names);
  try {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "idle", namespace: "default" },
      spec: { replicas: PODS, selector: { matchLabels: { app: "idle" } }, template: { metadata: { labels: { app: "idle" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
    };
    const created = await api.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment);
    if (created.status !== 201) throw new Error(`create deployment: ${created.status} ${created.body}`);
    await waitForQuiet(api);

    const before = await storeRevision(api);
    const requestsBefore = requests;
    const started = Date.now();
    await sleep(WINDOW_MS);
    const after = await storeRevision(api);
    const seconds = (Date.now() - started) / 1000;
    const writes = after - before;
    const perNodeHour = (writes / NODES) * (3600 / seconds);
    const pods = await api.call("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Didle");
    const running = (JSON.parse(pods.body) as { items: { status?: { phase?: string } }[] }).items.filter((p) => p.status?.phase === "Running").length;
    process.stdout.write(
      [
        `nodes ${NODES} (hollow, Lease renewed every 5 s), pods running ${running}, window ${seconds.toFixed(0)} s`,
        `SQL store writes in window: ${writes} (change-log revision ${before} -> ${after})`,
        `database writes per node per hour while idle: ${perNodeHour.toFixed(2)}`,
        `requests/s handled: ${((requests - requestsBefore) / seconds).toFixed(1)}`,
        "",
      ].join("\n"),
    );
  } finally {
    nodes.stop();
    api.agent.destroy();
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
