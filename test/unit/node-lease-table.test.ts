// NodeLeases' state: renewals get fresh resourceVersions under optimistic concurrency, SQL
// writes hold renewals off, expiries are reported once, and a restart keeps versions unique.
import { describe, expect, it } from "vitest";
import { LeaseTable, RESTART_RESOURCE_VERSION_GAP } from "../../worker/leases/lease-table";

const GRACE_MS = 40_000;
const T0 = Date.parse("2025-01-01T00:00:00Z");
const micro = (ms: number) => new Date(ms).toISOString().replace(/Z$/, "000Z");

describe("LeaseTable", () => {
  it("renews with a new resourceVersion and rejects a stale one", () => {
    const t = new LeaseTable(GRACE_MS);
    expect(t.written("n1", 50, micro(T0), T0)).toBe(50);
    const first = t.renew("n1", 50, 50, micro(T0 + 10_000), T0 + 10_000);
    expect(first).toMatchObject({ ok: true, resourceVersion: 51 });
    expect(t.renew("n1", 50, 50, micro(T0 + 20_000), T0 + 20_000)).toEqual({ ok: false, reason: "Conflict" });
    expect(t.renew("n1", 51, 50, micro(T0 + 20_000), T0 + 20_000)).toMatchObject({ ok: true, resourceVersion: 52 });
    // Unconditional (no resourceVersion sent), as the hollow nodes renew.
    expect(t.renew("n1", undefined, 50, micro(T0 + 30_000), T0 + 30_000)).toMatchObject({ ok: true, resourceVersion: 53 });
    expect(t.view("n1")).toEqual({ sqlRevision: 50, resourceVersion: 53, renewTime: micro(T0 + 30_000) });
  });

  it("ignores its view once the row was written elsewhere", () => {
    const t = new LeaseTable(GRACE_MS);
    t.written("n1", 50, micro(T0), T0);
    t.renew("n1", 50, 50, micro(T0 + 1), T0 + 1);
    // The row is now at 60 (deleted and re-created around NodeLeases): 60 is current, 51 stale.
    expect(t.renew("n1", 51, 60, micro(T0 + 2), T0 + 2)).toEqual({ ok: false, reason: "Conflict" });
    expect(t.renew("n1", 60, 60, micro(T0 + 2), T0 + 2)).toMatchObject({ ok: true, resourceVersion: 61 });
  });

  it("holds renewals off during a SQL write and never repeats a resourceVersion after it", () => {
    const t = new LeaseTable(GRACE_MS);
    t.written("n1", 50, micro(T0), T0);
    t.renew("n1", 50, 50, micro(T0), T0); // 51
    t.renew("n1", 51, 50, micro(T0), T0); // 52
    expect(t.beginWrite("n1", 51, 50, T0)).toEqual({ ok: false, reason: "Conflict" });
    expect(t.beginWrite("n1", 52, 50, T0)).toEqual({ ok: true, resourceVersion: 52 });
    expect(t.renew("n1", 52, 50, micro(T0), T0)).toEqual({ ok: false, reason: "Conflict" });
    // The SQL write landed at 51, a number a renewal already gave out: the lease gets 53 instead.
    expect(t.written("n1", 51, micro(T0), T0)).toBe(53);
    expect(t.renew("n1", 51, 51, micro(T0), T0)).toEqual({ ok: false, reason: "Conflict" });
    expect(t.renew("n1", 53, 51, micro(T0), T0)).toMatchObject({ ok: true, resourceVersion: 54 });
  });

  it("reports an expiry once, at the earliest deadline, and a comeback", () => {
    const t = new LeaseTable(GRACE_MS);
    t.written("a", 1, micro(T0), T0);
    t.written("b", 2, micro(T0 + 5_000), T0 + 5_000);
    expect(t.nextExpiry()).toBe(T0 + GRACE_MS);
    expect(t.takeExpired(T0 + GRACE_MS - 1)).toEqual([]);
    expect(t.takeExpired(T0 + GRACE_MS)).toEqual(["a"]);
    expect(t.takeExpired(T0 + GRACE_MS + 1)).toEqual([]);
    expect(t.nextExpiry()).toBe(T0 + 5_000 + GRACE_MS);
    const back = t.renew("a", undefined, 1, micro(T0 + 60_000), T0 + 60_000);
    expect(back).toMatchObject({ ok: true, cameBack: true });
    expect(t.heartbeats()).toEqual({ a: T0 + 60_000, b: T0 + 5_000 });
  });

  it("after a restart gives every node a full grace period and skips past old versions", () => {
    const t = new LeaseTable(GRACE_MS);
    t.load(new Map([["n1", { sqlRevision: 50, resourceVersion: 70, highWater: 70, renewTime: micro(T0) }]]), T0 + 600_000);
    expect(t.nextExpiry()).toBe(T0 + 600_000 + GRACE_MS);
    expect(t.renew("n1", 70, 50, micro(T0 + 600_001), T0 + 600_001)).toMatchObject({ ok: true, resourceVersion: 70 + RESTART_RESOURCE_VERSION_GAP + 1 });
  });

  it("after a reload accepts, once, a version handed out since the last save", () => {
    const t = new LeaseTable(GRACE_MS);
    // Saved at 70; renewals up to 74 were handed out before the object was evicted.
    t.load(new Map([["n1", { sqlRevision: 50, resourceVersion: 70, highWater: 70, renewTime: micro(T0) }]]), T0);
    expect(t.renew("n1", 69, 50, micro(T0 + 1), T0 + 1)).toEqual({ ok: false, reason: "Conflict" });
    const renewed = t.renew("n1", 74, 50, micro(T0 + 1), T0 + 1);
    expect(renewed).toMatchObject({ ok: true, resourceVersion: 70 + RESTART_RESOURCE_VERSION_GAP + 1 });
    expect(t.renew("n1", 74, 50, micro(T0 + 2), T0 + 2)).toEqual({ ok: false, reason: "Conflict" });
  });

  it("saves a renewal every half grace period, and a reload keeps the saved sign of life", () => {
    const t = new LeaseTable(GRACE_MS);
    t.written("n1", 50, micro(T0), T0);
    t.takeDirty(T0);
    t.renew("n1", undefined, 50, micro(T0 + 10_000), T0 + 10_000);
    expect(t.persistDue("n1", T0 + 10_000)).toBe(false);
    t.renew("n1", undefined, 50, micro(T0 + 20_000), T0 + 20_000);
    expect(t.persistDue("n1", T0 + 20_000)).toBe(true);
    const saved = t.takeDirty(T0 + 20_000).get("n1")!;
    expect(saved).toMatchObject({ aliveAt: T0 + 20_000, persistedAt: T0 + 20_000 });
    // Evicted and reloaded long after the node died: it is expired at once, not given a new grace.
    const reloaded = new LeaseTable(GRACE_MS);
    reloaded.load(new Map([["n1", saved]]), T0 + 120_000);
    expect(reloaded.takeExpired(T0 + 120_000)).toEqual(["n1"]);
  });

  it("hands out only what changed for persistence", () => {
    const t = new LeaseTable(GRACE_MS);
    t.written("n1", 5, micro(T0), T0);
    expect([...t.takeDirty().keys()]).toEqual(["n1"]);
    expect(t.hasDirty()).toBe(false);
    t.forget("n1");
    expect(t.takeDirty()).toEqual(new Map([["n1", undefined]]));
  });
});
