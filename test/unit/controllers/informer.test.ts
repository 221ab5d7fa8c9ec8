// The controller loop's cache: a full list on first sync, then the change log; a compacted
// cursor means a re-list; owner indexes follow updates and deletes.
import { describe, expect, it } from "vitest";
import { FEED_RESYNC_MS, Informer } from "../../../worker/controllers/informer";
import type { KubeObject } from "../../../worker/resources/types";
import { FakeStore } from "../fake-store";

const PODS = { group: "", resource: "pods" };
const RS = { group: "apps", resource: "replicasets" };

function pod(name: string, ownerUid?: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: `uid-${name}`, ...(ownerUid ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: ownerUid, controller: true }] } : {}) },
  };
}

const key = (name: string) => ({ group: "", resource: "pods", namespace: "default", name });

describe("Informer", () => {
  it("keeps list() sorted through creates merged in, updates and deletes", async () => {
    const store = new FakeStore();
    const informer = new Informer([PODS]);
    const names = new Set<string>();
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let round = 0; round < 40; round++) {
      for (let i = next() % 6; i > 0; i--) {
        const name = `p${next() % 60}`;
        const stored = await store.get(key(name));
        if (!stored) await store.create(key(name), pod(name));
        else if (next() % 3 === 0) await store.delete(key(name));
        else await store.update(key(name), { ...stored.value, metadata: { ...stored.value.metadata, labels: { round: String(round) } } }, stored.revision);
        if (await store.get(key(name))) names.add(name);
        else names.delete(name);
      }
      await informer.sync(store);
      expect(informer.list(PODS).map((p) => p.metadata.name)).toEqual([...names].sort());
    }
  });

  it("lists on first sync, then folds in changes and reports which kinds changed", async () => {
    const store = new FakeStore();
    await store.create(key("a"), pod("a", "rs-1"));
    const informer = new Informer([PODS, RS, PODS]);
    expect(await informer.sync(store)).toEqual(new Set(["/pods", "apps/replicasets"]));
    expect(informer.list(PODS).map((p) => p.metadata.name)).toEqual(["a"]);
    expect(informer.ownedBy("rs-1").map((d) => d.object.metadata.name)).toEqual(["a"]);

    await store.create(key("b"), pod("b", "rs-1"));
    const a = (await store.get(key("a")))!;
    await store.update(key("a"), { ...a.value, metadata: { ...a.value.metadata, ownerReferences: [] } }, a.revision);
    expect(await informer.sync(store)).toEqual(new Set(["/pods"]));
    expect(informer.list(PODS, "default").map((p) => p.metadata.name)).toEqual(["a", "b"]);
    expect(informer.ownedBy("rs-1").map((d) => d.object.metadata.name)).toEqual(["b"]);

    await store.delete(key("b"));
    await informer.sync(store);
    expect(informer.get(PODS, "default", "b")).toBeUndefined();
    expect(informer.ownedBy("rs-1")).toEqual([]);
    expect(await informer.sync(store)).toEqual(new Set());
  });

  it("keeps only type and metadata of a kind watched for metadata, listed or changed, and still indexes its owners", async () => {
    const SECRETS = { group: "", resource: "secrets" };
    const secretKey = (name: string) => ({ group: "", resource: "secrets", namespace: "default", name });
    const secret = (name: string): KubeObject => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "default", uid: `uid-${name}`, ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "a", uid: "uid-a" }] },
      data: { password: "c2VjcmV0" },
    });
    const store = new FakeStore();
    await store.create(secretKey("listed"), secret("listed"));
    await store.create(key("a"), { ...pod("a"), spec: { nodeName: "n1" } });
    const informer = new Informer([PODS, SECRETS], [SECRETS]);
    await informer.sync(store);
    await store.create(secretKey("changed"), secret("changed"));
    await informer.sync(store);
    for (const name of ["listed", "changed"]) {
      const cached = informer.get(SECRETS, "default", name);
      expect(cached).toEqual({ apiVersion: "v1", kind: "Secret", metadata: expect.objectContaining({ name, uid: `uid-${name}` }) });
      expect(JSON.stringify(cached)).not.toContain("c2VjcmV0");
    }
    expect(informer.ownedBy("uid-a").map((d) => d.object.metadata.name).sort()).toEqual(["changed", "listed"]);
    // A kind some controller reads whole stays whole.
    expect(informer.get(PODS, "default", "a")?.spec).toEqual({ nodeName: "n1" });
  });

  it("offers the store what it wrote itself, then forgets it once synced past", async () => {
    const store = new FakeStore();
    await store.create(key("first"), pod("first"));
    const informer = new Informer([PODS]);
    await informer.sync(store);
    const offered: (number[] | undefined)[] = [];
    const spy = Object.assign(Object.create(store) as FakeStore, {
      changesSince: (after: number, limit: number, known?: ReadonlyMap<number, KubeObject>) => {
        offered.push(known && [...known.keys()]);
        return store.changesSince(after, limit);
      },
    });
    const created = await store.create(key("a"), pod("a"));
    informer.wrote([created.value, { ...pod("stale"), metadata: { ...pod("stale").metadata, resourceVersion: "0" } }]);
    await informer.sync(spy);
    await informer.sync(spy);
    expect(offered).toEqual([[created.revision], undefined]);
    expect(informer.get(PODS, "default", "a")?.metadata.resourceVersion).toBe(String(created.revision));
  });

  it("re-lists when its cursor has been compacted away", async () => {
    const store = new FakeStore();
    await store.create(key("a"), pod("a"));
    const informer = new Informer([PODS]);
    await informer.sync(store);
    await store.create(key("b"), pod("b"));
    await store.compact(await store.currentRevision());
    await store.create(key("c"), pod("c"));
    await informer.sync(store);
    expect(informer.list(PODS).map((p) => p.metadata.name)).toEqual(["a", "b", "c"]);
  });
});

/** Peek and commit at once, as the loop does for a pass that applied its actions. */
function changesFor(informer: Informer, consumer: string, nowMs: number) {
  const pending = informer.pendingChanges(consumer, nowMs);
  informer.commitChanges(consumer, pending, nowMs);
  return pending.changes;
}

describe("Informer change feed", () => {
  it("gives each consumer everything first, then its own unread changes, and everything again at resync", async () => {
    const store = new FakeStore();
    await store.create(key("a"), pod("a"));
    const informer = new Informer([PODS]);
    await informer.sync(store);
    expect(changesFor(informer, "gc", 0)).toBe("all");
    expect(changesFor(informer, "ns", 0)).toBe("all");
    await store.create(key("b"), pod("b", "rs-1"));
    await store.delete(key("a"));
    await informer.sync(store);
    const gc = changesFor(informer, "gc", 1);
    expect(gc !== "all" && gc.map((c) => [c.previous?.metadata.name, c.current?.metadata.name])).toEqual([[undefined, "b"], ["a", undefined]]);
    expect(changesFor(informer, "gc", 2)).toEqual([]);
    const ns = changesFor(informer, "ns", 2);
    expect(ns !== "all" && ns.length).toBe(2);
    expect(informer.byUid("uid-b")?.object.metadata.name).toBe("b");
    expect(informer.byUid("uid-a")).toBeUndefined();
    expect(changesFor(informer, "gc", FEED_RESYNC_MS)).toBe("all");
  });

  it("moves a consumer's cursor only when its pass is committed", async () => {
    const store = new FakeStore();
    await store.create(key("a"), pod("a"));
    const informer = new Informer([PODS]);
    await informer.sync(store);
    expect(informer.pendingChanges("gc", 0).changes).toBe("all");
    // Not committed (the pass failed before its actions were applied): everything again.
    expect(informer.pendingChanges("gc", 0).changes).toBe("all");
    changesFor(informer, "gc", 0);
    await store.create(key("b"), pod("b"));
    await informer.sync(store);
    const first = informer.pendingChanges("gc", 1);
    expect(first.changes !== "all" && first.changes.map((c) => c.current?.metadata.name)).toEqual(["b"]);
    // A write landing before the commit (the controller's own) comes in the next pass, not lost.
    await store.create(key("c"), pod("c"));
    await informer.sync(store);
    expect(informer.pendingChanges("gc", 1).changes).toHaveLength(2);
    informer.commitChanges("gc", first, 1);
    const next = informer.pendingChanges("gc", 2).changes;
    expect(next !== "all" && next.map((c) => c.current?.metadata.name)).toEqual(["c"]);
  });

  it("answers a re-list with everything, and lists by namespace from its own index", async () => {
    const store = new FakeStore();
    await store.create(key("a"), pod("a"));
    await store.create({ ...key("z"), namespace: "other" }, { ...pod("z"), metadata: { ...pod("z").metadata, namespace: "other" } });
    const informer = new Informer([PODS]);
    await informer.sync(store);
    changesFor(informer, "gc", 0);
    await store.create(key("b"), pod("b"));
    await store.compact(await store.currentRevision());
    await store.create(key("c"), pod("c"));
    await informer.sync(store);
    expect(changesFor(informer, "gc", 1)).toBe("all");
    expect(informer.list(PODS, "default").map((p) => p.metadata.name)).toEqual(["a", "b", "c"]);
    expect(informer.list(PODS, "other").map((p) => p.metadata.name)).toEqual(["z"]);
    expect(informer.list(PODS).map((p) => p.metadata.name)).toEqual(["a", "b", "c", "z"]);
  });
});
