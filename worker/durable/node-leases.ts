// Absorbs node heartbeats (Lease renewals) so a quiet cluster makes no SQL writes (DESIGN decision 9).
// One instance holds every node's latest renewal in memory (LeaseTable), persists it to its own
// storage at most once a minute, and alarms at the earliest expiry to wake node lifecycle.
import { DurableObject } from "cloudflare:workers";
import { controllerLoop } from "../api/write/store-writes";
import type { Env } from "../env";
import type { NodeLeasesRpc } from "./rpc";
import { LeaseTable, type LeaseOutcome, type LeaseView, type PersistedLease } from "../leases/lease-table";

/** Renewals reach this object's storage at most this often (only to survive a restart). */
export const PERSIST_INTERVAL_MS = 60_000;
export const DEFAULT_GRACE_PERIOD_MS = 40_000;
const KEY_PREFIX = "lease:";
/** Durable Object storage takes at most 128 keys per put/delete. */
const STORAGE_BATCH_KEYS = 128;

export function gracePeriodMs(env: Pick<Env, "NODE_MONITOR_GRACE_PERIOD_SECONDS">): number {
  const s = Number(env.NODE_MONITOR_GRACE_PERIOD_SECONDS);
  return s > 0 ? s * 1000 : DEFAULT_GRACE_PERIOD_MS;
}

/** The single instance every Worker and the controller loop talk to. */
export function nodeLeases(env: Env) {
  return env.NODE_LEASES.get(env.NODE_LEASES.idFromName("kube-node-lease"));
}

export class NodeLeases extends DurableObject<Env> implements NodeLeasesRpc {
  private readonly table: LeaseTable;
  /** The alarm as last set (ms), so a renewal costs no storage call. */
  private alarmAt: number | undefined;
  private lastPersistAt = Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.table = new LeaseTable(gracePeriodMs(env));
    void ctx.blockConcurrencyWhile(async () => {
      const saved = await ctx.storage.list<PersistedLease>({ prefix: KEY_PREFIX });
      const byName = new Map<string, PersistedLease>();
      for (const [key, value] of saved) byName.set(key.slice(KEY_PREFIX.length), value);
      this.table.load(byName, Date.now());
      this.alarmAt = (await ctx.storage.getAlarm()) ?? undefined;
      await this.arm();
    });
  }

  async view(name: string): Promise<LeaseView | undefined> {
    return this.table.view(name);
  }

  /** Every node's view, for a list. */
  async views(): Promise<Record<string, LeaseView>> {
    const out: Record<string, LeaseView> = {};
    for (const name of Object.keys(this.table.heartbeats())) {
      const v = this.table.view(name);
      if (v) out[name] = v;
    }
    return out;
  }

  async renew(name: string, expected: number | undefined, sqlRevision: number, renewTime: string): Promise<LeaseOutcome> {
    const now = Date.now();
    const outcome = this.table.renew(name, expected, sqlRevision, renewTime, now);
    // Saved here, in the request: an idle object is evicted within seconds, before any timer fires.
    if (outcome.ok && this.table.persistDue(name, now)) await this.persist();
    // A node coming back is a change node lifecycle should look at (its Ready status follows from the kubelet).
    if (outcome.ok && outcome.cameBack) this.ctx.waitUntil(this.tellLoop());
    await this.arm();
    return outcome.ok ? { ok: true, resourceVersion: outcome.resourceVersion } : outcome;
  }

  async beginWrite(name: string, expected: number, sqlRevision: number): Promise<LeaseOutcome> {
    return this.table.beginWrite(name, expected, sqlRevision, Date.now());
  }

  async written(name: string, sqlRevision: number, renewTime: string | undefined): Promise<number> {
    const rv = this.table.written(name, sqlRevision, renewTime, Date.now());
    await this.persist(); // rare (creation, holder change): keep resourceVersions unique across restarts
    await this.arm();
    return rv;
  }

  async abortWrite(name: string): Promise<void> {
    this.table.abortWrite(name);
  }

  async forget(name: string): Promise<void> {
    this.table.forget(name);
    await this.persist();
  }

  async heartbeats(): Promise<Record<string, number>> {
    return this.table.heartbeats();
  }

  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    const now = Date.now();
    if (this.table.takeExpired(now).length > 0) await this.tellLoop();
    if (this.table.hasDirty() && now - this.lastPersistAt >= PERSIST_INTERVAL_MS) await this.persist();
    await this.arm();
  }

  private async tellLoop(): Promise<void> {
    if (this.env.CONTROLLERS_DISABLED === "true") return;
    await controllerLoop(this.env)
      .leasesChanged()
      .catch((e: unknown) => console.error(`node-leases: nudging the controller loop failed: ${String(e)}`));
  }

  private async persist(): Promise<void> {
    const changed = this.table.takeDirty();
    this.lastPersistAt = Date.now();
    const puts: [string, PersistedLease][] = [];
    const deletes: string[] = [];
    for (const [name, value] of changed) {
      if (value) puts.push([KEY_PREFIX + name, value]);
      else deletes.push(KEY_PREFIX + name);
    }
    for (let i = 0; i < puts.length; i += STORAGE_BATCH_KEYS) await this.ctx.storage.put(Object.fromEntries(puts.slice(i, i + STORAGE_BATCH_KEYS)));
    for (let i = 0; i < deletes.length; i += STORAGE_BATCH_KEYS) await this.ctx.storage.delete(deletes.slice(i, i + STORAGE_BATCH_KEYS));
  }

  /** Re-arms at the earliest of: the next lease expiry, the next persist of pending renewals. */
  private async arm(): Promise<void> {
    let due = this.table.nextExpiry();
    if (this.table.hasDirty()) {
      const persistAt = this.lastPersistAt + PERSIST_INTERVAL_MS;
      due = due === undefined ? persistAt : Math.min(due, persistAt);
    }
    if (due === undefined || (this.alarmAt !== undefined && this.alarmAt <= due)) return;
    this.alarmAt = due;
    await this.ctx.storage.setAlarm(due);
  }
}
