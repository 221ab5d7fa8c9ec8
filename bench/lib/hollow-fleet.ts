// A light hollow-node fleet for scale benchmarks (test/e2e/hollow-nodes.ts polls per node, which
// 1,000 nodes cannot afford): nodes register once, renew their Leases only when asked to, and
// one cluster-wide pod watch feeds a small pool that reports bound pods Running, in batches.
import type { ApiClient } from "./client";
import type { PodWatch, WatchedPod } from "./pod-watch";

const REGISTER_CONCURRENCY = 8;
const STATUS_CONCURRENCY = 4;
/** A report the control plane could not take (5xx, a dropped connection) is sent again after this. */
const RETRY_MS = 200;

export interface FleetOptions {
  names: string[];
  /** Renew every node's Lease this often, spread evenly over the interval; 0: never. */
  leaseRenewMs: number;
}

export interface HollowFleet {
  /** Stop one node's Lease renewals and pod reports, as if its machine died. */
  kill(name: string): void;
  stop(): void;
  /** Pods reported Running so far. */
  reported(): number;
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

function nodeObject(name: string, index: number) {
  const now = timestamp();
  const ip = `10.${(index >> 8) & 255}.${index & 255}.10`;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", type: "hollow" } },
    spec: { podCIDR: `10.${128 + ((index >> 8) & 127)}.${index & 255}.0/24` },
    status: {
      capacity: { cpu: "32", memory: "128Gi", pods: "110" },
      allocatable: { cpu: "32", memory: "128Gi", pods: "110" },
      addresses: [{ type: "InternalIP", address: ip }, { type: "Hostname", address: name }],
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "hollow node is ready", lastHeartbeatTime: now, lastTransitionTime: now }],
      nodeInfo: { architecture: "amd64", operatingSystem: "linux", osImage: "hollow", kernelVersion: "0", containerRuntimeVersion: "hollow://1", kubeletVersion: "v1.32.0-hollow", kubeProxyVersion: "", machineID: name, systemUUID: name, bootID: name },
    },
  };
}

async function renewLease(api: ApiClient, name: string): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
  const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace(/Z$/, "000Z") } };
  const res = await api.call("PUT", path, lease);
  if (res.status >= 300) throw new Error(`lease ${name}: ${res.status} ${res.body}`);
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

function runningStatus(pod: WatchedPod, nodeIndex: number, seq: number) {
  const started = timestamp();
  const ip = `10.${128 + ((nodeIndex >> 8) & 127)}.${nodeIndex & 255}.${(seq % 250) + 2}`;
  return {
    phase: "Running",
    hostIP: `10.${(nodeIndex >> 8) & 255}.${nodeIndex & 255}.10`,
    podIP: ip,
    podIPs: [{ ip }],
    startTime: started,
    conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: started })),
    containerStatuses: pod.spec.containers.map((c) => ({ name: c.name, image: c.image, imageID: `hollow://${c.image}`, containerID: `hollow://${pod.metadata.uid}/${c.name}`, ready: true, started: true, restartCount: 0, state: { running: { startedAt: started } } })),
  };
}

export async function startHollowFleet(api: ApiClient, watch: PodWatch, options: FleetOptions): Promise<HollowFleet> {
  const index = new Map(options.names.map((n, i) => [n, i]));
  await pool(options.names, REGISTER_CONCURRENCY, async (name, i) => {
    const res = await api.call("POST", "/api/v1/nodes", nodeObject(name, i));
    if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${res.body}`);
    await renewLease(api, name);
  });

  const dead = new Set<string>();
  let stopped = false;
  let reported = 0;
  let seq = 0;
  /** Latest state of each pod waiting for its node's report, by uid (a newer event replaces an older). */
  const queue = new Map<string, WatchedPod>();
  const waiters: (() => void)[] = [];
  const wakeAll = () => {
    while (waiters.length > 0) waiters.pop()!();
  };
  const unlisten = watch.listen((type, pod) => {
    const node = pod.spec.nodeName;
    if (type === "DELETED" || !node || !index.has(node) || dead.has(node)) {
      queue.delete(pod.metadata.uid);
      return;
    }
    if (!pod.metadata.deletionTimestamp && pod.status?.phase === "Running") return;
    queue.set(pod.metadata.uid, pod);
    wakeAll();
  });

  /** Sends the kubelet's update for the pod; false when it did not land and should be sent again. */
  const report = async (pod: WatchedPod): Promise<boolean> => {
    const node = pod.spec.nodeName ?? "";
    if (dead.has(node)) return true;
    const base = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
    if (pod.metadata.deletionTimestamp) {
      // The kubelet's part of a graceful delete: the containers are gone, so the pod goes.
      const res = await api.call("DELETE", `${base}?gracePeriodSeconds=0`, { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      return res.status < 500;
    }
    const res = await api.call("PUT", `${base}/status`, { ...pod, status: runningStatus(pod, index.get(node) ?? 0, seq++) });
    if (res.status === 200) reported++;
    else if (res.status === 409) {
      const fresh = await api.call("GET", base);
      if (fresh.status === 200) queue.set(pod.metadata.uid, JSON.parse(fresh.body) as WatchedPod);
      return fresh.status === 200 || fresh.status === 404;
    } else return res.status < 500;
    return true;
  };
  const workers = Array.from({ length: STATUS_CONCURRENCY }, async () => {
    while (!stopped) {
      const first = queue.entries().next();
      if (first.done) {
        await new Promise<void>((r) => waiters.push(r));
        continue;
      }
      const [uid, pod] = first.value;
      queue.delete(uid);
      // The control plane was busy or restarting: try again shortly, unless a newer state came.
      const retry = () => setTimeout(() => {
        if (stopped || queue.has(uid)) return;
        queue.set(uid, pod);
        wakeAll();
      }, RETRY_MS);
      try {
        if (!(await report(pod))) retry();
      } catch {
        retry();
      }
    }
  });
  void workers;

  let timer: NodeJS.Timeout | undefined;
  if (options.leaseRenewMs > 0) {
    // Spread the renewals: one node every leaseRenewMs / N.
    let next = 0;
    const stepMs = Math.max(1, options.leaseRenewMs / options.names.length);
    timer = setInterval(() => {
      const name = options.names[next++ % options.names.length]!;
      if (!dead.has(name)) renewLease(api, name).catch(() => undefined);
    }, stepMs);
  }

  return {
    kill(name) {
      dead.add(name);
    },
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      unlisten();
      wakeAll();
    },
    reported: () => reported,
  };
}
