// The watch fan-out in Node with a fake store: initial lists, ordering, gap handling,
// the ring, 410s, selector transitions, bookmarks, slow watchers and fan-out cost.
import { describe, expect, it } from "vitest";
import { BOOKMARK_INTERVAL_MS, WatchFanOut, shapeFor } from "../../worker/durable/watch-fanout";
import type { WatchSpec } from "../../worker/durable/watch-fanout";
import { watchSpecFrom } from "../../worker/durable/watch-params";
import type { ChangeEvent } from "../../worker/store/types";
import { FakeStore, ManualTimers, RecordingSink, pod, podKey } from "./fake-store";

const TYPE_META = { apiVersion: "v1", kind: "Pod" };

function setup(options: { ring?: { maxEvents?: number; maxAgeMs?: number; maxBytes?: number } } = {}) {
  const store = new FakeStore();
  const timers = new ManualTimers();
  let clock = 1_000_000;
  const fanout = new WatchFanOut({
    group: "",
    resource: "pods",
    store: () => store,
    now: () => clock,
    setTimer: timers.set,
    ring: options.ring,
  });
  const open = async (spec: Partial<WatchSpec> = {}, sink = new RecordingSink()) => {
    const handle = fanout.open({ filter: {}, start: "list", bookmarks: false, typeMeta: TYPE_META, ...spec }, sink);
    await handle.started;
    return { sink, id: handle.id };
  };
  /** A write the Worker publishes at once. */
  const write = (type: ChangeEvent["type"], name: string, labels: Record<string, string> = {}): ChangeEvent => {
    const event = store.put(type, podKey(name), pod(name, labels));
    return event;
  };
  const other = (name: string): ChangeEvent => store.put("ADDED", { group: "", resource: "configmaps", namespace: "default", name }, pod(name));
  return { store, timers, fanout, open, write, other, advance: (ms: number) => (clock += ms) };
}

describe("WatchFanOut", () => {
  it("sends the current state as ADDED, then live changes", async () => {
    const t = setup();
    t.write("ADDED", "a");
    t.write("ADDED", "b");
    const { sink } = await t.open();
    expect(sink.summary).toEqual(["ADDED a@1", "ADDED b@2"]);
    t.fanout.publish([t.write("MODIFIED", "a")]);
    t.fanout.publish([t.write("DELETED", "b")]);
    expect(sink.summary.slice(2)).toEqual(["MODIFIED a@3", "DELETED b@4"]);
    expect(sink.events[2]?.object.kind).toBe("Pod");
    expect(t.store.calls.changesSince).toBe(0);
  });

  it("holds an out-of-order publish and delivers in revision order", async () => {
    const t = setup();
    const { sink } = await t.open();
    const e1 = t.write("ADDED", "a");
    const e2 = t.write("ADDED", "b");
    const e3 = t.write("ADDED", "c");
    t.fanout.publish([e3]);
    t.fanout.publish([e2]);
    expect(sink.summary).toEqual([]);
    t.fanout.publish([e1]);
    expect(sink.summary).toEqual(["ADDED a@1", "ADDED b@2", "ADDED c@3"]);
    t.fanout.publish([e2, e1]);
    expect(sink.summary).toHaveLength(3);
  });

  it("treats gaps from other kinds' writes without a SQL read per event", async () => {
    const t = setup();
    const { sink } = await t.open();
    for (let i = 0; i < 20; i++) {
      t.other(`cm-${i}`);
      t.fanout.publish([t.write("ADDED", `p-${i}`)]);
    }
    expect(sink.summary).toHaveLength(0);
    expect(t.timers.armed).toBe(1);
    t.timers.fire();
    expect(sink.summary).toHaveLength(20);
    expect(sink.summary[19]).toBe("ADDED p-19@40");
    expect(t.store.calls.changesSince).toBe(0);
  });

  it("delivers a publish that never came on the catch-up tick", async () => {
    const t = setup();
    const { sink } = await t.open();
    t.write("ADDED", "lost");
    await t.fanout.tick();
    expect(sink.summary).toEqual(["ADDED lost@1"]);
    t.fanout.publish([t.write("MODIFIED", "lost")]);
    expect(sink.summary).toEqual(["ADDED lost@1", "MODIFIED lost@2"]);
  });

  it("expires live watchers when a change below what they passed turns up", async () => {
    const t = setup();
    const { sink } = await t.open();
    const late = t.write("ADDED", "late");
    t.other("cm");
    t.fanout.publish([t.write("ADDED", "early")]);
    t.timers.fire();
    expect(sink.summary).toEqual(["ADDED early@3"]);
    t.fanout.publish([late]);
    expect(sink.summary).toEqual(["ADDED early@3", "ERROR 410"]);
    expect(sink.events[1]?.object.reason).toBe("Expired");
    expect(sink.closed).toBe(true);
    expect(t.fanout.watcherCount).toBe(0);
  });

  it("resumes from a recent resourceVersion out of the ring, older ones from the log", async () => {
    const t = setup();
    const keeper = await t.open({ start: "now" });
    for (const name of ["a", "b", "c"]) t.fanout.publish([t.write("ADDED", name)]);
    expect(keeper.sink.summary).toHaveLength(3);
    const reads = t.store.calls.changesSince;
    const recent = await t.open({ start: 1 });
    expect(recent.sink.summary).toEqual(["ADDED b@2", "ADDED c@3"]);
    expect(t.store.calls.changesSince).toBe(reads);

    const t2 = setup();
    for (const name of ["a", "b", "c"]) t2.write("ADDED", name);
    const old = await t2.open({ start: 1 });
    expect(old.sink.summary).toEqual(["ADDED b@2", "ADDED c@3"]);
    t2.fanout.publish([t2.write("DELETED", "a")]);
    expect(old.sink.summary).toEqual(["ADDED b@2", "ADDED c@3", "DELETED a@4"]);
  });

  it("answers a compacted resourceVersion with one 410 ERROR event", async () => {
    const t = setup();
    for (const name of ["a", "b", "c", "d"]) t.write("ADDED", name);
    await t.store.compact(3);
    const { sink } = await t.open({ start: 2 });
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]).toMatchObject({
      type: "ERROR",
      object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 2 (3)" },
    });
    expect(sink.closed).toBe(true);
  });

  it("turns selector transitions into ADDED and DELETED", async () => {
    const t = setup();
    t.write("ADDED", "a", { app: "web" });
    const spec = watchSpecFrom(
      { group: "", resource: "pods", apiVersion: "v1", kind: "Pod", labelSelector: "app=web", allowWatchBookmarks: false },
      {},
    );
    const { sink } = await t.open(spec);
    t.fanout.publish([t.write("MODIFIED", "a", { app: "db" })]);
    t.fanout.publish([t.write("MODIFIED", "a", { app: "db", x: "1" })]);
    t.fanout.publish([t.write("MODIFIED", "a", { app: "web" })]);
    t.fanout.publish([t.write("MODIFIED", "a", { app: "web", x: "2" })]);
    t.fanout.publish([t.write("MODIFIED", "a", { app: "db" })]);
    t.fanout.publish([t.write("DELETED", "a", { app: "db" })]);
    t.fanout.publish([t.write("ADDED", "b", { app: "web" })]);
    t.fanout.publish([t.write("DELETED", "b", { app: "web" })]);
    expect(sink.summary).toEqual(["ADDED a@1", "DELETED a@2", "ADDED a@4", "MODIFIED a@5", "DELETED a@6", "ADDED b@8", "DELETED b@9"]);
    // the DELETED for "stopped matching" carries the previous content at the new revision
    expect(sink.events[4]?.object.metadata.labels).toEqual({ app: "web", x: "2" });
  });

  it("shapeFor follows the cacher when the previous state is unknown", () => {
    const matches = (o: { metadata: { labels?: Record<string, string> } }) => o.metadata.labels?.app === "web";
    const ev = (labels: Record<string, string>): ChangeEvent => ({ revision: 9, type: "MODIFIED", key: podKey("a"), value: pod("a", labels) });
    expect(shapeFor({ matches }, ev({ app: "web" }), undefined)).toBe("MODIFIED");
    expect(shapeFor({ matches }, ev({ app: "db" }), undefined)).toBeNull();
    expect(shapeFor({ matches }, ev({ app: "web" }), null)).toBe("ADDED");
    expect(shapeFor({ namespace: "other" }, ev({}), undefined)).toBeNull();
  });

  it("evicts the ring by count and age; resumes below it read the log", async () => {
    const t = setup({ ring: { maxEvents: 3, maxAgeMs: 60_000 } });
    await t.open({ start: "now" });
    for (const name of ["a", "b", "c", "d", "e"]) t.fanout.publish([t.write("ADDED", name)]);
    expect(t.fanout.position).toMatchObject({ ringFloor: 2, ringSize: 3, cursor: 5 });
    t.advance(61_000);
    await t.fanout.tick();
    expect(t.fanout.position.ringSize).toBe(0);
    const reads = t.store.calls.changesSince;
    const resumed = await t.open({ start: 3 });
    expect(resumed.sink.summary).toEqual(["ADDED d@4", "ADDED e@5"]);
    expect(t.store.calls.changesSince).toBeGreaterThan(reads);
  });

  it("evicts the ring by bytes too, so large objects keep fewer events; resumes below it read the log", async () => {
    const one = 2 * JSON.stringify(pod("a")).length;
    const t = setup({ ring: { maxEvents: 100, maxAgeMs: 60_000, maxBytes: one * 2 + one / 2 } });
    await t.open({ start: "now" });
    for (const name of ["a", "b", "c", "d"]) t.fanout.publish([t.write("ADDED", name)]);
    expect(t.fanout.position).toMatchObject({ ringFloor: 2, ringSize: 2, cursor: 4 });
    const reads = t.store.calls.changesSince;
    const resumed = await t.open({ start: 1 });
    expect(resumed.sink.summary).toEqual(["ADDED b@2", "ADDED c@3", "ADDED d@4"]);
    expect(t.store.calls.changesSince).toBeGreaterThan(reads);
  });

  it("sends bookmarks at most every BOOKMARK_INTERVAL_MS", async () => {
    const t = setup();
    const { sink } = await t.open({ bookmarks: true });
    t.fanout.publish([t.write("ADDED", "a")]);
    await t.fanout.tick();
    expect(sink.summary).toEqual(["ADDED a@1"]);
    t.advance(BOOKMARK_INTERVAL_MS);
    await t.fanout.tick();
    expect(sink.events[1]).toEqual({ type: "BOOKMARK", object: { kind: "Pod", apiVersion: "v1", metadata: { resourceVersion: "1" } } });
  });

  it("gives a watcher that falls behind time to drain, then closes it if it has not", async () => {
    const t = setup();
    const slow = await t.open({ start: "now" }, new RecordingSink(2));
    const fast = await t.open({ start: "now" });
    for (const name of ["a", "b", "c"]) t.fanout.publish([t.write("ADDED", name)]);
    expect(slow.sink.closed).toBe(false);
    expect(t.timers.armed).toBe(1);
    t.timers.fire();
    expect(slow.sink.closed).toBe(true);
    expect(fast.sink.summary).toHaveLength(3);
  });

  it("keeps a watcher that drains a burst within the grace period", async () => {
    const t = setup();
    const burst = await t.open({ start: "now" }, new RecordingSink(2));
    t.fanout.publish(["a", "b", "c", "d"].map((name) => t.write("ADDED", name)));
    burst.sink.drain();
    t.timers.fire();
    expect(burst.sink.closed).toBe(false);
    t.fanout.publish([t.write("ADDED", "e")]);
    expect(burst.sink.summary).toEqual(["ADDED a@1", "ADDED b@2", "ADDED c@3", "ADDED d@4", "ADDED e@5"]);
  });

  it("closes at once a watcher whose queue is past its hard bound", async () => {
    const t = setup();
    const slow = await t.open({ start: "now" }, new RecordingSink(2, 3));
    for (const name of ["a", "b", "c"]) t.fanout.publish([t.write("ADDED", name)]);
    expect(slow.sink.closed).toBe(true);
  });

  it("skips list items' older changes when a list page was read after the list revision", async () => {
    const t = setup();
    t.write("ADDED", "a");
    const list = t.store.list.bind(t.store);
    let first = true;
    t.store.list = async (group, resource, options) => {
      if (first) {
        first = false;
        const event = t.write("MODIFIED", "a");
        const page = await list(group, resource, options);
        t.fanout.publish([event]);
        return { ...page, revision: 1 };
      }
      return list(group, resource, options);
    };
    const { sink } = await t.open();
    t.timers.fire();
    t.fanout.publish([t.write("MODIFIED", "a")]);
    expect(sink.summary).toEqual(["ADDED a@2", "MODIFIED a@3"]);
  });

  it("does nothing without watchers and goes idle after the last one leaves", async () => {
    const t = setup();
    t.fanout.publish([t.write("ADDED", "a")]);
    await t.fanout.tick();
    expect(t.store.calls).toEqual({ list: 0, changesSince: 0, currentRevision: 0 });
    const { id } = await t.open({ start: "now" });
    t.fanout.close(id);
    t.fanout.publish([t.write("ADDED", "b")]);
    await t.fanout.tick();
    expect(t.fanout.position).toMatchObject({ cursor: 0, ringSize: 0 });
    expect(t.store.calls.changesSince).toBe(0);
  });

  // Delivery latency is measured by bench/api-latency.ts, not asserted here.
  it("encodes each event once for all watchers and fans out to 100", async () => {
    const t = setup();
    const sinks: RecordingSink[] = [];
    for (let i = 0; i < 100; i++) sinks.push((await t.open({ start: "now" })).sink);
    for (let i = 0; i < 100; i++) t.fanout.publish([t.write("ADDED", `p-${i}`, { app: "web" })]);
    expect(sinks[0]?.chunks[0]).toBe(sinks[99]?.chunks[0]);
    expect(sinks.every((s) => s.chunks.length === 100)).toBe(true);
  });

  it("ends a watch whose store fails with a plain 500, keeping the driver's message for the log", async () => {
    const t = setup();
    t.store.list = async () => {
      throw new Error("D1_ERROR: no such table: objects_secret_internal");
    };
    const logged: string[] = [];
    const original = console.error;
    console.error = (line: string) => void logged.push(line);
    try {
      const { sink } = await t.open();
      expect(sink.summary).toEqual(["ERROR 500"]);
      expect(sink.events[0]?.object).toMatchObject({ reason: "InternalError" });
      expect(sink.events[0]?.object.message).not.toContain("objects_secret_internal");
      expect(logged.join("\n")).toContain("objects_secret_internal");
    } finally {
      console.error = original;
    }
  });
});
