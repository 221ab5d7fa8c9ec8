// The write path against the cheapest request the same server answers: 16 keep-alive clients
// send GET /readyz for a while, then create pending pods (no node: they stay Pending, and the
// scheduler and the event recorder run as they would) for as long. Prints both rates and their
// ratio, which is what issue 12's "creates ≥ 0.35× readyz" target reads. The controller loop runs
// unless CONTROLLERS=off. CLIENTS, DURATION_S and ROUNDS change the run.
import { startCluster } from "../test/e2e/harness";
import { clientFromKubeconfig, percentile, type ApiClient } from "./lib/client";
import { treeCpuNs } from "./lib/proc";

const CLIENTS = Number(process.env.CLIENTS ?? 16);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

interface Rate {
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  cpuMsPerRequest: number;
}

/** `CLIENTS` loops sending `send(n)` until the time is up. */
async function drive(pid: number, send: (n: number) => Promise<{ status: number; ms: number }>, ok: number): Promise<Rate> {
  const latencies: number[] = [];
  let failures = 0;
  let sequence = 0;
  const cpuBefore = treeCpuNs(pid);
  const started = performance.now();
  const deadline = started + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const res = await send(sequence++);
        if (res.status === ok) latencies.push(res.ms);
        else failures++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpuMs = (treeCpuNs(pid) - cpuBefore) / 1e6;
  return { perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures, cpuMsPerRequest: cpuMs / Math.max(1, latencies.length) };
}

function pod(round: number, n: number) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `w${round}-${n}`, namespace: "default", labels: { bench: "writes" } },
    spec: { containers: [{ name: "app", image: "busybox", command: ["sleep", "3600"] }] },
  };
}

const show = (label: string, r: Rate) =>
  `${label.padEnd(8)} ${r.perSecond.toFixed(0).padStart(6)}/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  workerd CPU ${r.cpuMsPerRequest.toFixed(2)} ms/request${r.failures ? `  (${r.failures} failed)` : ""}`;

async function main() {
  const controllers = process.env.CONTROLLERS !== "off";
  const cluster = await startCluster({ requestLog: false, vars: controllers ? {} : { CONTROLLERS_DISABLED: "true" } });
  const api: ApiClient = clientFromKubeconfig(cluster.kubeconfig, CLIENTS);
  console.log(`${CLIENTS} clients, ${DURATION_S} s per measure, ${ROUNDS} rounds (local cluster as npm start runs it, no agent; controller loop ${controllers ? "on" : "off"})`);
  const ratios: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const readyz = await drive(cluster.pid, () => api.call("GET", "/readyz"), 200);
      const creates = await drive(cluster.pid, (n) => api.call("POST", "/api/v1/namespaces/default/pods", pod(round, n)), 201);
      ratios.push(creates.perSecond / readyz.perSecond);
      console.log(`round ${round}\n  ${show("readyz", readyz)}\n  ${show("creates", creates)}\n  creates / readyz: ${(creates.perSecond / readyz.perSecond).toFixed(2)}`);
    }
    ratios.sort((a, b) => a - b);
    console.log(`median creates / readyz over ${ROUNDS} rounds: ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}`);
  } finally {
    api.agent.destroy();
    await cluster.stop();
  }
}

void main();
