// The store node-Lease verbs see: reads merge NodeLeases' renewals over SQL rows, a write
// under a renewal's resourceVersion reaches SQL, a stale one is a Conflict, and renewals
// themselves leave the SQL store untouched.
import { describe, expect, it } from "vitest";
import { renewalOf } from "../../worker/leases/lease-merge";
import { nodeLeaseStore, type LeaseAuthority } from "../../worker/leases/lease-store";
import { LeaseTable } from "../../worker/leases/lease-table";
import type { KubeObject } from "../../worker/resources/types";
import type { ObjectKey } from "../../worker/store/types";
import { FakeStore } from "./fake-store";

const key = (name: string): ObjectKey => ({ group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name });
const lease = (name: string, renewTime: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime, ...extra } }) as KubeObject;

function authorityOf(table: LeaseTable): LeaseAuthority {
  const now = () => Date.now();
  return {
    view: async (n) => table.view(n),
    views: async () => Object.fromEntries(Object.keys(table.heartbeats()).map((n) => [n, table.view(n)!])),
    renew: async (n, e, s, r) => table.renew(n, e, s, r, now()),
    beginWrite: async (n, e, s) => table.beginWrite(n, e, s, now()),
    written: async (n, s, r) => table.written(n, s, r, now()),
    abortWrite: async (n) => table.abortWrite(n),
    forget: async (n) => table.forget(n),
  };
}

describe("node lease store", () => {
  it("merges renewals into get and list, and writes SQL only for real changes", async () => {
    const base = new FakeStore();
    const table = new LeaseTable(40_000);
    const leases = authorityOf(table);
    const store = nodeLeaseStore(base, leases);
    const created = await store.create(key("n1"), lease("n1", "2025-01-01T00:00:00.000000Z"));
    const head = await base.currentRevision();

    const renewed = await leases.renew("n1", created.revision, created.revision, "2025-01-01T00:00:10.000000Z");
    expect(renewed.ok).toBe(true);
    expect(await base.currentRevision()).toBe(head); // no SQL write
    const got = (await store.get(key("n1")))!;
    expect(got.revision).toBe(renewed.ok && renewed.resourceVersion);
    expect(got.value.metadata.resourceVersion).toBe(String(got.revision));
    expect((got.value.spec as { renewTime: string }).renewTime).toBe("2025-01-01T00:00:10.000000Z");
    const listed = await store.list("coordination.k8s.io", "leases", { namespace: "kube-node-lease" });
    expect(listed.items[0]!.value).toEqual(got.value);

    // A holder change under the old resourceVersion conflicts; under the current one it reaches SQL.
    const changed = lease("n1", "2025-01-01T00:00:10.000000Z", { holderIdentity: "other" });
    await expect(store.update(key("n1"), changed, created.revision)).rejects.toMatchObject({ code: "Conflict" });
    const updated = await store.update(key("n1"), changed, got.revision);
    expect(await base.currentRevision()).toBeGreaterThan(head);
    expect((await store.get(key("n1")))!.value).toMatchObject({ spec: { holderIdentity: "other", renewTime: "2025-01-01T00:00:10.000000Z" } });
    expect(updated.revision).toBe((await base.get(key("n1")))!.revision);
  });

  it("passes other kinds and namespaces straight through", async () => {
    const base = new FakeStore();
    const store = nodeLeaseStore(base, authorityOf(new LeaseTable(40_000)));
    const k = { ...key("leader"), namespace: "kube-system" };
    const c = await store.create(k, lease("leader", "2025-01-01T00:00:00.000000Z"));
    expect((await store.update(k, lease("leader", "2025-01-01T00:00:01.000000Z"), c.revision)).revision).toBeGreaterThan(c.revision);
  });
});

describe("renewalOf", () => {
  const current = lease("n1", "2025-01-01T00:00:00.000000Z");
  it("accepts a change of renewTime alone", () => {
    expect(renewalOf({ ...lease("n1", "2025-01-01T00:00:10.000000Z"), metadata: { name: "n1", resourceVersion: "7" } } as KubeObject, current)).toBe("2025-01-01T00:00:10.000000Z");
  });
  it("refuses anything else", () => {
    expect(renewalOf(lease("n1", "2025-01-01T00:00:10.000000Z", { holderIdentity: "x" }), current)).toBeUndefined();
    expect(renewalOf(lease("n1", "2025-01-01T00:00:10.000000Z", { leaseDurationSeconds: 10 }), current)).toBeUndefined();
    expect(renewalOf({ ...lease("n1", "2025-01-01T00:00:10.000000Z"), metadata: { name: "n1", labels: { a: "b" } } } as KubeObject, current)).toBeUndefined();
    expect(renewalOf({ ...lease("n1", "x"), spec: { holderIdentity: "n1", leaseDurationSeconds: 40 } } as KubeObject, current)).toBeUndefined();
  });
});
