// The scheduler's own speed (the pure reconcile function, no I/O): 10,000 pending pods of
// 50 ReplicaSets onto 1,000 nodes in one pass. Run: npm run bench:scheduler
import { schedule } from "../worker/controllers/scheduler";
import { NOW, node, pod } from "../test/unit/controllers/cluster-fixtures";

const NODES = Number(process.env.NODES ?? 1000);
const PODS = Number(process.env.PODS ?? 10_000);
const ROUNDS = 5;

const nodes = Array.from({ length: NODES }, (_, i) => node(`node-${String(i).padStart(4, "0")}`, { cpu: "16", memory: "64Gi" }).object);
const pods = Array.from({ length: PODS }, (_, i) => pod(`p-${i}`, { owner: `rs-${i % 50}`, cpu: "100m", memory: "128Mi" }).object);
const snapshot = {
  list: (ref: { resource: string }) => (ref.resource === "nodes" ? nodes : ref.resource === "pods" ? pods : []),
  get: () => undefined,
  ownedBy: () => [],
};

const rates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now();
  const result = schedule(snapshot, NOW, { binds: PODS, others: PODS });
  const seconds = (performance.now() - start) / 1000;
  const bound = result.actions.filter((a) => a.type === "bind").length;
  if (bound !== PODS) throw new Error(`bound ${bound} of ${PODS}`);
  rates.push(bound / seconds);
  console.log(`round ${round + 1}: ${bound} pods on ${NODES} nodes in ${seconds.toFixed(3)} s = ${Math.round(bound / seconds)} pods/s`);
}
rates.sort((a, b) => a - b);
console.log(`median ${Math.round(rates[Math.floor(ROUNDS / 2)]!)} pods/s (pure function; the end-to-end figure through the API arrives with hollow nodes)`);
