// Scheduling at scale through the whole control plane: 1,000 hollow nodes (the real node agent on
// the hollow runtime, in a child process: bench/lib/agent-fleet.ts); (s) a backlog of 10,000
// pending pods made schedulable at once → pods bound/s; (a) 10,000 direct pod creates → pods
// bound/s; (b) `kubectl scale --replicas=1000` → time to all bound; (c) a node dies → time until
// its pods run elsewhere. Run: node --import tsx bench/cluster-scale.ts (PHASES, NODES, PODS).
import { startCluster, type Cluster } from "../test/e2e/harness";
import { clientFromKubeconfig, type ApiClient } from "./lib/client";
import { startAgentFleet } from "./lib/agent-fleet";
import { watchPods, type PodWatch, type WatchedPod } from "./lib/pod-watch";

const NODES = Number(process.env.NODES ?? 1000);
const PODS = Number(process.env.PODS ?? 10_000);
const SCALE_REPLICAS = Number(process.env.SCALE_REPLICAS ?? 1000);
/** Phase (c) runs on its own cluster (short node-lifecycle timings), whose nodes must renew Leases. */
const FAILOVER_NODES = Number(process.env.FAILOVER_NODES ?? 100);
const FAILOVER_REPLICAS = Number(process.env.FAILOVER_REPLICAS ?? 200);
/** Renewed every 3 s (a quarter), well inside phase (c)'s 10 s grace. */
const FAILOVER_LEASE_SECONDS = 12;
const PHASES = process.env.PHASES ?? "sabc";
/** CONTROLLER_TRACE=true: the controller loop logs where each pass's time went; printed here as it comes. */
const TRACE = process.env.CONTROLLER_TRACE === "true";
const traceOptions = TRACE ? { onOutput: (line: string) => line.includes("controller pass") && console.log(line.trim()) } : {};
const traceVars: Record<string, string> = TRACE ? { CONTROLLER_TRACE: "true" } : {};
/**
 * wrangler's per-request log (a loopback HTTP call to wrangler and a debug-file append per
 * request, local-only) is off unless REQUEST_LOG=true: on 2 cores it took a third of a core
 * from the Worker.
 */
const REQUEST_LOG = process.env.REQUEST_LOG === "true";
const CREATE_CONCURRENCY = 16;
const POLL_MS = 20;
const PROGRESS_MS = 5_000;
const PHASE_TIMEOUT_MS = Number(process.env.PHASE_TIMEOUT_MS ?? 600_000);
/**
 * Phases (s), (a) and (b) time the pod path, not heartbeats: the nodes' Leases last an hour (renewed
 * every 15 minutes, kubelet's nodeLeaseDurationSeconds), and the grace period outlasts the run.
 */
const LONG_LEASE_SECONDS = 3600;
const LONG_GRACE_SECONDS = String(LONG_LEASE_SECONDS);

const nodeNames = (n: number) => Array.from({ length: n }, (_, i) => `hollow-${String(i).padStart(4, "0")}`);
const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** Every pod the watch has shown, latest state, and when each was first seen bound. */
class PodTracker {
  readonly pods = new Map<string, WatchedPod>();
  readonly boundAt = new Map<string, number>();
  constructor(readonly watch: PodWatch) {
    watch.listen((type, pod) => {
      if (type === "DELETED") this.pods.delete(pod.metadata.uid);
      else this.pods.set(pod.metadata.uid, pod);
      if (pod.spec.nodeName && !this.boundAt.has(pod.metadata.uid)) this.boundAt.set(pod.metadata.uid, performance.now());
    });
  }
  inNamespace(ns: string): WatchedPod[] {
    return [...this.pods.values()].filter((p) => p.metadata.namespace === ns);
  }
  boundIn(ns: string): { count: number; last: number } {
    let count = 0;
    let last = 0;
    for (const p of this.pods.values()) {
      if (p.metadata.namespace !== ns) continue;
      const at = this.boundAt.get(p.metadata.uid);
      if (at !== undefined) (count++, (last = Math.max(last, at)));
    }
    return { count, last };
  }
}

async function until(label: string, done: () => boolean, progress: () => string): Promise<void> {
  const deadline = performance.now() + PHASE_TIMEOUT_MS;
  let lastReport = performance.now();
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${label}: timed out (${progress()})`);
    if (performance.now() - lastReport >= PROGRESS_MS) {
      lastReport = performance.now();
      console.log(`  … ${label}: ${progress()}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function currentRevision(api: ApiClient): Promise<string> {
  const res = await api.call("GET", "/api/v1/pods?limit=1");
  return (JSON.parse(res.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

function benchPod(name: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "scale-a" } },
    spec: { containers: [{ name: "c", image: "busybox:1.36", command: ["sleep", "3600"], resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
  };
}

function deploymentYaml(namespace: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: c, image: "busybox:1.36", command: [sleep, "3600"], resources: {requests: {cpu: 10m, memory: 16Mi}}}
`;
}

async function kubectlOk(cluster: Cluster, args: string[], stdin?: string): Promise<void> {
  const r = await cluster.kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
}

async function createNamespace(api: ApiClient, name: string): Promise<void> {
  const res = await api.call("POST", "/api/v1/namespaces", { metadata: { name } });
  if (res.status !== 201) throw new Error(`namespace ${name}: ${res.status} ${res.body}`);
}

async function phaseA(api: ApiClient, tracker: PodTracker): Promise<void> {
  await createNamespace(api, "scale-a");
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CREATE_CONCURRENCY }, async () => {
      while (next < PODS) {
        const i = next++;
        let res = await api.call("POST", "/api/v1/namespaces/scale-a/pods", benchPod(`p-${i}`));
        // The dev server restarts workerd when the Worker's code changes (npm start's watch): send that create again.
        for (let retry = 0; res.status === 503 && retry < 3; retry++) res = await api.call("POST", "/api/v1/namespaces/scale-a/pods", benchPod(`p-${i}`));
        if (res.status !== 201 && res.status !== 409) throw new Error(`create p-${i}: ${res.status} ${res.body}`);
      }
    }),
  );
  const created = performance.now();
  await until("(a) binding", () => tracker.boundIn("scale-a").count >= PODS, () => `${tracker.boundIn("scale-a").count}/${PODS} bound`);
  const { last } = tracker.boundIn("scale-a");
  console.log(`(a) ${PODS} direct pod creates (${CREATE_CONCURRENCY} concurrent): all created in ${seconds(created - t0)} s (${Math.round(PODS / ((created - t0) / 1000))} creates/s)`);
  console.log(`(a) first create → last spec.nodeName seen: ${seconds(last - t0)} s = ${Math.round(PODS / ((last - t0) / 1000))} pods bound/s (target ≥ 1,000)`);
  // Let the hollow kubelets catch up, so (b) starts on a settled cluster, not behind (a)'s reports.
  const running = () => tracker.inNamespace("scale-a").filter((p) => p.status?.phase === "Running").length;
  await until("(a) running", () => running() >= PODS, () => `${running()}/${PODS} Running`);
  console.log(`(a) all ${PODS} pods reported Running ${seconds(performance.now() - t0)} s after the first create`);
}

/**
 * (s) Scheduling throughput apart from the create path, as scheduler_perf measures the scheduler
 * (its pods are created by a client far faster than they are scheduled): PODS pods wait on one
 * unbound claim (FailedScheduling: unbound immediate PersistentVolumeClaims); one PV then binds
 * the claim and the whole backlog becomes schedulable at once. Timed from the PV's create until
 * a watch has seen the last spec.nodeName.
 */
async function phaseS(api: ApiClient, tracker: PodTracker): Promise<void> {
  const ns = "scale-s";
  await createNamespace(api, ns);
  const claim = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "shared" }, spec: { accessModes: ["ReadWriteMany"], storageClassName: "", resources: { requests: { storage: "1Gi" } } } };
  const made = await api.call("POST", `/api/v1/namespaces/${ns}/persistentvolumeclaims`, claim);
  if (made.status !== 201) throw new Error(`claim: ${made.status} ${made.body}`);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CREATE_CONCURRENCY }, async () => {
      while (next < PODS) {
        const pod = benchPod(`s-${next++}`);
        const withClaim = { ...pod, spec: { ...pod.spec, volumes: [{ name: "data", persistentVolumeClaim: { claimName: "shared" } }] } };
        const res = await api.call("POST", `/api/v1/namespaces/${ns}/pods`, withClaim);
        if (res.status !== 201) throw new Error(`create ${withClaim.metadata.name}: ${res.status} ${res.body}`);
      }
    }),
  );
  await until("(s) backlog", () => tracker.inNamespace(ns).length >= PODS, () => `${tracker.inNamespace(ns).length}/${PODS} seen`);
  const early = tracker.boundIn(ns).count;
  if (early > 0) throw new Error(`(s) ${early} pods were bound before their claim was`);
  console.log(`(s) ${PODS} pods created and pending on an unbound claim in ${seconds(performance.now() - t0)} s`);
  // Let the scheduler's FailedScheduling events drain, so the timed part is scheduling.
  await new Promise((r) => setTimeout(r, 5_000));
  const volume = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "bench-shared" }, spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteMany"], storageClassName: "", persistentVolumeReclaimPolicy: "Retain", hostPath: { path: "/bench", type: "DirectoryOrCreate" } } };
  const t1 = performance.now();
  const pv = await api.call("POST", "/api/v1/persistentvolumes", volume);
  if (pv.status !== 201) throw new Error(`volume: ${pv.status} ${pv.body}`);
  await until("(s) binding", () => tracker.boundIn(ns).count >= PODS, () => `${tracker.boundIn(ns).count}/${PODS} bound`);
  const { last } = tracker.boundIn(ns);
  console.log(`(s) PV created → all ${PODS} pending pods bound: ${seconds(last - t1)} s = ${Math.round(PODS / ((last - t1) / 1000))} pods bound/s (target ≥ 1,000; includes binding the claim); the watch was re-opened ${tracker.watch.reopened} times so far`);
  const running = () => tracker.inNamespace(ns).filter((p) => p.status?.phase === "Running").length;
  await until("(s) running", () => running() >= PODS, () => `${running()}/${PODS} Running`);
}

async function phaseB(cluster: Cluster, api: ApiClient, tracker: PodTracker): Promise<void> {
  await createNamespace(api, "scale-b");
  await kubectlOk(cluster, ["apply", "-f", "-"], deploymentYaml("scale-b", 0));
  const t0 = performance.now();
  await kubectlOk(cluster, ["scale", "deployment", "web", "-n", "scale-b", `--replicas=${SCALE_REPLICAS}`]);
  const bound = () => tracker.boundIn("scale-b");
  // A timeline (created / bound at each quarter) shows which stage the time goes to.
  const marks: string[] = [];
  const quarters = [1, SCALE_REPLICAS / 4, SCALE_REPLICAS / 2, (3 * SCALE_REPLICAS) / 4, SCALE_REPLICAS].map(Math.ceil);
  let createdMark = 0;
  let boundMark = 0;
  const progressed = () => {
    const created = tracker.inNamespace("scale-b").length;
    const { count } = bound();
    const at = seconds(performance.now() - t0);
    while (createdMark < quarters.length && created >= quarters[createdMark]!) marks.push(`${quarters[createdMark++]} created @${at}s`);
    while (boundMark < quarters.length && count >= quarters[boundMark]!) marks.push(`${quarters[boundMark++]} bound @${at}s`);
    return count >= SCALE_REPLICAS;
  };
  await until("(b) scale", progressed, () => `${tracker.inNamespace("scale-b").length} created, ${bound().count} bound`);
  console.log(`(b) timeline: ${marks.join(", ")}`);
  const boundMs = bound().last - t0;
  const running = () => tracker.inNamespace("scale-b").filter((p) => p.status?.phase === "Running").length;
  await until("(b) running", () => running() >= SCALE_REPLICAS, () => `${running()}/${SCALE_REPLICAS} Running`);
  console.log(`(b) kubectl scale deployment --replicas=${SCALE_REPLICAS}: all bound after ${seconds(boundMs)} s (target < 5 s), all Running after ${seconds(performance.now() - t0)} s`);
}

async function phaseC(): Promise<void> {
  const cluster = await startCluster({ vars: { NODE_MONITOR_GRACE_PERIOD_SECONDS: "10", POD_EVICTION_TIMEOUT_SECONDS: "5", ...traceVars }, requestLog: REQUEST_LOG, ...traceOptions });
  const api = clientFromKubeconfig(cluster.kubeconfig);
  const watch = watchPods(cluster.kubeconfig, await currentRevision(api));
  await watch.ready;
  const tracker = new PodTracker(watch);
  const fleet = await startAgentFleet(cluster.kubeconfig, nodeNames(FAILOVER_NODES), { nodeLeaseDurationSeconds: FAILOVER_LEASE_SECONDS });
  try {
    await createNamespace(api, "failover");
    await kubectlOk(cluster, ["apply", "-f", "-"], deploymentYaml("failover", FAILOVER_REPLICAS));
    const live = (dead?: string) => tracker.inNamespace("failover").filter((p) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp && p.spec.nodeName !== dead).length;
    await until("(c) initial rollout", () => live() >= FAILOVER_REPLICAS, () => `${live()}/${FAILOVER_REPLICAS} Running`);
    const perNode = new Map<string, number>();
    for (const p of tracker.inNamespace("failover")) perNode.set(p.spec.nodeName ?? "", (perNode.get(p.spec.nodeName ?? "") ?? 0) + 1);
    const [victim, count] = [...perNode].sort((a, b) => b[1] - a[1])[0]!;
    const t0 = performance.now();
    await fleet.kill(victim);
    await until("(c) failover", () => live(victim) >= FAILOVER_REPLICAS, () => `${live(victim)}/${FAILOVER_REPLICAS} Running off ${victim}`);
    console.log(`(c) ${FAILOVER_NODES} nodes, grace 10 s, eviction 5 s: ${victim} (${count} pods of ${FAILOVER_REPLICAS}) stopped → all ${FAILOVER_REPLICAS} Running elsewhere after ${seconds(performance.now() - t0)} s (target < 20 s)`);
  } finally {
    await fleet.stop();
    watch.close();
    api.agent.destroy();
    await cluster.stop();
  }
}

async function main() {
  if (/[sab]/.test(PHASES)) {
    const cluster = await startCluster({ vars: { NODE_MONITOR_GRACE_PERIOD_SECONDS: LONG_GRACE_SECONDS, ...traceVars }, requestLog: REQUEST_LOG, ...traceOptions });
    console.log(`local cluster: wrangler's request log ${REQUEST_LOG ? "on" : "off"} (REQUEST_LOG=true turns it on)`);
    const api = clientFromKubeconfig(cluster.kubeconfig);
    const watch = watchPods(cluster.kubeconfig, await currentRevision(api));
    try {
      await watch.ready;
      const tracker = new PodTracker(watch);
      const started = performance.now();
      const fleet = await startAgentFleet(cluster.kubeconfig, nodeNames(NODES), { nodeLeaseDurationSeconds: LONG_LEASE_SECONDS });
      console.log(`${NODES} hollow nodes joined and registered (the real agent each) in ${seconds(performance.now() - started)} s`);
      try {
        if (PHASES.includes("s")) await phaseS(api, tracker);
        if (PHASES.includes("a")) await phaseA(api, tracker);
        if (PHASES.includes("b")) await phaseB(cluster, api, tracker);
        console.log(`hollow nodes reported ${[...tracker.pods.values()].filter((p) => p.status?.phase === "Running").length} pods Running`);
      } finally {
        await fleet.stop();
      }
    } finally {
      watch.close();
      api.agent.destroy();
      await cluster.stop();
    }
  }
  if (PHASES.includes("c")) await phaseC();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
