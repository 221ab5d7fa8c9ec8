// Actions become typed calls of the write service: updates and status updates carry their
// resourceVersion, deletes their preconditions; runs of binds and creates become one batch each,
// events are written after the other writes (created names substituted), capped per flush, and
// a repeated event is a recount of the stored one.
import { describe, expect, it } from "vitest";
import { ActionApplier, type ControllerWrites, type WriteResult } from "../../../worker/controllers/apply-actions";
import type { Action } from "../../../worker/controllers/types";
import type { KubeObject } from "../../../worker/resources/types";

const pod = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "ns", uid: `u-${name}`, resourceVersion: "7" } });

/** A write service that records each call and answers as the store would. */
function fakeWrites(answer: (call: string) => number = () => 200) {
  const log: string[] = [];
  const created: KubeObject[] = [];
  let revision = 100;
  const stored = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++revision) } });
  const writes: ControllerWrites = {
    async update(ref, object, subresource) {
      const call = `update ${ref.resource}${subresource ? `/${subresource}` : ""} ${object.metadata.name}@${object.metadata.resourceVersion}`;
      log.push(call);
      return { status: answer(call), object: stored(object) };
    },
    async delete(ref, request) {
      const call = `delete ${ref.resource} ${request.namespace}/${request.name} uid=${request.uid} ${request.propagationPolicy}`;
      log.push(call);
      return { status: answer(call) };
    },
    async createMany(ref, objects) {
      const label = (o: KubeObject) => (ref.resource === "events" ? (o.involvedObject as { name: string }).name : (o.metadata.name ?? o.metadata.generateName));
      log.push(`create ${ref.resource} ${objects.map(label).join(",")}`);
      if (ref.resource === "events") created.push(...objects);
      return objects.map((o): WriteResult => {
        if (o.metadata.name === "taken") return { status: 409, message: "exists" };
        if (o.metadata.name === "broken") return { status: 500, message: "broken" };
        const named = o.metadata.name ? o : { ...o, metadata: { ...o.metadata, name: `${o.metadata.generateName}xyz` } };
        return { status: 201, object: stored(named) };
      });
    },
    async updateStatusMany(ref, objects) {
      log.push(`status ${ref.resource} ${objects.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).join(",")}`);
      return objects.map((o) => ({ status: 200, object: stored(o) }));
    },
    async bindMany(binds) {
      log.push(`bind ${binds.map((b) => `${b.pod.metadata.name}->${b.nodeName}`).join(",")}`);
      return binds.map(() => ({ status: 200 }));
    },
    async rewriteMany(ref, objects) {
      log.push(`rewrite ${ref.resource} count=${objects.map((o) => o.count).join(",")}`);
      return objects.map((o) => ({ status: 200, object: stored(o) }));
    },
  };
  return { log, created, writes };
}

const scheduled = (name: string): Action => ({ type: "event", regarding: pod(name), eventType: "Normal", reason: "Scheduled", message: `assigned ${name}` });

describe("ActionApplier", () => {
  it("maps each action to its write, in order, with its precondition", async () => {
    const { log, writes } = fakeWrites();
    const applier = new ActionApplier(writes, "test-controller", { now: () => new Date("2026-01-01T00:00:00Z") });
    const outcome = await applier.apply([
      { type: "update", ref: { group: "", resource: "pods" }, object: pod("p") },
      { type: "updateStatus", ref: { group: "", resource: "pods" }, object: pod("p") },
      { type: "update", ref: { group: "", resource: "namespaces" }, object: { ...pod("gone"), kind: "Namespace" }, subresource: "finalize" },
      { type: "delete", ref: { group: "", resource: "pods" }, namespace: "ns", name: "p", uid: "u1", propagationPolicy: "Background" },
    ]);
    expect(outcome).toEqual({ applied: 4, conflicts: 0, failures: [] });
    expect(log).toEqual(["update pods p@7", "status pods p@7", "update namespaces/finalize gone@7", "delete pods ns/p uid=u1 Background"]);
  });

  it("groups consecutive status writes of one kind into one call", async () => {
    const { log, writes } = fakeWrites();
    const applier = new ActionApplier(writes, "c");
    await applier.apply([
      { type: "updateStatus", ref: { group: "", resource: "pods" }, object: pod("a") },
      scheduled("a"),
      { type: "updateStatus", ref: { group: "", resource: "pods" }, object: pod("b") },
      { type: "updateStatus", ref: { group: "", resource: "nodes" }, object: { ...pod("n"), kind: "Node" } },
    ]);
    expect(log).toEqual(["status pods a@7,b@7", "status nodes n@7", "create events a"]);
  });

  it("groups consecutive binds and creates, keeps other writes in order, then writes events", async () => {
    const { log, writes } = fakeWrites();
    const applier = new ActionApplier(writes, "c");
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
    expect(log).toEqual(["update persistentvolumeclaims claim@7", "bind a->n1,b->n2", "create pods web-,taken", "create events a,b,rs"]);
    expect(outcome).toEqual({ applied: 7, conflicts: 1, failures: [] });
  });

  it("substitutes the created name into the create's event", async () => {
    const { created, writes } = fakeWrites();
    const applier = new ActionApplier(writes, "c");
    await applier.apply([
      {
        type: "create",
        ref: { group: "", resource: "pods" },
        object: { apiVersion: "v1", kind: "Pod", metadata: { generateName: "web-", namespace: "ns" } },
        event: { regarding: pod("rs"), eventType: "Normal", reason: "SuccessfulCreate", message: "Created pod: {name}" },
      },
    ]);
    expect(created.map((e) => e.message)).toEqual(["Created pod: web-xyz"]);
    expect(created[0]).toMatchObject({ reason: "SuccessfulCreate", count: 1, involvedObject: { kind: "Pod", name: "rs", uid: "u-rs" }, source: { component: "c" } });
  });

  it("caps events per flush, the oldest first, and keeps the rest for the next", async () => {
    const { log, writes } = fakeWrites();
    const applier = new ActionApplier(writes, "c", { maxEventsPerFlush: 2 });
    await applier.apply([scheduled("a"), scheduled("b"), scheduled("c")]);
    expect(applier.pendingEvents).toBe(1);
    await applier.flushEvents();
    expect(applier.pendingEvents).toBe(0);
    expect(log).toEqual(["create events a,b", "create events c"]);
  });

  it("with deferEvents, apply only queues events and the caller flushes them", async () => {
    const { log, writes } = fakeWrites();
    const applier = new ActionApplier(writes, "c", { deferEvents: true });
    await applier.apply([{ type: "bind", pod: pod("a"), nodeName: "n1" }, scheduled("a")]);
    expect(log).toEqual(["bind a->n1"]);
    expect(applier.pendingEvents).toBe(1);
    await applier.flushEvents(1);
    expect(log).toEqual(["bind a->n1", "create events a"]);
  });

  it("recounts a repeated event as a rewrite of the stored one", async () => {
    const { log, writes } = fakeWrites();
    const applier = new ActionApplier(writes, "c");
    await applier.apply([scheduled("a")]);
    await applier.apply([scheduled("a"), scheduled("a")]);
    expect(log[1]).toBe("rewrite events count=3");
  });

  it("counts 409 and 404 as conflicts to retry, other failures as failures", async () => {
    const { writes } = fakeWrites((call) => (call.startsWith("update") ? 409 : 404));
    const applier = new ActionApplier(writes, "c");
    const outcome = await applier.apply([
      { type: "update", ref: { group: "", resource: "pods" }, object: pod("p") },
      { type: "delete", ref: { group: "", resource: "pods" }, namespace: "ns", name: "p" },
      { type: "create", ref: { group: "", resource: "pods" }, object: pod("broken") },
    ]);
    expect(outcome.conflicts).toBe(2);
    expect(outcome.failures.map((f) => [f.status, f.message])).toEqual([[500, "broken"]]);
  });
});
