// The controller loop's alarm path inside workerd, fired with runDurableObjectAlarm rather than
// waited for: one alarm reconciles a Deployment into a ReplicaSet and its pods, and the next
// alarm deletes what the garbage collector finds orphaned. (CONTROLLERS_DISABLED keeps writes from
// nudging the loop here, so only these explicit alarms run it.)
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asObject, call, createNamespace } from "./api-client";

const NS = "alarm-path";

function loop() {
  return env.CONTROLLER_LOOP.get(env.CONTROLLER_LOOP.idFromName("controller-manager"));
}

/** Arms the alarm (a pass is due) and fires it at once. */
async function pass(): Promise<void> {
  const stub = loop();
  // Far enough ahead that workerd does not fire it first; runDurableObjectAlarm runs it now.
  await runInDurableObject(stub, async (_instance, state) => state.storage.setAlarm(Date.now() + 60_000));
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

async function names(collection: string): Promise<string[]> {
  const list = asObject((await call("GET", collection)).json);
  return (list.items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();
}

beforeAll(() => createNamespace(NS));

// The pass re-arms its alarm; other files in this runtime must see no background writes.
afterAll(() => runInDurableObject(loop(), async (_instance, state) => state.storage.deleteAlarm()));

describe("the controller loop's alarm", () => {
  it("reconciles a Deployment into a ReplicaSet and pods in one pass", async () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
      },
    };
    const created = await call("POST", `/apis/apps/v1/namespaces/${NS}/deployments`, JSON.stringify(deployment), { "content-type": "application/json" });
    expect(created.status, created.text).toBe(201);
    expect(await names(`/apis/apps/v1/namespaces/${NS}/replicasets`)).toEqual([]);

    await pass();
    const replicaSets = await names(`/apis/apps/v1/namespaces/${NS}/replicasets`);
    expect(replicaSets).toHaveLength(1);
    expect(replicaSets[0]).toMatch(/^web-[a-z0-9]+$/);
    expect(await names(`/api/v1/namespaces/${NS}/pods`)).toHaveLength(2);
  });

  it("collects an orphan created after the first pass, on the next alarm", async () => {
    const orphan = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "orphan", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "gone", uid: "00000000-0000-0000-0000-000000000000" }] },
      data: {},
    };
    const created = await call("POST", `/api/v1/namespaces/${NS}/configmaps`, JSON.stringify(orphan), { "content-type": "application/json" });
    expect(created.status, created.text).toBe(201);
    await pass();
    expect(await names(`/api/v1/namespaces/${NS}/configmaps`)).not.toContain("orphan");
  });
});
