// The pod worker's plan (kubelet's computePodActions) as tables: what the runtime holds in, the
// sandbox decision and the container steps out. No runtime, no clock but the one passed in.
import { describe, expect, it } from "vitest";
import { planContainers, planPrune, planSandbox, type PlanState } from "../../node-agent/kubelet/pod-actions";
import type { Seen } from "../../node-agent/kubelet/observe";
import type { Pod } from "../../node-agent/kubelet/types";

const NOW = Date.parse("2026-12-07T10:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function seen(id: string, status: "created" | "running" | "exited", o: { name?: string; restartCount?: number; exitCode?: number; finishedAgoMs?: number; sandbox?: boolean } = {}): Seen {
  const running = status === "running";
  return {
    managed: { id, type: o.sandbox ? "podsandbox" : "container", pod: { namespace: "ns", name: "p", uid: "u" }, containerName: o.sandbox ? "POD" : (o.name ?? id), restartCount: o.restartCount ?? 0, state: status, image: "busybox", createdMs: NOW - 60_000 },
    info: {
      status,
      running,
      restarting: false,
      exitCode: o.exitCode ?? 0,
      oomKilled: false,
      imageId: "sha256:1",
      pid: running ? 42 : 0,
      ...(status !== "created" ? { startedAt: ago(50_000) } : {}),
      ...(status === "exited" ? { finishedAt: ago(o.finishedAgoMs ?? 40_000) } : {}),
    },
  };
}

function pod(containers: string[], o: { init?: string[]; restartPolicy?: "Always" | "OnFailure" | "Never" } = {}): Pod {
  return {
    metadata: { name: "p", namespace: "ns", uid: "u" },
    spec: {
      containers: containers.map((name) => ({ name, image: "busybox" })),
      ...(o.init ? { initContainers: o.init.map((name) => ({ name, image: "busybox" })) } : {}),
      ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
    },
  } as Pod;
}

const state = (backoff: PlanState["backoff"] = new Map(), killed: string[] = []): PlanState => ({ now: NOW, backoff, killedByLiveness: (id) => killed.includes(id) });
const byName = (...list: Seen[]) => {
  const map = new Map<string, Seen[]>();
  for (const s of list) map.set(s.managed.containerName, [...(map.get(s.managed.containerName) ?? []), s]);
  return map;
};
const steps = (plan: ReturnType<typeof planContainers>) =>
  plan.steps.map((s) => `${s.action} ${s.container.name}${s.action === "create" ? ` #${s.restartCount}` : s.action === "back-off" ? ` ${s.remainingMs}ms` : ` ${s.id}`}`);

describe("planSandbox", () => {
  it("keeps the running sandbox", () => {
    const sb = seen("sb", "running", { sandbox: true });
    expect(planSandbox({ sandboxes: [sb], byName: byName(seen("c", "running")) })).toEqual({ keep: sb });
  });

  it("makes the first sandbox of a new pod, its containers free to be created meanwhile", () => {
    expect(planSandbox({ sandboxes: [], byName: new Map() })).toEqual({ create: true, remove: [], stop: [], changed: false, fresh: true });
  });

  it("replaces a dead sandbox, stopping the containers still running in it (SandboxChanged)", () => {
    const plan = planSandbox({ sandboxes: [seen("old", "exited", { sandbox: true })], byName: byName(seen("web", "running"), seen("done", "exited")) });
    expect(plan).toEqual({ create: true, remove: ["old"], stop: ["web"], changed: true, fresh: false });
  });
});

describe("planContainers", () => {
  it("creates every container of a new pod", () => {
    expect(steps(planContainers(pod(["a", "b"]), new Map(), state()))).toEqual(["create a #0", "create b #0"]);
  });

  it("runs init containers one at a time, in order, before any app container", () => {
    const p = pod(["app"], { init: ["one", "two"] });
    expect(steps(planContainers(p, new Map(), state()))).toEqual(["create one #0"]);
    const oneRunning = planContainers(p, byName(seen("one", "running")), state());
    expect(oneRunning).toMatchObject({ steps: [], initDone: false, initFailed: false });
    expect(steps(planContainers(p, byName(seen("one", "exited")), state()))).toEqual(["create two #0"]);
    const both = planContainers(p, byName(seen("one", "exited"), seen("two", "exited")), state());
    expect(both.initDone).toBe(true);
    expect(steps(both)).toEqual(["create app #0"]);
  });

  it("a failed init container restarts, unless restartPolicy is Never: then the pod has failed", () => {
    const failed = seen("one", "exited", { exitCode: 1 });
    expect(steps(planContainers(pod(["app"], { init: ["one"] }), byName(failed), state()))).toEqual(["create one #1"]);
    expect(planContainers(pod(["app"], { init: ["one"], restartPolicy: "Never" }), byName(failed), state())).toMatchObject({ steps: [], initFailed: true });
  });

  it("restarts per restartPolicy: Always any exit, OnFailure a failure or a liveness kill, Never none", () => {
    const ok = seen("c", "exited", { name: "app", exitCode: 0 });
    const bad = seen("c", "exited", { name: "app", exitCode: 2 });
    expect(steps(planContainers(pod(["app"]), byName(ok), state()))).toEqual(["create app #1"]);
    expect(steps(planContainers(pod(["app"], { restartPolicy: "OnFailure" }), byName(ok), state()))).toEqual([]);
    expect(steps(planContainers(pod(["app"], { restartPolicy: "OnFailure" }), byName(bad), state()))).toEqual(["create app #1"]);
    expect(steps(planContainers(pod(["app"], { restartPolicy: "OnFailure" }), byName(ok), state(new Map(), ["c"])))).toEqual(["create app #1"]);
    expect(steps(planContainers(pod(["app"], { restartPolicy: "Never" }), byName(bad), state()))).toEqual([]);
  });

  it("waits out crash-loop back-off from when the container finished", () => {
    const crashed = seen("c", "exited", { name: "app", exitCode: 1, restartCount: 3, finishedAgoMs: 4_000 });
    const backoff = new Map([["app", { delayMs: 10_000, lastUpdateMs: NOW - 30_000 }]]);
    expect(steps(planContainers(pod(["app"]), byName(crashed), state(backoff)))).toEqual(["back-off app 6000ms"]);
    const later = seen("c", "exited", { name: "app", exitCode: 1, restartCount: 3, finishedAgoMs: 11_000 });
    expect(steps(planContainers(pod(["app"]), byName(later), state(backoff)))).toEqual(["create app #4"]);
  });

  it("starts a container that was created and never started (an agent stopped in between)", () => {
    expect(steps(planContainers(pod(["app"]), byName(seen("c", "created", { name: "app" })), state()))).toEqual(["start-created app c"]);
  });

  it("leaves running containers alone and names them", () => {
    const plan = planContainers(pod(["a", "b"]), byName(seen("c1", "running", { name: "a" })), state());
    expect(plan.running).toEqual(["a"]);
    expect(steps(plan)).toEqual(["create b #0"]);
  });
});

describe("planPrune", () => {
  it("keeps the newest two instances of each container and any running one", () => {
    const list = [seen("new", "running", { name: "app" }), seen("prev", "exited", { name: "app" }), seen("old", "exited", { name: "app" }), seen("older", "exited", { name: "app" })];
    expect(planPrune(byName(...list))).toEqual(["old", "older"]);
  });
});
