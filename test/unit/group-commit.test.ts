// Group commit (worker/api/write/group-commit.ts): a write that finds the store idle goes alone;
// writes that arrive while one is in flight go together as one batch, each with its own outcome.
import { describe, expect, it } from "vitest";
import { commitWrite, MAX_GROUP } from "../../worker/api/write/group-commit";
import type { BatchResult, BatchWrite, ChangeEvent, ObjectKey } from "../../worker/store/types";
import { StoreError } from "../../worker/store/types";
import { FakeStore, pod, podKey } from "./fake-store";

/** A store whose every round trip waits until the test lets it go, and which records them. */
class GatedStore extends FakeStore {
  readonly trips: string[][] = [];
  private gates: (() => void)[] = [];
  failNext = false;

  private async trip(names: string[]): Promise<void> {
    this.trips.push(names);
    await new Promise<void>((open) => this.gates.push(open));
    if (this.failNext) {
      this.failNext = false;
      throw new Error("store unreachable");
    }
  }

  override async create(key: ObjectKey, value: ReturnType<typeof pod>) {
    await this.trip([key.name]);
    return super.create(key, value);
  }

  override async update(key: ObjectKey, value: ReturnType<typeof pod>, expectedRevision: number) {
    await this.trip([key.name]);
    return super.update(key, value, expectedRevision);
  }

  async batch(writes: readonly BatchWrite[]): Promise<BatchResult[]> {
    await this.trip(writes.map((w) => w.key.name));
    const results: BatchResult[] = [];
    // Each row as the single write would go, without a round trip of its own.
    for (const w of writes) {
      try {
        const stored = w.op === "create" ? await super.create(w.key, w.value) : await super.update(w.key, w.value, w.expectedRevision);
        results.push({ ok: true, stored });
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
        results.push({ ok: false, code: e.code });
      }
    }
    return results;
  }

  /** Lets the oldest waiting round trip finish; resolves once its writers have their answers. */
  async release(): Promise<void> {
    await settle();
    const open = this.gates.shift();
    if (!open) throw new Error("no round trip is waiting");
    open();
    await settle();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function context(store: GatedStore) {
  const kept: Promise<unknown>[] = [];
  const committed: string[][] = [];
  const ctx = {
    store,
    waitUntil: (p: Promise<unknown>) => void kept.push(p),
    committed: (events: ChangeEvent[]) => void committed.push(events.map((e) => `${e.type} ${e.key.name} ${e.revision}`)),
  };
  return { ctx, kept, committed };
}

const create = (name: string): BatchWrite => ({ op: "create", key: podKey(name), value: pod(name) });

describe("group commit", () => {
  it("a write that finds the store idle goes alone, as the single write", async () => {
    const store = new GatedStore();
    const { ctx, kept } = context(store);
    const answer = commitWrite(ctx, create("a"));
    await store.release();
    expect(await answer).toMatchObject({ ok: true, stored: { revision: 1, value: { metadata: { name: "a", resourceVersion: "1" } } } });
    expect(store.trips).toEqual([["a"]]);
    expect(kept.length).toBeGreaterThan(0);
  });

  it("writes that arrive while one is in flight go as one batch, each with its own outcome", async () => {
    const store = new GatedStore();
    const { ctx, committed } = context(store);
    const first = commitWrite(ctx, create("a"));
    await settle();
    const later = [
      commitWrite(ctx, create("b")),
      commitWrite(ctx, create("a")),
      commitWrite(ctx, { op: "update", key: podKey("a"), value: pod("a"), expectedRevision: 7 }),
      commitWrite(ctx, { op: "update", key: podKey("gone"), value: pod("gone"), expectedRevision: 1 }),
    ];
    await store.release();
    expect(await first).toMatchObject({ ok: true });
    expect(store.trips).toEqual([["a"], ["b", "a", "a", "gone"]]);
    await store.release();
    expect(await Promise.all(later)).toEqual([
      { ok: true, stored: expect.objectContaining({ revision: 2 }) },
      { ok: false, code: "AlreadyExists" },
      { ok: false, code: "Conflict" },
      { ok: false, code: "NotFound" },
    ]);
    // What committed is handed on once per group, in revision order; what failed is not.
    expect(committed).toEqual([["ADDED a 1"], ["ADDED b 2"]]);
  });

  it("a failed round trip fails its group's writes, and the next group still goes", async () => {
    const store = new GatedStore();
    const { ctx } = context(store);
    const first = commitWrite(ctx, create("a"));
    await settle();
    const group = [commitWrite(ctx, create("b")), commitWrite(ctx, create("c"))];
    const failures = group.map((p) => p.catch((e: unknown) => e));
    await store.release();
    store.failNext = true;
    await store.release();
    expect(await first).toMatchObject({ ok: true });
    for (const failure of await Promise.all(failures)) expect(String(failure)).toContain("store unreachable");
    const after = commitWrite(ctx, create("d"));
    await store.release();
    expect(await after).toMatchObject({ ok: true, stored: { value: { metadata: { name: "d" } } } });
  });

  it(`at most ${MAX_GROUP} writes go in one round trip`, async () => {
    const store = new GatedStore();
    const { ctx } = context(store);
    const all = [commitWrite(ctx, create("lead"))];
    await settle();
    for (let i = 0; i < MAX_GROUP + 3; i++) all.push(commitWrite(ctx, create(`p${i}`)));
    await store.release();
    await store.release();
    await store.release();
    expect(store.trips.map((t) => t.length)).toEqual([1, MAX_GROUP, 3]);
    expect((await Promise.all(all)).every((r) => r.ok)).toBe(true);
  });

  it("a store without batch writes singly", async () => {
    const store = new FakeStore();
    const results = await Promise.all([create("a"), create("a")].map((w) => commitWrite({ store, waitUntil: () => undefined, committed: () => undefined }, w)));
    expect(results).toEqual([{ ok: true, stored: expect.objectContaining({ revision: 1 }) }, { ok: false, code: "AlreadyExists" }]);
  });
});
