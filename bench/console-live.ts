// The web console with many pods, in Debian's headless Chromium against the local cluster as
// `npm start` runs it: the time from navigation to the first rows of the pod list with 1,000 and
// with 10,000 pods present, then, with the 10,000-pod list open, the time from a change sent to the
// API to its row on screen at 20 changes/s, and the longest main-thread task meanwhile.
// `npm run bench:console-live`; PODS=1000,10000 ROUNDS=3 RATE=20 STREAM_S=20 change the run.
import { chromium, type Page } from "playwright-core";
import { startCluster } from "../test/e2e/harness";
import { clientFromKubeconfig, percentile, type ApiClient } from "./lib/client";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SIZES = (process.env.PODS ?? "1000,10000").split(",").map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const RATE = Number(process.env.RATE ?? 20);
const STREAM_S = Number(process.env.STREAM_S ?? 20);
const NAMESPACE = "bench";
const CREATORS = 16;

/** Bound to a node that does not exist: no scheduler work, no agent, the pod just stays Pending. */
function pod(name: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NAMESPACE, labels: { app: "bench" } },
    spec: { nodeName: "nowhere", containers: [{ name: "app", image: "busybox", command: ["sleep", "3600"] }] },
  };
}

async function create(api: ApiClient, name: string): Promise<void> {
  const res = await api.call("POST", `/api/v1/namespaces/${NAMESPACE}/pods`, pod(name));
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${res.body.slice(0, 200)}`);
}

async function seed(api: ApiClient, from: number, to: number): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: CREATORS }, async () => {
      while (next < to) await create(api, `p-${String(next++).padStart(5, "0")}`);
    }),
  );
}

// Runs in the page before the console: notes when the first row shows, when each named row first
// shows (in the frame after it was added), and every main-thread task over 50 ms.
const INSTRUMENT = () => {
  const w = window as unknown as { firstRows?: number; rowSeen: Record<string, number>; longTasks: number[]; stalls: number[]; longestStall: number; taskObserver: PerformanceObserver };
  w.rowSeen = {};
  w.longTasks = [];
  // Held by the page: an observer nothing references may be collected, and then reports nothing.
  w.taskObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
  });
  w.taskObserver.observe({ type: "longtask", buffered: true });
  // The same seen another way, with no browser API to trust: a 10 ms timer's late beats are the
  // time the main thread was busy with something else.
  w.stalls = [];
  w.longestStall = 0;
  let last = performance.now();
  const beat = () => {
    const now = performance.now();
    const late = now - last - BEAT_MS;
    w.longestStall = Math.max(w.longestStall, late);
    if (late > 50) w.stalls.push(late);
    last = now;
    setTimeout(beat, BEAT_MS);
  };
  const BEAT_MS = 10;
  setTimeout(beat, BEAT_MS);
  new MutationObserver((mutations) => {
    const added: string[] = [];
    for (const m of mutations) {
      for (const node of m.addedNodes) {
        if (!(node instanceof HTMLElement)) continue;
        // A row of its own, or the rows of a table added whole (a short list's first render).
        for (const row of node.matches("tr[data-name]") ? [node] : node.querySelectorAll<HTMLElement>("tr[data-name]")) added.push(row.dataset.name!);
      }
    }
    if (added.length === 0) return;
    w.firstRows ??= performance.now();
    requestAnimationFrame(() => {
      const now = Date.now();
      for (const name of added) w.rowSeen[name] ??= now;
    });
  }).observe(document, { childList: true, subtree: true });
};

/** What the two instruments saw: the Long Tasks API's entries, and the heartbeat's stalls. */
function busy(tasks: number[], stalls: number[], longestStall?: number): string {
  const longest = (list: number[]) => (list.length ? `${list.length}, longest ${Math.max(...list).toFixed(0)} ms` : "none");
  const overall = longestStall === undefined ? "" : `; longest heartbeat stall ${longestStall.toFixed(0)} ms`;
  return `main-thread tasks over 50 ms (longtask entries): ${longest(tasks)}; heartbeat stalls over 50 ms: ${longest(stalls)}${overall}`;
}

async function firstRows(page: Page, url: string): Promise<number> {
  await page.goto("about:blank");
  await page.goto(`${url}/#/pods/${NAMESPACE}`);
  await page.waitForFunction(() => (window as unknown as { firstRows?: number }).firstRows !== undefined, undefined, { timeout: 60_000 });
  return page.evaluate(() => (window as unknown as { firstRows: number }).firstRows);
}

async function main() {
  const cluster = await startCluster({ requestLog: false });
  const api = clientFromKubeconfig(cluster.kubeconfig, CREATORS);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-background-networking"] });
  try {
    await api.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    await context.addInitScript((token: string) => sessionStorage.setItem("edgeplane.token", token), cluster.token);
    // tsx (esbuild, keepNames) wraps the instrument's inner functions in __name(), which the page lacks.
    await context.addInitScript("globalThis.__name ??= (f) => f;");
    await context.addInitScript(INSTRUMENT);
    const page = await context.newPage();
    console.log(`local cluster as npm start runs it; Chromium ${browser.version()}, 1280×800; pods bound to a node that does not exist (Pending)`);

    let present = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      await seed(api, present, size);
      present = size;
      console.log(`seeded ${size} pods in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const times: number[] = [];
      for (let round = 0; round < ROUNDS; round++) times.push(await firstRows(page, cluster.url));
      console.log(`navigation → first rows with ${size} pods: ${times.map((t) => `${t.toFixed(0)} ms`).join(", ")} (median ${percentile(times, 50).toFixed(0)} ms)`);
    }

    // The stream: new pods named to sort first, so each one's row lands in view of the open list.
    await firstRows(page, cluster.url);
    // The rest of the list arrives page by page meanwhile; its tasks are counted apart.
    await page.waitForFunction((n) => document.querySelector("main .count")?.textContent === `${n} pods`, present, { timeout: 120_000 });
    const loading = await page.evaluate(() => {
      const w = window as unknown as { rowSeen: Record<string, number>; longTasks: number[]; stalls: number[]; longestStall: number };
      const seen = { tasks: w.longTasks, stalls: w.stalls, longest: w.longestStall, visibility: document.visibilityState };
      w.rowSeen = {};
      w.longTasks = [];
      w.stalls = [];
      w.longestStall = 0;
      return seen;
    });
    console.log(`while the list of ${present} pods loaded (${Math.ceil(present / 500)} pages; page ${loading.visibility}): ${busy(loading.tasks, loading.stalls, loading.longest)}`);
    const sent = new Map<string, number>();
    const changes = RATE * STREAM_S;
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < changes; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const name = `a-${String(99_999 - i).padStart(5, "0")}`;
      sent.set(name, Date.now());
      inFlight.push(create(api, name));
    }
    await Promise.all(inFlight);
    await page.waitForFunction((n) => Object.keys((window as unknown as { rowSeen: Record<string, number> }).rowSeen).filter((k) => k.startsWith("a-")).length >= n, changes, { timeout: 60_000 });
    const { seen, longTasks, stalls, longest } = await page.evaluate(() => {
      const w = window as unknown as { rowSeen: Record<string, number>; longTasks: number[]; stalls: number[]; longestStall: number };
      return { seen: w.rowSeen, longTasks: w.longTasks, stalls: w.stalls, longest: w.longestStall };
    });
    const latencies = [...sent].map(([name, at]) => seen[name]! - at);
    console.log(
      `${changes} creates at ${RATE}/s into the open list of ${present} pods: change → row on screen p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
    );
    console.log(`during the stream: ${busy(longTasks, stalls, longest)}`);
    // The instruments themselves: a deliberate 120 ms task must show up in each.
    await page.evaluate(() => {
      setTimeout(() => {
        const started = performance.now();
        while (performance.now() - started < 120);
      }, 0);
    });
    await new Promise((r) => setTimeout(r, 500));
    const check = await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[]; stalls: number[] };
      return { tasks: w.longTasks.slice(-1), stalls: w.stalls.slice(-1) };
    });
    console.log(`instrument check, a 120 ms busy task: ${busy(check.tasks, check.stalls)}`);
  } finally {
    await browser.close();
    await cluster.stop();
  }
}

await main();
