// The NodeLeases Durable Object's state, as a pure class (unit-tested in Node): each node's
// latest renewal over the SQL copy of its Lease, the resourceVersions renewals are given,
// and when each lease runs out (DESIGN decision 9: a renewal is not a SQL write).

/** What a reader merges over the SQL row of a node's Lease. */
export interface LeaseView {
  /** The SQL revision this view applies to; a row at any other revision makes it stale. */
  sqlRevision: number;
  /** The Lease's current resourceVersion (issued by the table, or the SQL revision). */
  resourceVersion: number;
  /** spec.renewTime as the client sent it (MicroTime). */
  renewTime?: string;
}

export interface LeaseEntry extends LeaseView {
  /** Highest resourceVersion ever given this lease: the next one is above it, so none repeats. */
  highWater: number;
  /** Milliseconds since the epoch of the last sign of life (renewal, or the table's start). */
  aliveAt: number;
  /** The loop has been told this lease expired and not yet that it came back. */
  expiredReported: boolean;
  /** A SQL write of this lease is in flight until then (ms): renewals meanwhile conflict. */
  writingUntil?: number;
  /**
   * Set when the entry was read back from storage (which is saved at most once a minute): the
   * renewals handed out since then are lost, so any resourceVersion in [resourceVersion,
   * reloadedBelow) may be the holder's latest and is accepted once.
   */
  reloadedBelow?: number;
  /** When aliveAt was last saved to storage (ms); renewals are saved again after half a grace period. */
  persistedAt?: number;
}

/** Persisted form (DO storage): enough to keep resourceVersions unique and liveness across restarts. */
export type PersistedLease = Pick<LeaseEntry, "sqlRevision" | "resourceVersion" | "highWater" | "renewTime"> & {
  /** The last sign of life as this object saw it (older saves lack it). */
  aliveAt?: number;
  /** When this was saved. */
  persistedAt?: number;
};

export type LeaseOutcome = { ok: true; resourceVersion: number } | { ok: false; reason: "Conflict" };

/**
 * Renewals since the last persist are lost with a restart; reloaded entries skip this many
 * resourceVersions so none given out before the restart is given again.
 */
export const RESTART_RESOURCE_VERSION_GAP = 100_000;

/** A SQL write that never reported back (a Worker that died mid-request) stops blocking renewals after this. */
export const WRITE_LOCK_MS = 30_000;

export function microTimeMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export class LeaseTable {
  private readonly entries = new Map<string, LeaseEntry>();
  private readonly dirty = new Set<string>();

  constructor(
    /** NODE_MONITOR_GRACE_PERIOD: a lease not renewed for this long has expired. */
    private readonly gracePeriodMs: number,
  ) {}

  /**
   * Entries read back after a restart. Like kube-controller-manager after its own restart,
   * every known node gets a full grace period from now: the renewals it missed while the
   * object was down are not its fault.
   */
  load(saved: ReadonlyMap<string, PersistedLease>, now: number): void {
    for (const [name, p] of saved) {
      const renewed = microTimeMs(p.renewTime) ?? 0;
      const highWater = p.highWater + RESTART_RESOURCE_VERSION_GAP;
      // The object is evicted when idle (and restarted on deploys): the saved sign of life, at
      // most half a grace period old, is what counts, or a dead node would never expire.
      const aliveAt = p.aliveAt ?? Math.max(renewed, now);
      this.entries.set(name, { ...p, highWater, aliveAt, expiredReported: false, reloadedBelow: highWater });
    }
  }

  view(name: string): LeaseView | undefined {
    const e = this.entries.get(name);
    return e && { sqlRevision: e.sqlRevision, resourceVersion: e.resourceVersion, renewTime: e.renewTime };
  }

  /** The lease's resourceVersion given the SQL row's revision: the view's while it is current. */
  private current(name: string, sqlRevision: number): number {
    const e = this.entries.get(name);
    return e && e.sqlRevision === sqlRevision ? e.resourceVersion : sqlRevision;
  }

  /**
   * A renewal: only spec.renewTime changed. `expected` is the resourceVersion the client
   * sent (undefined = unconditional, as a PUT without one is upstream).
   */
  renew(name: string, expected: number | undefined, sqlRevision: number, renewTime: string, now: number): LeaseOutcome & { cameBack?: boolean } {
    const e = this.entries.get(name);
    if (e?.writingUntil !== undefined && e.writingUntil > now) return { ok: false, reason: "Conflict" };
    if (expected !== undefined && expected !== this.current(name, sqlRevision) && !this.mayBeLatest(e, expected, sqlRevision)) return { ok: false, reason: "Conflict" };
    const resourceVersion = Math.max(e?.highWater ?? 0, sqlRevision) + 1;
    const cameBack = e?.expiredReported === true;
    this.entries.set(name, {
      sqlRevision,
      resourceVersion,
      highWater: resourceVersion,
      renewTime,
      // Our clock, not the node's (as kube-controller-manager times a lease change when it
      // sees it): a node with a skewed or hostile clock can neither stay alive nor flap.
      aliveAt: now,
      expiredReported: false,
      persistedAt: e?.persistedAt,
    });
    this.dirty.add(name);
    return { ok: true, resourceVersion, cameBack };
  }

  /** After a reload, a resourceVersion handed out before it (but after the last save) is still the holder's. */
  private mayBeLatest(e: LeaseEntry | undefined, expected: number, sqlRevision: number): boolean {
    return e?.reloadedBelow !== undefined && e.sqlRevision === sqlRevision && expected >= e.resourceVersion && expected < e.reloadedBelow;
  }

  /** Before a SQL write of the lease: checks `expected` against the merged view and holds off renewals. */
  beginWrite(name: string, expected: number, sqlRevision: number, now: number): LeaseOutcome {
    const e = this.entries.get(name);
    if (e?.writingUntil !== undefined && e.writingUntil > now) return { ok: false, reason: "Conflict" };
    const current = this.current(name, sqlRevision);
    if (expected !== current) return { ok: false, reason: "Conflict" };
    if (e) e.writingUntil = now + WRITE_LOCK_MS;
    return { ok: true, resourceVersion: current };
  }

  /**
   * After a SQL write (or create) of the lease at `sqlRevision`: the row is now the truth.
   * Returns the resourceVersion the lease has now: the SQL revision, unless an earlier
   * renewal was already given that number (then a fresh one, so a stale client's 409 stays a 409).
   */
  written(name: string, sqlRevision: number, renewTime: string | undefined, now: number): number {
    const e = this.entries.get(name);
    const highWater = e?.highWater ?? 0;
    const resourceVersion = sqlRevision > highWater ? sqlRevision : highWater + 1;
    const renewed = microTimeMs(renewTime);
    this.entries.set(name, {
      sqlRevision,
      resourceVersion,
      highWater: Math.max(highWater, resourceVersion),
      renewTime,
      aliveAt: e && renewTime === e.renewTime ? e.aliveAt : now,
      persistedAt: e?.persistedAt,
      expiredReported: e?.expiredReported === true && renewed === undefined,
    });
    this.dirty.add(name);
    return resourceVersion;
  }

  /** A failed SQL write releases its hold. */
  abortWrite(name: string): void {
    const e = this.entries.get(name);
    if (e) delete e.writingUntil;
  }

  forget(name: string): void {
    this.entries.delete(name);
    this.dirty.add(name);
  }

  /** Each tracked node's last sign of life (ms): node lifecycle's view of the leases. */
  heartbeats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, e] of this.entries) out[name] = e.aliveAt;
    return out;
  }

  /** When the next not-yet-reported lease runs out (ms), or undefined. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (e.expiredReported) continue;
      const at = e.aliveAt + this.gracePeriodMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Leases that ran out by `now` and were not reported yet; marks them reported. */
  takeExpired(now: number): string[] {
    const out: string[] = [];
    for (const [name, e] of this.entries) {
      if (e.expiredReported || e.aliveAt + this.gracePeriodMs > now) continue;
      e.expiredReported = true;
      out.push(name);
    }
    return out;
  }

  /** Entries changed since the last call (undefined value = deleted), for a batched storage write. */
  takeDirty(now = Date.now()): Map<string, PersistedLease | undefined> {
    const out = new Map<string, PersistedLease | undefined>();
    for (const name of this.dirty) {
      const e = this.entries.get(name);
      if (e) e.persistedAt = now;
      out.set(name, e && { sqlRevision: e.sqlRevision, resourceVersion: e.resourceVersion, highWater: e.highWater, renewTime: e.renewTime, aliveAt: e.aliveAt, persistedAt: now });
    }
    this.dirty.clear();
    return out;
  }

  /** Whether this renewal should be saved now: its saved sign of life is half a grace period old. */
  persistDue(name: string, now: number): boolean {
    const e = this.entries.get(name);
    return e !== undefined && this.dirty.has(name) && now - (e.persistedAt ?? 0) >= this.gracePeriodMs / 2;
  }

  hasDirty(): boolean {
    return this.dirty.size > 0;
  }
}
