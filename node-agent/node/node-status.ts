// This node's Node object: registered (created, or labels merged) on start, then its status
// patched only when something other than a heartbeat time changed, or every NODE_STATUS_REPORT_MS
// (kubelet's nodeStatusReportFrequency): liveness itself travels in the Lease.
import { timestamp } from "../../shared/time";
import { isNotFound, type ApiClient } from "../api-client";
import type { AgentConfig } from "../config";
import type { PodRuntime } from "../runtime/types";
import { machineInfo, pressure, type MachineInfo, type Pressure } from "./machine";

export const AGENT_VERSION = "v1.32.0-edgeplane";
export const NODE_STATUS_CHECK_MS = 10_000;
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
export const MAX_PODS = 110;

export interface NodeCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

interface NodeObject {
  metadata: { name: string; uid?: string; labels?: Record<string, string> };
  spec?: { podCIDR?: string };
  status?: { conditions?: NodeCondition[] };
}

export interface RuntimeState {
  ok: boolean;
  version?: string;
  error?: string;
}

function now(): string {
  return timestamp();
}

export function nodeLabels(config: AgentConfig, machine: MachineInfo): Record<string, string> {
  return {
    "kubernetes.io/hostname": config.nodeName,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": machine.architecture,
    "beta.kubernetes.io/os": "linux",
    "beta.kubernetes.io/arch": machine.architecture,
    ...(config.labels ?? {}),
  };
}

/** The four conditions kubelet reports; pure, for tests. */
export function nodeConditions(runtime: RuntimeState, p: Pressure): NodeCondition[] {
  const pressureCondition = (type: string, on: boolean, what: string): NodeCondition => ({
    type,
    status: on ? "True" : "False",
    reason: on ? `KubeletHas${what}Pressure` : `KubeletHasNo${what}Pressure`.replace("HasNoSufficient", "HasSufficient"),
    message: on ? `kubelet has ${what.toLowerCase()} pressure` : `kubelet has no ${what.toLowerCase()} pressure`,
  });
  return [
    { ...pressureCondition("MemoryPressure", p.memory, "Memory"), reason: p.memory ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory", message: p.memory ? "kubelet has insufficient memory available" : "kubelet has sufficient memory available" },
    { ...pressureCondition("DiskPressure", p.disk, "Disk"), reason: p.disk ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure" },
    { ...pressureCondition("PIDPressure", p.pid, "PID"), reason: p.pid ? "KubeletHasInsufficientPID" : "KubeletHasSufficientPID", message: p.pid ? "kubelet has insufficient PID available" : "kubelet has sufficient PID available" },
    runtime.ok
      ? { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" }
      : { type: "Ready", status: "False", reason: "KubeletNotReady", message: `container runtime is down: ${runtime.error ?? "unreachable"}` },
  ];
}

export class NodeStatusReporter {
  private machine: MachineInfo = machineInfo();
  private lastSent: string | undefined;
  private lastSentMs = 0;
  private previous: NodeCondition[] = [];
  private timer: NodeJS.Timeout | undefined;
  private podCIDRValue: string | undefined;
  private stopped = false;
  uid: string | undefined;
  runtimeState: RuntimeState = { ok: false };

  constructor(
    private readonly api: ApiClient,
    private readonly runtime: PodRuntime,
    private readonly config: AgentConfig,
    private readonly log: (message: string) => void,
    /** Merged into the Node's annotations on registration (how to reach this node's pods). */
    private readonly annotations: Record<string, string | null> = {},
  ) {}

  get hostIP(): string {
    return this.config.nodeIP ?? this.machine.internalIP;
  }
  get podCIDR(): string | undefined {
    return this.podCIDRValue;
  }

  private async checkRuntime(): Promise<RuntimeState> {
    try {
      return { ok: true, version: await this.runtime.version() };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error), version: this.runtimeState.version };
    }
  }

  private async status(): Promise<Record<string, unknown>> {
    this.runtimeState = await this.checkRuntime();
    const m = this.machine;
    const stamp = now();
    const conditions = nodeConditions(this.runtimeState, await pressure(this.config.dataDir)).map((c) => {
      const before = this.previous.find((p) => p.type === c.type);
      return { ...c, lastHeartbeatTime: stamp, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : stamp };
    });
    const resources = { cpu: String(m.cpu), memory: `${m.memoryKi}Ki`, pods: String(MAX_PODS) };
    return {
      capacity: resources,
      allocatable: resources,
      conditions,
      addresses: [
        { type: "InternalIP", address: this.hostIP },
        { type: "Hostname", address: this.config.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: m.machineID,
        systemUUID: m.machineID,
        bootID: "",
        kernelVersion: m.kernelVersion,
        osImage: m.osImage,
        containerRuntimeVersion: `docker://${this.runtimeState.version ?? "unknown"}`,
        kubeletVersion: AGENT_VERSION,
        kubeProxyVersion: "",
        operatingSystem: "linux",
        architecture: m.architecture,
      },
    };
  }

  /** Creates the Node, or merges our labels into an existing one. */
  async register(): Promise<void> {
    const path = `/api/v1/nodes/${this.config.nodeName}`;
    const labels = nodeLabels(this.config, this.machine);
    const status = await this.status();
    let node: NodeObject;
    try {
      node = await this.api.get<NodeObject>(path);
      node = await this.api.patch<NodeObject>(path, { metadata: { labels, annotations: this.annotations } });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      node = await this.api.create<NodeObject>("/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: this.config.nodeName, labels, annotations: Object.fromEntries(Object.entries(this.annotations).filter(([, v]) => v !== null)) }, spec: {}, status });
    }
    this.uid = node.metadata.uid;
    this.podCIDRValue = node.spec?.podCIDR;
    this.previous = node.status?.conditions ?? [];
    await this.send(status, true);
  }

  private async send(status: Record<string, unknown>, force: boolean): Promise<void> {
    const withoutHeartbeat = JSON.stringify({ ...status, conditions: (status.conditions as NodeCondition[]).map(({ lastHeartbeatTime: _h, ...rest }) => rest) });
    const due = Date.now() - this.lastSentMs >= NODE_STATUS_REPORT_MS;
    if (!force && !due && withoutHeartbeat === this.lastSent) return;
    const node = await this.api.patch<NodeObject>(`/api/v1/nodes/${this.config.nodeName}/status`, { status });
    this.podCIDRValue = node.spec?.podCIDR ?? this.podCIDRValue;
    this.previous = status.conditions as NodeCondition[];
    this.lastSent = withoutHeartbeat;
    this.lastSentMs = Date.now();
  }

  /** Checks every NODE_STATUS_CHECK_MS; patches only on a change (or the 5-minute report). */
  start(): void {
    const tick = async () => {
      try {
        await this.send(await this.status(), false);
      } catch (error) {
        this.log(`node status: ${error instanceof Error ? error.message : String(error)}`);
      }
      // A stop during the check above must not be undone by re-arming.
      if (!this.stopped) this.timer = setTimeout(() => void tick(), NODE_STATUS_CHECK_MS);
    };
    this.timer = setTimeout(() => void tick(), NODE_STATUS_CHECK_MS);
  }

  /** Re-checks at once (e.g. Docker came back). */
  async refresh(): Promise<void> {
    await this.send(await this.status(), false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
