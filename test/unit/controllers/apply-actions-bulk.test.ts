// The applier's bulk path: runs of binds and creates become one bulk call each, events are
// written after the other writes (created names substituted), capped per flush, and repeats
// become recounts of the stored Event.
import { describe, expect, it } from "vitest";
import { ActionApplier, type ApiCaller, type BulkResult, type BulkWriter } from "../../../worker/controllers/apply-actions";
import { builtInRegistry } from "../../../worker/resources/registry";
import type { KubeObject } from "../../../worker/resources/types";
import type { Action } from "../../../worker/controllers/types";

const REGISTRY = builtInRegistry();

const pod = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "ns", uid: `u-${name}`, resourceVersion: "7" } });

function fakes() {
  const log: string[] = [];
  const calls: string[] = [];
  const call: ApiCaller = async (method, path) => {
    calls.push(`${method} ${path}`);
    return { status: 200, body: "{}" };
  };
  let revision = 100;
  const stored = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++revision) } });
  const bulk: BulkWriter = {
    async create(ref, objects) {
      const label = (o: KubeObject) => (ref.resource === "events" ? (o.involvedObject as { name: string }).name : (o.metadata.name ?? o.metadata.generateName));
      log.push(`create ${ref.resource} ${objects.map(label).join(",")}`);
      return objects.map((o): BulkResult => {
        if (o.metadata.name === "taken") return { status: 409, message: "exists" };
        const named = o.metadata.name ? o : { ...o, metadata: { ...o.metadata, name: `${o.metadata.generateName}xyz` } };
        return { status: 201, object: stored(named) };
      });
    },
    async bind(binds) {
      log.push(`bind ${binds.map((b) => `${b.pod.metadata.name}->${b.nodeName}`).join(",")}`);
      return binds.map(() => ({ status: 200 }));
    },
    async rewrite(ref, objects) {
      log.push(`rewrite ${ref.resource} count=${objects.map((o) => o.count).join(",")}`);
      return objects.map((o) => ({ status: 200, object: stored(o) }));
    },
  };
  return { log, calls, call, bulk };
}

const scheduled = (name: string): Action => ({ type: "event", regarding: pod(name), eventType: "Normal", reason: "Scheduled", message: `assigned ${name}` });

describe("ActionApplier with a bulk writer", () => {
  it("groups consecutive binds and creates, keeps other writes in order, then writes events", async () => {
    const { log, calls, call, bulk } = fakes();
    const applier = new ActionApplier(call, "c", REGISTRY, { bulk });
    const outcome = await applier.apply([
      { type: "update", ref: { group: "", resource: "persistentvolumeclaims" }, object: pod("claim") },
      { type: "bind", pod: pod("a"), nodeName: "n1" },
      scheduled("a"),
      { type: "bind", pod: pod("b"), nodeName: "n2" },
      scheduled("b"),
      {
        type: "create",
        ref: { group: "", resource: "pods" },
        object: { apiVersion: "v1", kind: "Pod", metadata: { generateName: "web-", namespace: "ns" } },
        event: { regarding: pod("rs"), eventType: "Normal", reason: "SuccessfulCreate", message: "Created pod: {name}" },
      },
      { type: "create", ref: { group: "", resource: "pods" }, object: pod("taken") },
    ]);
    expect(calls).toEqual(["PUT /api/v1/namespaces/ns/persistentvolumeclaims/claim"]);
    expect(log).toEqual(["bind a->n1,b->n2", "create pods web-,taken", "create events a,b,rs"]);
    expect(outcome).toEqual({ applied: 7, conflicts: 1, failures: [] });
  });

  it("substitutes the created name into the create's event", async () => {
    const { call, bulk } = fakes();
    const seen: KubeObject[] = [];
    const create = bulk.create;
    bulk.create = async (ref, objects) => {
      if (ref.resource === "events") seen.push(...objects);
      return create(ref, objects);
    };
    const applier = new ActionApplier(call, "c", REGISTRY, { bulk });
    await applier.apply([
      {
        type: "create",
        ref: { group: "", resource: "pods" },
        object: { apiVersion: "v1", kind: "Pod", metadata: { generateName: "web-", namespace: "ns" } },
        event: { regarding: pod("rs"), eventType: "Normal", reason: "SuccessfulCreate", message: "Created pod: {name}" },
      },
    ]);
    expect(seen.map((e) => e.message)).toEqual(["Created pod: web-xyz"]);
    expect(seen[0]).toMatchObject({ reason: "SuccessfulCreate", count: 1, involvedObject: { name: "rs", uid: "u-rs" } });
  });

  it("caps events per flush and keeps the rest for the next", async () => {
    const { log, call, bulk } = fakes();
    const applier = new ActionApplier(call, "c", REGISTRY, { bulk, maxEventsPerFlush: 2 });
    await applier.apply([scheduled("a"), scheduled("b"), scheduled("c")]);
    expect(applier.pendingEvents).toBe(1);
    await applier.flushEvents();
    expect(applier.pendingEvents).toBe(0);
    expect(log).toEqual(["create events a,b", "create events c"]);
  });

  it("with deferEvents, apply only queues events and the caller flushes them", async () => {
    const { log, call, bulk } = fakes();
    const applier = new ActionApplier(call, "c", REGISTRY, { bulk, deferEvents: true });
    await applier.apply([{ type: "bind", pod: pod("a"), nodeName: "n1" }, scheduled("a")]);
    expect(log).toEqual(["bind a->n1"]);
    expect(applier.pendingEvents).toBe(1);
    await applier.flushEvents();
    expect(log).toEqual(["bind a->n1", "create events a"]);
  });

  it("recounts a repeated event as a rewrite of the stored one", async () => {
    const { log, call, bulk } = fakes();
    const applier = new ActionApplier(call, "c", REGISTRY, { bulk });
    await applier.apply([scheduled("a")]);
    await applier.apply([scheduled("a"), scheduled("a")]);
    expect(log[1]).toBe("rewrite events count=3");
  });
});
