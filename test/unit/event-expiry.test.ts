// Event time to live (worker/durable/event-expiry.ts) on an in-memory store and a fake clock:
// when an Event goes (an hour after its last write, within a checkpoint interval), that a
// rewritten Event lives on, that a backlog goes in batches, and when the loop is asked to wake.
import { describe, expect, it } from "vitest";
import { EventExpiry, EXPIRE_BATCH, eventTtlMs, type CheckpointStorage } from "../../worker/durable/event-expiry";
import type { ChangeEvent, ObjectKey } from "../../worker/store/types";
import { FakeStore } from "./fake-store";

const TTL = 60_000;
const key = (name: string): ObjectKey => ({ group: "", resource: "events", namespace: "default", name });
const event = (name: string, count = 1) => ({ apiVersion: "v1", kind: "Event", metadata: { name, namespace: "default" }, count });

function storage(): CheckpointStorage & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    get: async <T>(k: string) => data.get(k) as T | undefined,
    put: async <T>(k: string, v: T) => void data.set(k, v),
  };
}

describe("Event expiry", () => {
  it("deletes an Event a TTL after its last write, keeps one written since, and says when to wake", async () => {
    const store = new FakeStore();
    const expiry = new EventExpiry(storage(), TTL);
    expect(expiry.intervalMs).toBe(1_000);
    const published: ChangeEvent[] = [];
    const run = (now: number) => expiry.run(store, now, store.revision, async (d) => void published.push(...d));
    // No Event: nothing to wake for.
    expect(await run(0)).toBeUndefined();

    await store.create(key("old"), event("old"));
    const kept = await store.create(key("kept"), event("kept"));
    // Written after the only checkpoint: wake for the next one, an interval after it.
    expect(await run(500)).toBe(500);
    // That checkpoint dates both: the oldest expires a TTL later.
    expect(await run(1_000)).toBe(TTL);

    await store.update(key("kept"), event("kept", 2), kept.revision);
    // A pass before then still dates the rewrite, without reading the store.
    expect(await run(3_000)).toBe(TTL - 2_000);
    expect(await run(1_000 + TTL)).toBe(2_000);
    expect(published.map((e) => [e.type, e.key.name])).toEqual([["DELETED", "old"]]);
    expect([...store.objects.values()].map((o) => o.key.name)).toEqual(["kept"]);
    // "kept" goes a TTL after its own rewrite, and then nothing is left to wake for.
    expect(await run(3_000 + TTL)).toBeUndefined();
    expect(published.map((e) => e.key.name)).toEqual(["old", "kept"]);
    expect(store.objects.size).toBe(0);
  });

  it("never deletes an Event before its TTL, and deletes a backlog in batches", async () => {
    const store = new FakeStore();
    const expiry = new EventExpiry(storage(), TTL);
    const count = EXPIRE_BATCH * 2 + 7;
    for (let i = 0; i < count; i++) await store.create(key(`e${i}`), event(`e${i}`));
    let deleted = 0;
    const run = (now: number) => expiry.run(store, now, store.revision, async (d) => void (deleted += d.length));
    await run(0);
    for (let now = 0; now < TTL; now += expiry.intervalMs) await run(now);
    expect(deleted).toBe(0);
    expect(await run(TTL)).toBe(0);
    expect(deleted).toBe(EXPIRE_BATCH);
    expect(await run(TTL)).toBe(0);
    expect(await run(TTL)).toBeUndefined();
    expect(deleted).toBe(count);
  });

  it("keeps going when the revision it is given trails the store (Events written after the loop's read)", async () => {
    const store = new FakeStore();
    const expiry = new EventExpiry(storage(), TTL);
    let deleted = 0;
    const run = (now: number, revision: number) => expiry.run(store, now, revision, async (d) => void (deleted += d.length));
    expect(await run(0, store.revision)).toBeUndefined();
    const stale = store.revision;
    await store.create(key("late"), event("late"));
    // The loop read the store before this Event was written: no checkpoint covers it yet.
    expect(await run(expiry.intervalMs, stale)).toBe(expiry.intervalMs);
    expect(await run(2 * expiry.intervalMs, store.revision)).toBe(TTL);
    await run(2 * expiry.intervalMs + TTL, store.revision);
    expect(deleted).toBe(1);
  });

  it("keeps its checkpoints in the Durable Object's storage, so a restarted loop goes on", async () => {
    const store = new FakeStore();
    const kept = storage();
    await store.create(key("a"), event("a"));
    await new EventExpiry(kept, TTL).run(store, 0, store.revision, async () => undefined);
    let deleted = 0;
    await new EventExpiry(kept, TTL).run(store, TTL, store.revision, async (d) => void (deleted += d.length));
    expect(deleted).toBe(1);
  });

  it("reads EVENT_TTL_SECONDS, else an hour", () => {
    expect([eventTtlMs("90"), eventTtlMs(undefined), eventTtlMs("nope"), eventTtlMs("0")]).toEqual([90_000, 3_600_000, 3_600_000, 3_600_000]);
  });
});
