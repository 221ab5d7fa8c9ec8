// The console Overview's figures (web/src/overview-model.ts): what a pod requests, what a node
// carries, which rollouts are in progress, which Warning events are newest.
import { describe, expect, it } from "vitest";
import {
  age,
  formatBytes,
  formatCpu,
  newest,
  nodeStatusText,
  podStats,
  summarizeDeployment,
  summarizeEvent,
  summarizeNode,
  summarizePod,
  summarizeStatefulSet,
  type PodSummary,
  type WarningEvent,
} from "../../web/src/overview-model";

const pod = (over: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  metadata: { uid: "u", namespace: "default", name: "p" },
  spec: { containers: [], ...spec },
  status: {},
  ...over,
});

describe("summarizePod", () => {
  it("sums containers, takes the largest init container, adds overhead; limits stand in for absent requests", () => {
    const p = summarizePod(
      pod({ status: { phase: "Running" } }, {
        nodeName: "n1",
        containers: [
          { name: "a", resources: { requests: { cpu: "100m", memory: "128Mi" } } },
          { name: "b", resources: { limits: { cpu: "1.5", memory: "1Gi" } } },
        ],
        initContainers: [{ name: "i", resources: { requests: { cpu: "3", memory: "64Mi" } } }],
        overhead: { cpu: "10m", memory: "1Mi" },
      }),
    );
    expect(p).toEqual({ namespace: "default", name: "p", phase: "Running", node: "n1", cpu: 3010, memory: (128 + 1024 + 1) * 2 ** 20 });
  });

  it("is Pending without a phase, Unknown with one it does not know, and nothing without a uid", () => {
    expect(summarizePod(pod())?.phase).toBe("Pending");
    expect(summarizePod(pod({ status: { phase: "Weird" } }))?.phase).toBe("Unknown");
    expect(summarizePod({ metadata: {} })).toBeUndefined();
  });
});

describe("nodes", () => {
  it("reads readiness, cordoning and allocatable as kubectl shows them", () => {
    const n = summarizeNode({
      metadata: { uid: "n", name: "n1" },
      spec: { unschedulable: true },
      status: { conditions: [{ type: "Ready", status: "False" }], allocatable: { cpu: "2", memory: "4Gi", pods: "110" } },
    })!;
    expect(n).toEqual({ name: "n1", readiness: "NotReady", unschedulable: true, cpu: 2000, memory: 4 * 2 ** 30, pods: 110 });
    expect(nodeStatusText(n)).toBe("NotReady,SchedulingDisabled");
    expect(summarizeNode({ metadata: { uid: "m", name: "m" } })?.readiness).toBe("Unknown");
  });
});

describe("podStats", () => {
  const p = (namespace: string, phase: PodSummary["phase"], node: string): PodSummary => ({ namespace, name: "x", phase, node, cpu: 100, memory: 10 });
  const pods = [p("a", "Running", "n1"), p("a", "Pending", ""), p("b", "Running", "n1"), p("a", "Succeeded", "n1"), p("b", "Pending", "n2")];

  it("counts phases and pods per node in the namespace shown, requests on a node from every namespace", () => {
    const s = podStats(pods, "a");
    expect(s.phases).toEqual({ Pending: 1, Running: 1, Succeeded: 1, Failed: 0, Unknown: 0 });
    expect([...s.perNode]).toEqual([["n1", 1]]);
    expect(s.unscheduled).toBe(1);
    // The Succeeded pod holds nothing; b's pods count on their nodes.
    expect(s.placed.get("n1")).toEqual({ cpu: 200, memory: 20, pods: 2 });
    expect(s.placed.get("n2")).toEqual({ cpu: 100, memory: 10, pods: 1 });
    expect(podStats(pods, "").perNode.get("n1")).toBe(2);
  });
});

describe("rollouts", () => {
  const deployment = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 1) => ({
    metadata: { uid: "d", namespace: "default", name: "web", generation },
    spec,
    status: { observedGeneration: 1, ...status },
  });

  it("a Deployment is in progress while replicas are not updated or available, old ones remain, or a spec is unobserved", () => {
    expect(summarizeDeployment(deployment({ replicas: 3 }, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }))?.inProgress).toBe(false);
    expect(summarizeDeployment(deployment({ replicas: 3 }, { replicas: 3, updatedReplicas: 2, availableReplicas: 3 }))).toMatchObject({ inProgress: true, updated: 2, ready: 3, kind: "Deployment" });
    expect(summarizeDeployment(deployment({ replicas: 3 }, { replicas: 3, updatedReplicas: 3, availableReplicas: 2 }))?.inProgress).toBe(true);
    expect(summarizeDeployment(deployment({ replicas: 3 }, { replicas: 4, updatedReplicas: 3, availableReplicas: 3 }))?.inProgress).toBe(true);
    expect(summarizeDeployment(deployment({ replicas: 3 }, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, 2))?.inProgress).toBe(true);
    // spec.replicas defaults to 1.
    expect(summarizeDeployment(deployment({}, {}))).toMatchObject({ replicas: 1, inProgress: true });
  });

  it("a StatefulSet is in progress while replicas are not updated or ready, or its revisions differ", () => {
    const sts = (status: Record<string, unknown>) =>
      summarizeStatefulSet({ metadata: { uid: "s", namespace: "db", name: "pg", generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, ...status } });
    const done = { updatedReplicas: 2, readyReplicas: 2, currentRevision: "r2", updateRevision: "r2" };
    expect(sts(done)?.inProgress).toBe(false);
    expect(sts({ ...done, currentRevision: "r1" })?.inProgress).toBe(true);
    expect(sts({ ...done, readyReplicas: 1 })).toMatchObject({ inProgress: true, kind: "StatefulSet", ready: 1 });
  });
});

describe("events", () => {
  it("names the object as kubectl does and takes the latest of its times", () => {
    const e = summarizeEvent({
      metadata: { uid: "e", namespace: "default", creationTimestamp: "2024-01-01T00:00:00Z" },
      involvedObject: { kind: "Pod", name: "web-1" },
      reason: "BackOff",
      message: " Back-off restarting ",
      lastTimestamp: "2024-01-01T00:05:00Z",
      count: 4,
    });
    expect(e).toEqual({ namespace: "default", object: "pod/web-1", reason: "BackOff", message: "Back-off restarting", at: Date.parse("2024-01-01T00:05:00Z"), count: 4 });
  });

  it("keeps the newest few, newest first", () => {
    const at = (t: number): WarningEvent => ({ namespace: "", object: String(t), reason: "", message: "", at: t, count: 1 });
    expect(newest([5, 1, 9, 3, 7, 9].map(at), 3).map((e) => e.at)).toEqual([9, 9, 7]);
    expect(newest([], 3)).toEqual([]);
  });
});

describe("formatting", () => {
  it("shows quantities and ages as kubectl would", () => {
    expect([formatCpu(250), formatCpu(2000), formatCpu(1500), formatCpu(0)]).toEqual(["250m", "2", "1.5", "0"]);
    expect([formatBytes(512 * 2 ** 20), formatBytes(1.5 * 2 ** 30), formatBytes(0)]).toEqual(["512Mi", "1.5Gi", "0"]);
    expect([age(0, 1), age(1_000, 46_000), age(0 + 1, 1 + 12 * 60_000), age(1, 1 + 5 * 3_600_000), age(1, 1 + 3 * 86_400_000)]).toEqual(["unknown", "45s", "12m", "5h", "3d"]);
  });
});
