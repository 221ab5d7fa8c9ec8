// The ONE Store conformance suite (kine's shape): every driver runs runStoreCases(makeStore),
// which must hand back an empty, migrated store per call. Cases prove CAS, the change log,
// compaction, pagination, tokens and encryption at rest, including that failures write nothing.
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../worker/resources/types";
import { SecretTransformer } from "../../worker/store/secret-transformer";
import type { ObjectKey, Store, StoreErrorCode, ValueTransformer } from "../../worker/store/types";
import { MAX_OBJECT_BYTES, StoreError } from "../../worker/store/types";

export interface StoreHarness {
  store: Store;
  /** Every `value` column of the objects and changes tables, exactly as stored. */
  rawValues(): Promise<string[]>;
  /** Another store over the same database, with this transformer (a restart with other keys). */
  reopen(transformer?: ValueTransformer): Store;
}

export type MakeStore = (options?: { transformer?: ValueTransformer }) => Promise<StoreHarness>;

const pods = (namespace: string, name: string): ObjectKey => ({ group: "", resource: "pods", namespace, name });

function pod(key: ObjectKey, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: key.name, namespace: key.namespace, uid: `uid-${key.name}` }, ...extra };
}

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
}

/** Everything observable: the revision, the whole change log, and the object. */
async function snapshot(store: Store, key: ObjectKey) {
  return {
    revision: await store.currentRevision(),
    log: await store.changesSince(await store.compactedRevision(), 10_000),
    object: await store.get(key),
  };
}

export function runStoreCases(makeStore: MakeStore): void {
  describe("objects", () => {
    it("creates and gets, with the revision as resourceVersion", async () => {
      const { store } = await makeStore();
      const key = pods("default", "a");
      const input = pod(key, { spec: { nodeName: "n1" } });
      input.metadata.resourceVersion = "999";
      const created = await store.create(key, input);
      expect(created.revision).toBeGreaterThan(0);
      expect(created.key).toEqual(key);
      expect(created.value.metadata.resourceVersion).toBe(String(created.revision));
      expect(input.metadata.resourceVersion).toBe("999");
      const got = await store.get(key);
      expect(got).toEqual(created);
      expect(got?.value.spec).toEqual({ nodeName: "n1" });
      expect(await store.currentRevision()).toBe(created.revision);
      expect(await store.get(pods("default", "missing"))).toBeNull();
      expect(await store.get({ ...key, group: "apps" })).toBeNull();
    });

    it("listText gives the same objects as list, as JSON text", async () => {
      const { store } = await makeStore();
      if (!store.listText) return;
      await store.create(pods("default", "t1"), pod(pods("default", "t1"), { spec: { nodeName: "n1" } }));
      await store.create(pods("default", "t2"), { apiVersion: "v1", kind: "Pod", metadata: {} } as never);
      const parsed = await store.list("", "pods", { namespace: "default" });
      const texts = await store.listText("", "pods", { namespace: "default" });
      expect(texts.revision).toBe(parsed.revision);
      expect(texts.items.map((i) => JSON.parse(i.text))).toEqual(parsed.items.map((i) => i.value));
    });

    it("stores values without resourceVersion", async () => {
      const { store, rawValues } = await makeStore();
      const key = pods("default", "a");
      await store.create(key, { ...pod(key), metadata: { name: "a", namespace: "default", resourceVersion: "42" } });
      for (const raw of await rawValues()) expect(raw).not.toContain("resourceVersion");
    });

    it("keeps revisions strictly increasing across all writes", async () => {
      const { store } = await makeStore();
      const seen: number[] = [];
      const a = pods("ns1", "a");
      const b = { group: "apps", resource: "deployments", namespace: "ns2", name: "b" };
      seen.push((await store.create(a, pod(a))).revision);
      seen.push((await store.create(b, pod(b))).revision);
      seen.push((await store.update(a, pod(a), seen[0] ?? 0)).revision);
      seen.push((await store.delete(b)).revision);
      seen.push((await store.create(b, pod(b))).revision);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] ?? 0);
      expect(await store.currentRevision()).toBe(seen[seen.length - 1]);
    });

    it("rejects a second create with AlreadyExists and writes nothing", async () => {
      const { store } = await makeStore();
      const key = pods("default", "a");
      await store.create(key, pod(key, { spec: { v: 1 } }));
      const before = await snapshot(store, key);
      await expectStoreError(store.create(key, pod(key, { spec: { v: 2 } })), "AlreadyExists");
      expect(await snapshot(store, key)).toEqual(before);
    });

    it("updates with compare-and-swap; a stale revision is a Conflict that writes nothing", async () => {
      const { store } = await makeStore();
      const key = pods("default", "a");
      const first = await store.create(key, pod(key, { spec: { v: 1 } }));
      const second = await store.update(key, pod(key, { spec: { v: 2 } }), first.revision);
      expect(second.revision).toBeGreaterThan(first.revision);
      expect(second.value.metadata.resourceVersion).toBe(String(second.revision));
      expect((await store.get(key))?.value.spec).toEqual({ v: 2 });
      const before = await snapshot(store, key);
      await expectStoreError(store.update(key, pod(key, { spec: { v: 3 } }), first.revision), "Conflict");
      expect(await snapshot(store, key)).toEqual(before);
    });

    it("lets exactly one of two racing updates win", async () => {
      const { store } = await makeStore();
      const key = pods("default", "a");
      const first = await store.create(key, pod(key));
      const results = await Promise.allSettled([
        store.update(key, pod(key, { spec: { by: "x" } }), first.revision),
        store.update(key, pod(key, { spec: { by: "y" } }), first.revision),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const rejected = results.find((r) => r.status === "rejected");
      expect(rejected?.status === "rejected" && (rejected.reason as StoreError).code).toBe("Conflict");
      expect((await store.changesSince(first.revision, 10)).length).toBe(1);
    });

    it("answers NotFound for updating or deleting what does not exist", async () => {
      const { store } = await makeStore();
      const key = pods("default", "ghost");
      const before = await snapshot(store, key);
      await expectStoreError(store.update(key, pod(key), 1), "NotFound");
      await expectStoreError(store.delete(key), "NotFound");
      await expectStoreError(store.delete(key, 1), "NotFound");
      expect(await snapshot(store, key)).toEqual(before);
    });

    it("deletes, returning the last state at the delete's revision", async () => {
      const { store } = await makeStore();
      const key = pods("default", "a");
      const created = await store.create(key, pod(key, { spec: { v: 1 } }));
      const before = await snapshot(store, key);
      await expectStoreError(store.delete(key, created.revision - 1), "Conflict");
      expect(await snapshot(store, key)).toEqual(before);
      const deleted = await store.delete(key, created.revision);
      expect(deleted.revision).toBeGreaterThan(created.revision);
      expect(deleted.key).toEqual(key);
      expect(deleted.value.spec).toEqual({ v: 1 });
      expect(deleted.value.metadata.resourceVersion).toBe(String(deleted.revision));
      expect(await store.get(key)).toBeNull();
      expect(await store.currentRevision()).toBe(deleted.revision);
      // The name is free again.
      expect((await store.create(key, pod(key))).revision).toBeGreaterThan(deleted.revision);
    });

    it("expires a kind's objects last written at or before a revision, oldest first, in batches", async () => {
      const { store } = await makeStore();
      const events = (name: string): ObjectKey => ({ group: "", resource: "events", namespace: "default", name });
      const ev = (key: ObjectKey, count: number): KubeObject => ({ apiVersion: "v1", kind: "Event", metadata: { name: key.name, namespace: key.namespace }, count });
      expect(await store.oldestWrite("", "events")).toBeUndefined();
      const a = await store.create(events("a"), ev(events("a"), 1));
      const b = await store.create(events("b"), ev(events("b"), 1));
      const c = await store.create(events("c"), ev(events("c"), 1));
      const other = await store.create(pods("default", "p"), pod(pods("default", "p")));
      // "a" is written again after the cutoff: it is newer than "b" and "c" now, and stays.
      const cutoff = other.revision;
      await store.update(events("a"), ev(events("a"), 2), a.revision);
      expect(await store.oldestWrite("", "events")).toBe(b.revision);
      const first = await store.expire("", "events", cutoff, 1);
      expect(first.map((d) => d.key.name)).toEqual(["b"]);
      expect(first[0]!.value.count).toBe(1);
      expect(first[0]!.value.metadata.resourceVersion).toBe(String(first[0]!.revision));
      const rest = await store.expire("", "events", cutoff, 10);
      expect(rest.map((d) => d.key.name)).toEqual(["c"]);
      expect(rest[0]!.revision).toBeGreaterThan(first[0]!.revision);
      expect(await store.expire("", "events", cutoff, 10)).toEqual([]);
      expect((await store.list("", "events")).items.map((i) => i.key.name)).toEqual(["a"]);
      expect(await store.get(pods("default", "p"))).not.toBeNull();
      // Watchers learn of each as any delete: a DELETED change with the last state.
      const log = await store.changesSince(c.revision, 100);
      expect(log.filter((e) => e.type === "DELETED").map((e) => [e.key.name, e.revision])).toEqual([["b", first[0]!.revision], ["c", rest[0]!.revision]]);
      expect(await store.oldestWrite("", "events")).toBeGreaterThan(cutoff);
    });
  });

  describe("list and count", () => {
    async function seed(store: Store): Promise<ObjectKey[]> {
      const keys = [
        pods("a", "p2"),
        pods("b", "p1"),
        pods("a", "p1"),
        pods("a", "p10"),
        pods("c", "p1"),
        pods("b", "p3"),
        pods("a-b", "p1"),
      ];
      for (const key of keys) await store.create(key, pod(key));
      // Neighbours that must never leak into a pods list.
      await store.create({ group: "apps", resource: "pods", namespace: "a", name: "x" }, pod(pods("a", "x")));
      await store.create({ group: "", resource: "services", namespace: "a", name: "x" }, pod(pods("a", "x")));
      return keys;
    }
    const names = (items: { key: ObjectKey }[]) => items.map((i) => `${i.key.namespace}/${i.key.name}`);

    it("lists ordered by (namespace, name), filtered by namespace", async () => {
      const { store } = await makeStore();
      await seed(store);
      const all = await store.list("", "pods");
      expect(names(all.items)).toEqual(["a/p1", "a/p10", "a/p2", "a-b/p1", "b/p1", "b/p3", "c/p1"]);
      expect(all.more).toBe(false);
      expect(all.revision).toBe(await store.currentRevision());
      for (const item of all.items) expect(item.value.metadata.resourceVersion).toBe(String(item.revision));
      expect(names((await store.list("", "pods", { namespace: "b" })).items)).toEqual(["b/p1", "b/p3"]);
      expect((await store.list("", "pods", { namespace: "none" })).items).toEqual([]);
      expect((await store.list("", "nothing")).items).toEqual([]);
    });

    it("pages with after/limit/more across namespaces", async () => {
      const { store } = await makeStore();
      await seed(store);
      const seen: string[] = [];
      let after: { namespace: string; name: string } | undefined;
      const pages: boolean[] = [];
      for (;;) {
        const page = await store.list("", "pods", { limit: 2, after });
        seen.push(...names(page.items));
        pages.push(page.more);
        const last = page.items[page.items.length - 1];
        if (!page.more || !last) break;
        after = { namespace: last.key.namespace, name: last.key.name };
      }
      expect(seen).toEqual(["a/p1", "a/p10", "a/p2", "a-b/p1", "b/p1", "b/p3", "c/p1"]);
      expect(pages).toEqual([true, true, true, false]);
      const exact = await store.list("", "pods", { namespace: "b", limit: 2 });
      expect(names(exact.items)).toEqual(["b/p1", "b/p3"]);
      expect(exact.more).toBe(false);
      const inNs = await store.list("", "pods", { namespace: "a", after: { namespace: "a", name: "p10" } });
      expect(names(inNs.items)).toEqual(["a/p2"]);
      const afterGap = await store.list("", "pods", { after: { namespace: "b", name: "p2" } });
      expect(names(afterGap.items)).toEqual(["b/p3", "c/p1"]);
    });

    it("lists by a field (pods by spec.nodeName), within a namespace or across, in pages", async () => {
      const { store } = await makeStore();
      const place = async (namespace: string, name: string, nodeName?: string) => {
        const key = pods(namespace, name);
        await store.create(key, { ...pod(key), spec: nodeName === undefined ? {} : { nodeName } });
      };
      await place("a", "p1", "n1");
      await place("a", "p2", "n2");
      await place("a", "p3", "n1");
      await place("b", "p1", "n1");
      await place("b", "p2");
      await place("c", "p1", "n10");
      const onN1 = { path: "spec.nodeName", value: "n1" };
      expect(names((await store.list("", "pods", { field: onN1 })).items)).toEqual(["a/p1", "a/p3", "b/p1"]);
      expect(names((await store.list("", "pods", { namespace: "a", field: onN1 })).items)).toEqual(["a/p1", "a/p3"]);
      expect(names((await store.list("", "pods", { field: { path: "spec.nodeName", value: "" } })).items)).toEqual(["b/p2"]);
      const first = await store.list("", "pods", { field: onN1, limit: 2 });
      expect([names(first.items), first.more]).toEqual([["a/p1", "a/p3"], true]);
      const rest = await store.list("", "pods", { field: onN1, after: { namespace: "a", name: "p3" } });
      expect(names(rest.items)).toEqual(["b/p1"]);
      // A moved pod is found under its new node only.
      const moved = await store.get(pods("a", "p1"));
      await store.update(pods("a", "p1"), { ...moved!.value, spec: { nodeName: "n2" } }, moved!.revision);
      expect(names((await store.list("", "pods", { field: onN1 })).items)).toEqual(["a/p3", "b/p1"]);
      expect(names((await store.list("", "pods", { field: { path: "spec.nodeName", value: "n2" } })).items)).toEqual(["a/p1", "a/p2"]);
    });

    it("lists cluster-scoped objects under namespace \"\"", async () => {
      const { store } = await makeStore();
      const node = { group: "", resource: "nodes", namespace: "", name: "n1" };
      await store.create(node, { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } });
      expect(names((await store.list("", "nodes")).items)).toEqual(["/n1"]);
      expect(await store.count("", "nodes")).toBe(1);
    });

    it("counts per resource and namespace", async () => {
      const { store } = await makeStore();
      await seed(store);
      expect(await store.count("", "pods")).toBe(7);
      expect(await store.count("", "pods", "a")).toBe(3);
      expect(await store.count("apps", "pods")).toBe(1);
      expect(await store.count("", "nothing")).toBe(0);
    });
  });

  describe("change log", () => {
    it("returns changes after a revision, oldest first, with their values", async () => {
      const { store } = await makeStore();
      const start = await store.currentRevision();
      const key = pods("default", "a");
      const other = { group: "apps", resource: "deployments", namespace: "default", name: "d" };
      const created = await store.create(key, pod(key, { spec: { v: 1 } }));
      const updated = await store.update(key, pod(key, { spec: { v: 2 } }), created.revision);
      await store.create(other, pod(other));
      const deleted = await store.delete(key);
      const events = await store.changesSince(start, 100);
      expect(events.map((e) => [e.type, e.key.resource, e.key.name])).toEqual([
        ["ADDED", "pods", "a"],
        ["MODIFIED", "pods", "a"],
        ["ADDED", "deployments", "d"],
        ["DELETED", "pods", "a"],
      ]);
      expect(events[0]).toEqual({ revision: created.revision, type: "ADDED", key, value: created.value });
      expect(events[1]?.value).toEqual(updated.value);
      expect(events[3]).toEqual({ revision: deleted.revision, type: "DELETED", key, value: deleted.value });
      expect(events[3]?.value.spec).toEqual({ v: 2 });
      expect(events[3]?.value.metadata.resourceVersion).toBe(String(deleted.revision));
      for (let i = 1; i < events.length; i++) expect(events[i]?.revision).toBeGreaterThan(events[i - 1]?.revision ?? 0);
      expect((await store.changesSince(start, 2)).map((e) => e.revision)).toEqual([created.revision, updated.revision]);
      expect((await store.changesSince(updated.revision, 100)).map((e) => e.type)).toEqual(["ADDED", "DELETED"]);
      expect(await store.changesSince(deleted.revision, 100)).toEqual([]);
    });

    it("returns the caller's own value for a known revision, without reading it, and reads the rest", async () => {
      const { store } = await makeStore();
      const start = await store.currentRevision();
      const a = pods("default", "a");
      const b = pods("default", "b");
      const first = await store.create(a, pod(a, { spec: { v: 1 } }));
      const second = await store.create(b, pod(b, { spec: { v: 2 } }));
      // A marker only the caller has: it comes back as the value, so the row's value was not used.
      const mine = { ...second.value, spec: { v: "from the caller" } };
      const known = new Map([[second.revision, mine], [start - 5, first.value]]);
      const events = await store.changesSince(start, 100, known);
      expect(events.map((e) => [e.revision, e.key.name, e.value.spec])).toEqual([
        [first.revision, "a", { v: 1 }],
        [second.revision, "b", { v: "from the caller" }],
      ]);
      expect((await store.changesSince(start, 100, new Map())).map((e) => e.value.spec)).toEqual([{ v: 1 }, { v: 2 }]);
    });

    it("compacts: older starts fail with Compacted, revisions keep counting", async () => {
      const { store } = await makeStore();
      const key = pods("default", "a");
      const r1 = (await store.create(key, pod(key))).revision;
      const r2 = (await store.update(key, pod(key, { spec: { v: 2 } }), r1)).revision;
      const r3 = (await store.update(key, pod(key, { spec: { v: 3 } }), r2)).revision;
      expect(await store.compactedRevision()).toBe(0);
      await store.compact(r2);
      expect(await store.compactedRevision()).toBe(r2);
      await expectStoreError(store.changesSince(r1, 10), "Compacted");
      expect((await store.changesSince(r2, 10)).map((e) => e.revision)).toEqual([r3]);
      // Compaction never moves backwards.
      await store.compact(r1);
      expect(await store.compactedRevision()).toBe(r2);
      // Compacting everything keeps the current revision, and a watch from "now" still starts.
      await store.compact(r3);
      expect(await store.currentRevision()).toBe(r3);
      expect(await store.changesSince(r3, 10)).toEqual([]);
      expect((await store.list("", "pods")).revision).toBe(r3);
      // Revisions are never reused after compaction.
      const r4 = (await store.update(key, pod(key), r3)).revision;
      expect(r4).toBeGreaterThan(r3);
      expect((await store.changesSince(r3, 10)).map((e) => e.revision)).toEqual([r4]);
      // Compaction is capped at the current revision.
      await store.compact(r4 + 100);
      expect(await store.compactedRevision()).toBe(r4);
    });
  });

  describe("object size", () => {
    // Multi-byte characters: the limit is on UTF-8 bytes, not on string length.
    const sized = (key: ObjectKey, bytes: number) => pod(key, { note: "é".repeat(Math.ceil(bytes / 2)) });

    it("refuses an object over the limit with TooLarge and writes nothing; one under it is stored", async () => {
      const { store } = await makeStore();
      const before = await store.currentRevision();
      await expectStoreError(store.create(pods("a", "big"), sized(pods("a", "big"), MAX_OBJECT_BYTES + 10)), "TooLarge");
      expect(await store.get(pods("a", "big"))).toBeNull();
      expect(await store.currentRevision()).toBe(before);
      const small = await store.create(pods("a", "small"), sized(pods("a", "small"), MAX_OBJECT_BYTES - 1000));
      await expectStoreError(store.update(pods("a", "small"), sized(pods("a", "small"), MAX_OBJECT_BYTES + 10), small.revision), "TooLarge");
      expect((await store.get(pods("a", "small")))?.revision).toBe(small.revision);
    });

    it("fails only the oversized row of a batch", async () => {
      const { store } = await makeStore();
      if (!store.batch) return;
      const results = await store.batch([
        { op: "create", key: pods("a", "p1"), value: pod(pods("a", "p1")) },
        { op: "create", key: pods("a", "big"), value: sized(pods("a", "big"), MAX_OBJECT_BYTES + 10) },
        { op: "create", key: pods("a", "p2"), value: pod(pods("a", "p2")) },
      ]);
      expect(results.map((r) => (r.ok ? "ok" : r.code))).toEqual(["ok", "TooLarge", "ok"]);
      expect(await store.get(pods("a", "big"))).toBeNull();
    });
  });

  describe("batch", () => {
    it("commits each row on its own precondition: a failed row writes nothing, the rest commit", async () => {
      const { store } = await makeStore();
      if (!store.batch) return;
      const a = pods("default", "a");
      const b = pods("default", "b");
      const c = pods("default", "c");
      const gone = pods("default", "gone");
      const oldA = await store.create(a, pod(a));
      const oldB = await store.create(b, pod(b));
      const before = await store.currentRevision();
      const results = await store.batch([
        { op: "update", key: a, value: pod(a, { spec: { nodeName: "n1" } }), expectedRevision: oldA.revision },
        { op: "update", key: b, value: pod(b, { spec: { nodeName: "stale" } }), expectedRevision: oldB.revision - 1 },
        { op: "create", key: c, value: pod(c) },
        { op: "create", key: a, value: pod(a, { spec: { nodeName: "dup" } }) },
        { op: "update", key: gone, value: pod(gone), expectedRevision: 1 },
      ]);
      expect(results.map((r) => (r.ok ? "ok" : r.code))).toEqual(["ok", "Conflict", "ok", "AlreadyExists", "NotFound"]);
      const [ra, , rc] = results;
      if (!ra?.ok || !rc?.ok) throw new Error("expected writes");
      expect(ra.stored.revision).toBeGreaterThan(before);
      expect(rc.stored.revision).toBeGreaterThan(ra.stored.revision);
      expect(ra.stored.value.metadata.resourceVersion).toBe(String(ra.stored.revision));
      expect(await store.get(a)).toEqual(ra.stored);
      expect(await store.get(c)).toEqual(rc.stored);
      expect(await store.get(b)).toEqual(oldB);
      expect(await store.get(gone)).toBeNull();
      const log = await store.changesSince(before, 100);
      expect(log.map((e) => [e.type, e.key.name, e.revision])).toEqual([
        ["MODIFIED", "a", ra.stored.revision],
        ["ADDED", "c", rc.stored.revision],
      ]);
      expect(await store.currentRevision()).toBe(rc.stored.revision);
    });

    it("never brings a deleted object back when its row fails", async () => {
      const { store } = await makeStore();
      if (!store.batch) return;
      const a = pods("default", "a");
      const created = await store.create(a, pod(a));
      await store.delete(a);
      const [result] = await store.batch([{ op: "update", key: a, value: pod(a), expectedRevision: created.revision }]);
      expect(result).toEqual({ ok: false, code: "NotFound" });
      expect(await store.get(a)).toBeNull();
    });

    it("writes a key repeated in one batch in order: the second create of it is AlreadyExists", async () => {
      const { store } = await makeStore();
      if (!store.batch) return;
      const a = pods("default", "a");
      const b = pods("default", "b");
      const results = await store.batch([
        { op: "create", key: a, value: pod(a, { spec: { v: 1 } }) },
        { op: "create", key: b, value: pod(b) },
        { op: "create", key: a, value: pod(a, { spec: { v: 2 } }) },
      ]);
      expect(results.map((r) => (r.ok ? "ok" : r.code))).toEqual(["ok", "ok", "AlreadyExists"]);
      expect((await store.get(a))?.value.spec).toEqual({ v: 1 });
    });

    it("writes a row too big to share a statement on its own, in its place", async () => {
      const { store } = await makeStore();
      if (!store.batch) return;
      const keys = ["a", "big", "c"].map((n) => pods("default", n));
      const [a, big, c] = keys as [ObjectKey, ObjectKey, ObjectKey];
      // Quotes double in the bulk statement's JSON: 400,000 of them are 800,000 characters there.
      const huge = pod(big, { data: { blob: '"'.repeat(400_000) } });
      const created = await store.batch([
        { op: "create", key: a, value: pod(a) },
        { op: "create", key: big, value: huge },
        { op: "create", key: c, value: pod(c) },
      ]);
      const revisions = created.map((r) => (r.ok ? r.stored.revision : 0));
      expect(revisions.every((r) => r > 0)).toBe(true);
      expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
      expect((await store.get(big))?.value.data).toEqual(huge.data);
      const again = await store.batch([
        { op: "update", key: big, value: huge, expectedRevision: revisions[1]! - 1 },
        { op: "create", key: big, value: huge },
      ]);
      expect(again.map((r) => (r.ok ? "ok" : r.code))).toEqual(["Conflict", "AlreadyExists"]);
    });

    it("splits large batches into round trips transparently", async () => {
      const { store } = await makeStore();
      if (!store.batch) return;
      const keys = Array.from({ length: 2500 }, (_, i) => pods("bulk", `p-${i}`));
      const results = await store.batch(keys.map((key) => ({ op: "create" as const, key, value: pod(key) })));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(await store.count("", "pods", "bulk")).toBe(2500);
      const revisions = results.map((r) => (r.ok ? r.stored.revision : 0));
      expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
    });
  });

  describe("tokens", () => {
    it("puts, gets, replaces and deletes token records", async () => {
      const { store } = await makeStore();
      const record = { hash: "ab".repeat(32), user: "system:serviceaccount:ns:sa", kind: "serviceaccount", scope: "ns", expiresAt: 1_900_000_000_000 } as const;
      expect(await store.getToken(record.hash)).toBeNull();
      await store.putToken(record);
      expect(await store.getToken(record.hash)).toEqual(record);
      const admin = { hash: "cd".repeat(32), user: "admin", kind: "admin", scope: "", expiresAt: null } as const;
      await store.putToken(admin);
      expect(await store.getToken(admin.hash)).toEqual(admin);
      await store.putToken({ ...record, scope: "other", expiresAt: null });
      expect(await store.getToken(record.hash)).toEqual({ ...record, scope: "other", expiresAt: null });
      await store.deleteToken(record.hash);
      expect(await store.getToken(record.hash)).toBeNull();
      expect(await store.getToken(admin.hash)).toEqual(admin);
      await store.deleteToken(record.hash);
    });

    it("purges only the tokens that expired before the given time", async () => {
      const { store } = await makeStore();
      const base = { user: "system:node:n1", kind: "node", scope: "n1" } as const;
      const lapsed = { ...base, hash: "01".repeat(32), expiresAt: 1_000 };
      const live = { ...base, hash: "02".repeat(32), expiresAt: 3_000 };
      const forever = { ...base, hash: "03".repeat(32), expiresAt: null };
      for (const t of [lapsed, live, forever]) await store.putToken(t);
      expect(await store.purgeExpiredTokens(2_000)).toBe(1);
      expect(await store.getToken(lapsed.hash)).toBeNull();
      expect(await store.getToken(live.hash)).toEqual(live);
      expect(await store.getToken(forever.hash)).toEqual(forever);
      expect(await store.purgeExpiredTokens(2_000)).toBe(0);
    });
  });

  describe("encryption at rest", () => {
    const keyBytes = crypto.getRandomValues(new Uint8Array(32));
    const transformer = new SecretTransformer(btoa(String.fromCharCode(...keyBytes)), (key) => key.group === "" && key.resource === "secrets");
    const PLAINTEXT = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk";

    it("encrypts Secrets in both tables and reads them back", async () => {
      const { store, rawValues } = await makeStore({ transformer });
      const key = { group: "", resource: "secrets", namespace: "default", name: "db" };
      const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "default" }, data: { password: PLAINTEXT } };
      const created = await store.create(key, secret);
      expect((await store.get(key))?.value).toEqual(created.value);
      const updated = await store.update(key, { ...secret, data: { password: PLAINTEXT, more: PLAINTEXT } }, created.revision);
      expect((await store.list("", "secrets")).items.map((i) => i.value)).toEqual([updated.value]);
      const cm = { group: "", resource: "configmaps", namespace: "default", name: "plain" };
      await store.create(cm, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "plain", namespace: "default" }, data: { visible: "yes-visible" } });
      const raw = await rawValues();
      expect(raw.length).toBe(5);
      for (const value of raw) expect(value).not.toContain(PLAINTEXT);
      expect(raw.filter((value) => value.startsWith("enc:v2:"))).toHaveLength(3);
      // Other resources are stored as they are.
      expect(raw.some((value) => value.includes("yes-visible"))).toBe(true);
      const deleted = await store.delete(key);
      expect(deleted.value.data).toEqual({ password: PLAINTEXT, more: PLAINTEXT });
      const events = await store.changesSince(0, 100);
      expect(events.filter((e) => e.key.resource === "secrets").map((e) => e.value.data)).toEqual([
        { password: PLAINTEXT },
        { password: PLAINTEXT, more: PLAINTEXT },
        { password: PLAINTEXT, more: PLAINTEXT },
      ]);
      for (const value of await rawValues()) expect(value).not.toContain(PLAINTEXT);
    });

    it("snapshots every object as stored (Secrets still sealed), least recently written first, and every token", async () => {
      const { store } = await makeStore({ transformer });
      const secretKey = { group: "", resource: "secrets", namespace: "default", name: "db" };
      const cmKey = { group: "", resource: "configmaps", namespace: "default", name: "plain" };
      const secret = await store.create(secretKey, { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "default", uid: "u-1" }, data: { password: PLAINTEXT } });
      const cm = await store.create(cmKey, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "plain", namespace: "default", uid: "u-2" }, data: { visible: "yes" } });
      const rewritten = await store.update(secretKey, { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "default", uid: "u-1" }, data: { password: PLAINTEXT, more: PLAINTEXT } }, secret.revision);
      const token = { hash: "ef".repeat(32), user: "system:node:n1", kind: "node", scope: "n1", expiresAt: null, boundUid: "node-uid" } as const;
      await store.putToken(token);
      const snapshot = await store.snapshot();
      expect(snapshot.revision).toBe(rewritten.revision);
      expect(snapshot.objects.map((o) => [o.key.name, o.revision])).toEqual([["plain", cm.revision], ["db", rewritten.revision]]);
      const [plain, sealed] = snapshot.objects;
      expect(JSON.parse(plain!.value)).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "plain", namespace: "default", uid: "u-2" }, data: { visible: "yes" } });
      expect(sealed!.value.startsWith("enc:v2:")).toBe(true);
      expect(sealed!.value).not.toContain(PLAINTEXT);
      expect(JSON.parse(await transformer.decode(sealed!.value, secretKey)).data).toEqual({ password: PLAINTEXT, more: PLAINTEXT });
      expect(snapshot.tokens).toEqual([token]);
    });

    it("uses a fresh IV per write", async () => {
      const key = { group: "", resource: "secrets", namespace: "default", name: "iv" };
      const a = await transformer.encode("same", key);
      const b = await transformer.encode("same", key);
      expect(a).not.toBe(b);
      expect(await transformer.decode(a, key)).toBe("same");
      expect(await transformer.decode(b, key)).toBe("same");
    });

    it("binds a ciphertext to its object, names its key, and is sealed again under a new key in place", async () => {
      const newKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
      const oldKey = btoa(String.fromCharCode(...keyBytes));
      const both = new SecretTransformer(`${newKey},${oldKey}`, (key) => key.group === "" && key.resource === "secrets");
      const a = { group: "", resource: "secrets", namespace: "default", name: "a" };
      const b = { group: "", resource: "secrets", namespace: "default", name: "b" };
      const sealedForA = await transformer.encode("for a", a);
      // Moved to another row, the ciphertext does not open.
      await expect(transformer.decode(sealedForA, b)).rejects.toThrow();
      // The envelope written before key ids (enc:v1:, no associated data) still opens.
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const raw = await crypto.subtle.importKey("raw", keyBytes, { name: "AES-GCM" }, false, ["encrypt"]);
      const v1 = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, raw, new TextEncoder().encode("legacy")));
      const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
      expect(await both.decode(`enc:v1:${b64(iv)}:${b64(v1)}`, b)).toBe("legacy");
      expect(sealedForA.split(":")[2]).toBe(await transformer.writeKeyId());

      const { store, rawValues, reopen } = await makeStore({ transformer });
      const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "a", namespace: "default" }, data: { password: PLAINTEXT } };
      const created = await store.create(a, secret);
      // The same database, now with the new key first and the old one still held.
      const rotated = reopen(both);
      expect((await rotated.get(a))?.value.data).toEqual({ password: PLAINTEXT });
      expect(await rotated.reencrypt()).toEqual({ objects: 1, changes: 1 });
      expect(await rotated.reencrypt()).toEqual({ objects: 0, changes: 0 });
      const newId = await both.writeKeyId();
      for (const value of (await rawValues()).filter((v) => v.startsWith("enc:"))) expect(value.startsWith(`enc:v2:${newId}:`)).toBe(true);
      // The revision did not move, and the new key alone now reads it.
      const onlyNew = new SecretTransformer(newKey, (key) => key.group === "" && key.resource === "secrets");
      const after = reopen(onlyNew);
      expect(await after.get(a)).toEqual({ key: a, revision: created.revision, value: created.value });
    });
  });
}
