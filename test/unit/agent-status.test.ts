// PodStatus computation and crash-loop back-off of the node agent, as tables.
import { describe, expect, it } from "vitest";
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, backoffRemaining, nextBackoff, type BackoffEntry } from "../../node-agent/kubelet/backoff";
import { applyThreshold } from "../../node-agent/kubelet/probes";
import { computePodStatus, podPhase, type ObservedContainer } from "../../node-agent/kubelet/status";
import type { ContainerStatus, Pod } from "../../node-agent/kubelet/types";

const NOW = "2026-01-01T00:00:10Z";
function pod(restartPolicy = "Always"): Pod {
  return { metadata: { name: "p", uid: "u", creationTimestamp: "2026-01-01T00:00:00Z" }, spec: { restartPolicy, containers: [{ name: "a", image: "i" }] } };
}
function seen(over: Partial<ObservedContainer>): ObservedContainer {
  return { name: "a", image: "i", imageID: "sha256:1", restartCount: 0, ready: false, started: false, ...over };
}
const running = seen({ running: { startedAt: NOW }, ready: true, started: true, containerID: "docker://abc" });
const exited = (code: number) => seen({ terminated: { exitCode: code, reason: code === 0 ? "Completed" : "Error", startedAt: NOW, finishedAt: NOW } });

describe("computePodStatus", () => {
  it("a running ready container: Running, all conditions True, IPs", () => {
    const s = computePodStatus({ pod: pod(), hostIP: "192.0.2.1", podIP: "10.0.0.2", startTime: NOW, init: [], containers: [running], now: NOW });
    expect(s.phase).toBe("Running");
    expect(s.podIP).toBe("10.0.0.2");
    expect(s.podIPs).toEqual([{ ip: "10.0.0.2" }]);
    expect(s.hostIPs).toEqual([{ ip: "192.0.2.1" }]);
    expect(Object.fromEntries(s.conditions!.map((c) => [c.type, c.status]))).toEqual({ Initialized: "True", Ready: "True", ContainersReady: "True", PodScheduled: "True" });
    expect(s.containerStatuses![0]).toMatchObject({ ready: true, started: true, state: { running: { startedAt: NOW } }, containerID: "docker://abc" });
  });

  it("keeps lastTransitionTime while a condition holds", () => {
    const before = pod();
    before.status = { conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2025-01-01T00:00:00Z" }] };
    const s = computePodStatus({ pod: before, hostIP: "h", podIP: "i", startTime: NOW, init: [], containers: [running], now: NOW });
    expect(s.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime).toBe("2025-01-01T00:00:00Z");
    expect(s.conditions!.find((c) => c.type === "Initialized")!.lastTransitionTime).toBe(NOW);
  });

  it("a crash-looping container: waiting CrashLoopBackOff, lastState terminated, still Running", () => {
    const c = seen({ restartCount: 2, terminated: { exitCode: 3, reason: "Error" }, waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } });
    const s = computePodStatus({ pod: pod(), hostIP: "h", podIP: "i", startTime: NOW, init: [], containers: [c], now: NOW });
    expect(s.phase).toBe("Running");
    expect(s.containerStatuses![0]!.state).toEqual({ waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } });
    expect(s.containerStatuses![0]!.lastState.terminated!.exitCode).toBe(3);
    expect(s.conditions!.find((c2) => c2.type === "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady", message: "containers with unready status: [a]" });
  });

  it("init containers running: Pending, Initialized False, app containers PodInitializing", () => {
    const init = [seen({ name: "setup", running: { startedAt: NOW } })];
    const s = computePodStatus({ pod: pod(), hostIP: "h", podIP: "i", startTime: NOW, init, containers: [seen({ waiting: { reason: "PodInitializing" } })], now: NOW });
    expect(s.phase).toBe("Pending");
    expect(s.conditions!.find((c) => c.type === "Initialized")).toMatchObject({ status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [setup]" });
    expect(s.initContainerStatuses![0]!.state.running).toBeDefined();
    expect(s.containerStatuses![0]!.state.waiting!.reason).toBe("PodInitializing");
  });

  it("no podIP before the sandbox exists", () => {
    const s = computePodStatus({ pod: pod(), hostIP: "h", podIP: "", startTime: NOW, init: [], containers: [seen({ waiting: { reason: "ErrImagePull", message: "x" } })], now: NOW });
    expect(s.podIP).toBeUndefined();
    expect(s.phase).toBe("Pending");
    expect(s.containerStatuses![0]!.state.waiting!.reason).toBe("ErrImagePull");
  });
});

describe("podPhase", () => {
  const status = (c: ObservedContainer): ContainerStatus => computePodStatus({ pod: pod(), hostIP: "h", podIP: "", startTime: NOW, init: [], containers: [c], now: NOW }).containerStatuses![0]!;
  it.each([
    ["Always", exited(0), "Running"],
    ["OnFailure", exited(0), "Succeeded"],
    ["OnFailure", exited(1), "Running"],
    ["Never", exited(0), "Succeeded"],
    ["Never", exited(2), "Failed"],
    ["Never", running, "Running"],
  ])("restartPolicy %s, %j → %s", (policy, c, phase) => {
    expect(podPhase(pod(policy), [], [status(c)])).toBe(phase);
  });
  it("a failed init container with restartPolicy Never fails the pod", () => {
    expect(podPhase(pod("Never"), [status(exited(1))], [status(seen({}))])).toBe("Failed");
    expect(podPhase(pod("Always"), [status(exited(1))], [status(seen({}))])).toBe("Pending");
  });
});

describe("crash-loop back-off", () => {
  it("restarts at once the first time, then waits 10 s doubling to 300 s", () => {
    let entry: BackoffEntry | undefined;
    let t = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(backoffRemaining(entry, t, t));
      entry = nextBackoff(entry, t);
      t += 1_000;
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(entry!.delayMs).toBe(BACKOFF_MAX_MS);
  });
  it("counts down from the exit, and resets after 10 minutes without a crash", () => {
    const entry = nextBackoff(undefined, 0);
    expect(entry.delayMs).toBe(BACKOFF_INITIAL_MS);
    expect(backoffRemaining(entry, 1_000, 5_000)).toBe(6_000);
    expect(backoffRemaining(entry, 1_000, 20_000)).toBe(0);
    expect(backoffRemaining(entry, 11 * 60_000, 11 * 60_000)).toBe(0);
    expect(nextBackoff(nextBackoff(entry, 1_000), 20 * 60_000).delayMs).toBe(BACKOFF_INITIAL_MS);
  });
});

describe("probe thresholds", () => {
  it("flips only after failureThreshold failures and successThreshold successes", () => {
    const probe = { failureThreshold: 3, successThreshold: 2 };
    let state = { verdict: true, streak: 0, lastOk: undefined as boolean | undefined };
    const verdicts: boolean[] = [];
    for (const ok of [false, false, false, true, true, false]) {
      state = applyThreshold(state, ok, probe);
      verdicts.push(state.verdict);
    }
    expect(verdicts).toEqual([true, true, false, false, true, true]);
  });
});
