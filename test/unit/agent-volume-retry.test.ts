// A pod whose claim is bound a moment after the pod lands on the node (the provisioner runs after
// the scheduler) starts as soon as the claim is Bound, as kubelet's volume manager retries from
// 500 ms, not after the 10 s that a configuration error waits. And an API that does not answer
// is not reported as a claim that does not exist.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, type ApiClient } from "../../node-agent/api-client";
import type { KubeletContext } from "../../node-agent/kubelet/context";
import { EventRecorder } from "../../node-agent/kubelet/events";
import { PodWorker, RETRY_MS } from "../../node-agent/kubelet/pod-worker";
import type { Pod } from "../../node-agent/kubelet/types";
import { HollowRuntime } from "../../node-agent/runtime/hollow";

const POD: Pod = {
  metadata: { name: "web-0", namespace: "default", uid: "uid-web-0" },
  spec: {
    nodeName: "n1",
    containers: [{ name: "nginx", image: "nginx:1.27", volumeMounts: [{ name: "data", mountPath: "/data" }] }],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-web-0" } }],
  },
} as Pod;

const CLAIM_PATH = "/api/v1/namespaces/default/persistentvolumeclaims/data-web-0";

interface FakeApi {
  api: ApiClient;
  claimReads: number[];
  warnings: string[];
}

/** The API as the node sees it: the claim answers `claim(n)` on its n-th read. */
function fakeApi(claim: (read: number) => unknown): FakeApi {
  const claimReads: number[] = [];
  const warnings: string[] = [];
  const api = {
    async get(path: string) {
      if (path === CLAIM_PATH) {
        claimReads.push(Date.now());
        const answer = claim(claimReads.length);
        if (answer instanceof Error) throw answer;
        return answer;
      }
      if (path === "/api/v1/persistentvolumes/pv-1") return { metadata: { name: "pv-1" }, spec: { local: { path: "/mnt/pv-1" } } };
      throw new ApiError(404, "NotFound", `404 ${path}`);
    },
    async patch(_path: string, body: { status: unknown }) {
      return { ...POD, status: body.status };
    },
    async create(path: string, body: { type?: string; reason?: string; message?: string }) {
      if (path.endsWith("/events") && body.type === "Warning") warnings.push(`${body.reason}: ${body.message}`);
      return body;
    },
    async delete() {
      return {};
    },
  } as unknown as ApiClient;
  return { api, claimReads, warnings };
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function worker(fake: FakeApi) {
  const root = mkdtempSync(join(tmpdir(), "edgeplane-volume-retry-"));
  roots.push(root);
  const runtime = new HollowRuntime("n1");
  const log: string[] = [];
  const ctx: KubeletContext = {
    api: fake.api,
    runtime,
    events: new EventRecorder(fake.api, "n1", (m) => log.push(m)),
    nodeName: "n1",
    dataDir: join(root, "data"),
    hostRoot: join(root, "host"),
    hostIP: () => "10.0.0.1",
    podCIDR: () => "10.244.0.0/24",
    log: (m) => log.push(m),
  };
  const w = new PodWorker(ctx, structuredClone(POD), () => undefined);
  const running = async () => (await runtime.list(POD.metadata.uid)).some((c) => c.type === "container" && c.state === "running");
  return { w, runtime, log, running };
}

async function until(test: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await test()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return test();
}

const BOUND = { metadata: { name: "data-web-0" }, spec: { volumeName: "pv-1" }, status: { phase: "Bound" } };
const PENDING = { metadata: { name: "data-web-0" }, spec: {}, status: { phase: "Pending" } };

describe("a pod's claim bound after the pod reached the node", () => {
  it("is mounted on a retry within a second, well before the configuration-error retry", async () => {
    const fake = fakeApi((n) => (n === 1 ? PENDING : BOUND));
    const { w, running } = worker(fake);
    w.kick();
    // Well under RETRY_MS: the old fixed retry would still be waiting here.
    expect(await until(running, RETRY_MS / 4)).toBe(true);
    expect(fake.claimReads.length).toBeGreaterThanOrEqual(2);
    expect(fake.claimReads[1]! - fake.claimReads[0]!).toBeLessThan(RETRY_MS / 4);
    expect(fake.warnings).toContain('FailedMount: persistentvolumeclaim "data-web-0" is not bound yet');
    w.remove();
    await w.settled();
  });

  it("backs off, doubling, while the claim stays unbound", async () => {
    const fake = fakeApi(() => PENDING);
    const { w, running } = worker(fake);
    w.kick();
    await until(async () => fake.claimReads.length >= 4, RETRY_MS);
    const gaps = fake.claimReads.slice(1).map((t, i) => t - fake.claimReads[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    // 500 ms, 1 s, 2 s: each wait is longer than the one before.
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
    expect(await running()).toBe(false);
    w.remove();
    await w.settled();
  }, RETRY_MS * 2);

  it("does not call a claim missing when the API failed to answer", async () => {
    const fake = fakeApi((n) => (n === 1 ? new Error("503 Service Unavailable") : BOUND));
    const { w, running, log } = worker(fake);
    w.kick();
    expect(await until(running, RETRY_MS / 4)).toBe(true);
    expect(fake.warnings.filter((m) => m.includes("not found"))).toEqual([]);
    expect(log.some((m) => m.includes("sync failed: 503"))).toBe(true);
    w.remove();
    await w.settled();
  });
});
