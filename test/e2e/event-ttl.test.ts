// Events age out (kube-apiserver's --event-ttl), here with a 20 s time to live: 10,000 Events
// written through the API are each deleted no sooner than the TTL after their last write (as a
// watch sees them go), all are gone shortly after, and an Event rewritten all along stays.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientFromKubeconfig, listThenWatch, type ApiClient } from "../../bench/lib/client";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";

const TTL_S = 20;
const COUNT = 10_000;
const CONCURRENCY = 32;
const NAMESPACE = "ttl";
/** How late an Event may go: a checkpoint interval (1 s at this TTL), a pass, and a loaded machine (CI runs this beside other suites). */
const LATE_MS = 30_000;

interface EventObject {
  metadata: { name: string; resourceVersion?: string };
  count?: number;
}

const event = (name: string, count = 1) => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name, namespace: NAMESPACE },
  involvedObject: { kind: "Pod", name: "p", namespace: NAMESPACE },
  reason: "Tested",
  message: `event ${name}`,
  type: "Normal",
  count,
});

describe("Event time to live", () => {
  let cluster: Cluster;
  let api: ApiClient;

  beforeAll(async () => {
    cluster = await startCluster({ vars: { EVENT_TTL_SECONDS: String(TTL_S) }, requestLog: false });
    api = clientFromKubeconfig(cluster.kubeconfig, CONCURRENCY);
    await kubectlOk(cluster, ["create", "namespace", NAMESPACE]);
  }, 120_000);

  afterAll(async () => {
    api?.agent.destroy();
    await cluster?.stop();
  });

  it(`deletes ${COUNT.toLocaleString("en")} Events a TTL after their last write, and keeps one written since`, async () => {
    const path = `/api/v1/namespaces/${NAMESPACE}/events`;
    const writtenAt = new Map<string, number>();
    const deletedAt = new Map<string, number>();
    const stopWatch = await listThenWatch<EventObject>(api, path, (type, object) => {
      if (type === "DELETED") deletedAt.set(object.metadata.name, Date.now());
    });
    try {
      // One Event rewritten every 2 s from start to end: its TTL keeps moving.
      let kept = JSON.parse((await api.call("POST", path, event("kept"))).body) as EventObject;
      let keeping = true;
      const keeper = (async () => {
        while (keeping) {
          await new Promise((r) => setTimeout(r, 2_000));
          const answer = await api.call("PUT", `${path}/kept`, { ...event("kept", (kept.count ?? 1) + 1), metadata: { ...kept.metadata, namespace: NAMESPACE } });
          expect(answer.status, answer.body).toBe(200);
          kept = JSON.parse(answer.body) as EventObject;
        }
      })();

      let next = 0;
      const writer = async () => {
        while (next < COUNT) {
          const name = `e-${next++}`;
          // Before the request: the write itself is no earlier than this.
          writtenAt.set(name, Date.now());
          const answer = await api.call("POST", path, event(name));
          expect(answer.status, answer.body).toBe(201);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, writer));
      const lastWrite = Date.now();

      // Done when only the rewritten Event is left (read by listing: the watch is for timing).
      const onlyKept = async () => (JSON.parse((await api.call("GET", `${path}?limit=2`)).body) as { items: EventObject[] }).items.map((i) => i.metadata.name).join() === "kept";
      await eventually(onlyKept, `${COUNT} Events expired`, TTL_S * 1000 + LATE_MS + 60_000, 1_000);
      const doneAt = Date.now();
      console.info(`event ttl: ${COUNT} written by ${new Date(lastWrite).toISOString()}, all expired ${((doneAt - lastWrite) / 1000).toFixed(1)} s later; the watch saw ${deletedAt.size} deletions`);
      keeping = false;
      await keeper;
      // None went before its time, as every deletion the watch saw shows; the last went within
      // LATE_MS of its time (a loaded machine adds to the checkpoint interval).
      expect(deletedAt.size).toBeGreaterThan(0);
      const early = [...deletedAt].filter(([name, at]) => at < writtenAt.get(name)! + TTL_S * 1000);
      expect(early).toEqual([]);
      expect(doneAt).toBeLessThan(lastWrite + TTL_S * 1000 + LATE_MS + 1_000);
      expect(deletedAt.has("kept")).toBe(false);
      expect(await onlyKept()).toBe(true);
    } finally {
      stopWatch();
    }
  }, 300_000);
});
