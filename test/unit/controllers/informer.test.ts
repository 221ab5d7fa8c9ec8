// The controller loop's cache: a full list on first sync, then the change log; a compacted
// cursor means a re-list; owner indexes follow updates and deletes.
import { describe, expect, it } from "vitest";
import { Informer } from "../../../worker/controllers/informer";
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
