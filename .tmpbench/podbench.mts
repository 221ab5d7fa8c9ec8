import { resourceByPlural } from "../worker/resources/registry";
import { validateObject } from "../worker/api/validate";
import { recordManagedFields } from "../worker/api/managed";
import { initCreateMeta } from "../worker/api/object-meta";
import { drizzle } from "drizzle-orm/d1";
import { SqlStore } from "../worker/store/sql-store";
const def = resourceByPlural("", "pods")!;
const mk = (i: number) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: `p-${i}`, namespace: "scale-a", labels: { app: "bench" } },
  spec: { containers: [{ name: "c", image: "busybox", command: ["sleep", "3600"], resources: { requests: { cpu: "10m", memory: "16Mi" } } }] } } as any);
let rev = 1;
const stub: any = {
  prepare(sql: string) { const st: any = { sql, bind: (...p: unknown[]) => ({ ...st, params: p }), raw: async () => [], all: async () => ({ results: [] }), run: async () => ({}) }; return st; },
  async batch(stmts: any[]) { return stmts.map((s: any) => (s.sql.startsWith("insert into \"changes\"") ? { results: [{ revision: rev++ }], success: true, meta: {} } : { results: [], success: true, meta: {} })); },
};
const store = new SqlStore(drizzle(stub) as any);
const N = 2000;
for (const round of [0, 1, 2]) {
  const objs = Array.from({ length: N }, (_, i) => mk(i));
  let t = performance.now();
  for (const o of objs) { initCreateMeta(def, o, new Date()); def.prepareForCreate?.(o, { now: new Date(), user: "admin" } as any); }
  const tMeta = performance.now() - t; t = performance.now();
  const v = objs.map((o) => validateObject(def, o));
  const tVal = performance.now() - t; t = performance.now();
  for (const o of v) recordManagedFields(def, null, o, { manager: "kubectl", operation: "Update", now: new Date() });
  const tMf = performance.now() - t; t = performance.now();
  for (const [i, o] of v.entries()) await store.create({ group: "", resource: "pods", namespace: "scale-a", name: `p-${i}` }, o);
  const tStore = performance.now() - t; t = performance.now();
  const js = v.map((o) => JSON.stringify(o));
  const tJson = performance.now() - t;
  console.log(`per pod µs: meta+prepare ${(1000*tMeta/N).toFixed(0)}, validate ${(1000*tVal/N).toFixed(0)}, managedFields ${(1000*tMf/N).toFixed(0)}, store.create (stub D1) ${(1000*tStore/N).toFixed(0)}, stringify ${(1000*tJson/N).toFixed(0)}; size ${js[0]!.length}`);
}
