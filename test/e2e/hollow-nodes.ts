// Hollow nodes (as KWOK does): a test harness that acts as kubelets through the API — it
// registers Nodes, renews their Leases and reports the pods bound to them Running and Ready,
// without running containers. For controller tests at any scale; real nodes are the agent's.
import { clientFromKubeconfig, type ApiClient } from "../../bench/lib/client";

const SYNC_INTERVAL_MS = 200;
const LEASE_RENEW_MS = 5_000;

interface Pod {
  metadata: { name: string; namespace: string; uid: string; deletionTimestamp?: string; resourceVersion: string };
  spec: { nodeName?: string; containers: { name: string; image: string }[] };
  status?: { phase?: string; startTime?: string; conditions?: { type: string; status: string }[] };
}

export interface HollowNodeOptions {
  /**
   * A new pod is reported Running but not Ready for this long first, as a readiness probe
   * would hold it, so the order in which controllers wait on readiness shows. Default 0.
   */
  readyDelayMs?: number;
}

export interface HollowNodes {
  stop(): void;
  /** Stop one node's heartbeats and pod reports, as if its machine died. */
  kill(name: string): void;
  /**
   * Talk to the control plane named by this kubeconfig from now on (a restarted local cluster
   * listens on a new port); the nodes carry on with what they already reported.
   */
  reconnect(kubeconfig: string): void;
}

function nodeObject(name: string, index: number) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "hollow" } },
    spec: { podCIDR: `10.244.${index}.0/24` },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
      addresses: [{ type: "InternalIP", address: `192.0.2.${index + 10}` }, { type: "Hostname", address: name }],
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "hollow node is ready", lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"), lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }],
      nodeInfo: { architecture: "amd64", operatingSystem: "linux", osImage: "hollow", kernelVersion: "0", containerRuntimeVersion: "hollow://1", kubeletVersion: "v1.32.0-hollow", kubeProxyVersion: "", machineID: name, systemUUID: name, bootID: name },
    },
  };
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

async function renewLease(api: ApiClient, name: string): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
  const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace(/Z$/, "000Z") } };
  const res = await api.call("PUT", path, lease);
  if (res.status >= 300) throw new Error(`lease ${name}: ${res.status} ${res.body}`);
}

/** When each pod (by uid) was first seen, for the readiness delay. */
type FirstSeen = Map<string, number>;

function readyAfterDelay(pod: Pod, firstSeen: FirstSeen, readyDelayMs: number): boolean {
  if (readyDelayMs <= 0) return true;
  const seen = firstSeen.get(pod.metadata.uid);
  if (seen === undefined) {
    firstSeen.set(pod.metadata.uid, Date.now());
    return false;
  }
  return Date.now() - seen >= readyDelayMs;
}

async function reportPods(api: ApiClient, node: string, index: number, firstSeen: FirstSeen = new Map(), readyDelayMs = 0): Promise<void> {
  const res = await api.call("GET", `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
  const pods = (JSON.parse(res.body) as { items: Pod[] }).items;
  for (const [i, pod] of pods.entries()) {
    const base = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
    if (pod.metadata.deletionTimestamp) {
      await api.call("DELETE", `${base}?gracePeriodSeconds=0`, { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 });
      continue;
    }
    const running = pod.status?.phase === "Running";
    const ready = readyAfterDelay(pod, firstSeen, readyDelayMs);
    const reportedReady = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    if (running && (reportedReady || !ready)) continue;
    const started = now();
    const status = {
      phase: "Running",
      hostIP: `192.0.2.${index + 10}`,
      podIP: `10.244.${index}.${(i % 250) + 2}`,
      podIPs: [{ ip: `10.244.${index}.${(i % 250) + 2}` }],
      startTime: pod.status?.startTime ?? started,
      conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({ type, status: ready || type === "PodScheduled" || type === "Initialized" ? "True" : "False", lastProbeTime: null, lastTransitionTime: started })),
      containerStatuses: pod.spec.containers.map((c) => ({ name: c.name, image: c.image, imageID: `hollow://${c.image}`, containerID: `hollow://${pod.metadata.name}/${c.name}`, ready, started: true, restartCount: 0, state: { running: { startedAt: started } } })),
    };
    await api.call("PUT", `${base}/status`, { ...pod, status });
  }
}

export async function startHollowNodes(kubeconfig: string, names: string[], options: HollowNodeOptions = {}): Promise<HollowNodes> {
  let api = clientFromKubeconfig(kubeconfig, 4);
  const firstSeen: FirstSeen = new Map();
  const readyDelayMs = options.readyDelayMs ?? 0;
  const dead = new Set<string>();
  for (const [i, name] of names.entries()) {
    const res = await api.call("POST", "/api/v1/nodes", nodeObject(name, i));
    if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${res.body}`);
    await renewLease(api, name);
  }
  let stopped = false;
  let lastLease = Date.now();
  const tick = async () => {
    while (!stopped) {
      const renew = Date.now() - lastLease >= LEASE_RENEW_MS;
      if (renew) lastLease = Date.now();
      for (const [i, name] of names.entries()) {
        if (dead.has(name)) continue;
        try {
          if (renew) await renewLease(api, name);
          await reportPods(api, name, i, firstSeen, readyDelayMs);
        } catch {
          // The control plane restarting or a conflict: the next tick tries again.
        }
      }
      await new Promise((r) => setTimeout(r, SYNC_INTERVAL_MS));
    }
  };
  void tick();
  return {
    stop() {
      stopped = true;
      api.agent.destroy();
    },
    kill(name) {
      dead.add(name);
    },
    reconnect(next) {
      const old = api;
      api = clientFromKubeconfig(next, 4);
      old.agent.destroy();
    },
  };
}
