// `kubectl get pods -w` prints changes made from another terminal while it runs.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Resolves once `text` matches, with everything printed so far. */
function waitForOutput(read: () => string, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      const out = read();
      if (pattern.test(out)) {
        clearInterval(tick);
        resolve(out);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(tick);
        reject(new Error(`timed out waiting for ${pattern}; got:\n${out}`));
      }
    }, 50);
  });
}

it("get pods -w prints additions, label changes and deletions as they happen", async () => {
  expect((await cluster.kubectl(["run", "before", "--image=busybox"])).code).toBe(0);
  const watcher = spawn("kubectl", ["get", "pods", "-w"], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
  let out = "";
  watcher.stdout.on("data", (d: Buffer) => (out += d.toString()));
  watcher.stderr.on("data", (d: Buffer) => (out += d.toString()));
  try {
    await waitForOutput(() => out, /^before\s+0\/1\s+Pending/m, 15_000);
    expect((await cluster.kubectl(["run", "during", "--image=busybox"])).code).toBe(0);
    await waitForOutput(() => out, /^during\s+0\/1\s+Pending/m, 5_000);
    expect((await cluster.kubectl(["delete", "pod", "during", "--wait=false"])).code).toBe(0);
    const final = await waitForOutput(() => out, /^during\s+0\/1\s+Pending[^\n]*\n(.*\n)*during\s+0\/1\s+(Pending|Terminating)/m, 5_000);
    expect(final.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/gm)?.length).toBe(1);
  } finally {
    watcher.kill("SIGTERM");
  }
}, 60_000);
