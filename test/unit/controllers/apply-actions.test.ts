// Actions become API requests: creates POST, updates PUT with their resourceVersion,
// binds go through pods/binding, deletes carry preconditions, repeated events aggregate.
import { describe, expect, it } from "vitest";
import { ActionApplier, type ApiCaller } from "../../../worker/controllers/apply-actions";
import { builtInRegistry } from "../../../worker/resources/registry";
import type { KubeObject } from "../../../worker/resources/types";

const REGISTRY = builtInRegistry();

function recorder(status = 201) {
  const calls: { method: string; path: string; body?: unknown; contentType?: string }[] = [];
  const call: ApiCaller = async (method, path, body, contentType) => {
    calls.push({ method, path, body, contentType });
    return { status: method === "POST" ? status : 200, body: "{}" };
  };
  return { calls, call };
}

const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", uid: "u1", resourceVersion: "7" } };

describe("ActionApplier", () => {
  it("maps each action to the API request kube-controller-manager would make", async () => {
    const { calls, call } = recorder();
    const applier = new ActionApplier(call, "test-controller", REGISTRY, () => new Date("2026-01-01T00:00:00Z"));
    const outcome = await applier.apply([
      { type: "create", ref: { group: "apps", resource: "replicasets" }, object: { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "rs", namespace: "ns" } } },
      { type: "update", ref: { group: "", resource: "pods" }, object: pod },
      { type: "updateStatus", ref: { group: "", resource: "pods" }, object: pod },
      { type: "bind", pod, nodeName: "node-1" },
      { type: "delete", ref: { group: "", resource: "pods" }, namespace: "ns", name: "p", uid: "u1", propagationPolicy: "Background" },
    ]);
    expect(outcome).toEqual({ applied: 5, conflicts: 0, failures: [] });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      "POST /apis/apps/v1/namespaces/ns/replicasets",
      "PUT /api/v1/namespaces/ns/pods/p",
      "PUT /api/v1/namespaces/ns/pods/p/status",
      "POST /api/v1/namespaces/ns/pods/p/binding",
      "DELETE /api/v1/namespaces/ns/pods/p",
    ]);
    expect(calls[3]!.body).toMatchObject({ kind: "Binding", target: { kind: "Node", name: "node-1" } });
    expect(calls[4]!.body).toMatchObject({ preconditions: { uid: "u1" }, propagationPolicy: "Background" });
  });

  it("records an event once, then bumps its count", async () => {
    const { calls, call } = recorder();
    const applier = new ActionApplier(call, "test-controller", REGISTRY);
    const event = { type: "event" as const, regarding: pod, eventType: "Warning" as const, reason: "FailedScheduling", message: "0/0 nodes are available" };
    await applier.apply([event]);
    await applier.apply([event]);
    expect(calls[0]).toMatchObject({ method: "POST", path: "/api/v1/namespaces/ns/events" });
    expect(calls[0]!.body).toMatchObject({ reason: "FailedScheduling", count: 1, involvedObject: { kind: "Pod", name: "p", uid: "u1" }, source: { component: "test-controller" } });
    expect(calls[1]).toMatchObject({ method: "PATCH", contentType: "application/merge-patch+json", body: { count: 2 } });
  });

  it("writes queued events up to the flush limit, the oldest first, and keeps the rest", async () => {
    const { calls, call } = recorder();
    const applier = new ActionApplier(call, "c", REGISTRY, { deferEvents: true, maxEventsPerFlush: 3 });
    const events = ["one", "two", "three", "four"].map((message) => ({ type: "event" as const, regarding: pod, eventType: "Normal" as const, reason: "Test", message }));
    await applier.apply(events);
    expect(calls).toHaveLength(0);
    await applier.flushEvents(1);
    expect(calls.map((c) => (c.body as { message: string }).message)).toEqual(["one"]);
    await applier.flushEvents(10); // capped at maxEventsPerFlush (3): the three left
    expect(calls.map((c) => (c.body as { message: string }).message)).toEqual(["one", "two", "three", "four"]);
    expect(applier.pendingEvents).toBe(0);
  });

  it("counts 409 and 404 as conflicts to retry, other failures as failures", async () => {
    const call: ApiCaller = async (method) => ({ status: method === "PUT" ? 409 : 500, body: "x" });
    const applier = new ActionApplier(call, "c", REGISTRY);
    const outcome = await applier.apply([
      { type: "update", ref: { group: "", resource: "pods" }, object: pod },
      { type: "create", ref: { group: "", resource: "pods" }, object: pod },
    ]);
    expect(outcome.conflicts).toBe(1);
    expect(outcome.failures.map((f) => f.status)).toEqual([500]);
  });
});
