// Events live an hour after their last write, as kube-apiserver's --event-ttl makes them (it
// gives etcd a lease on every Event write). The store has revisions, not a clock, so the loop
// keeps the clock: now and then a checkpoint of (time, current revision), in Durable Object
// storage. Once a checkpoint is older than the time to live, every Event last written at or
// before its revision has expired and is deleted like any delete (watchers see DELETED).
import type { ChangeEvent, Store } from "../store/types";

export const DEFAULT_EVENT_TTL_S = 3600;
/** Events deleted per statement; a backlog (the first sweep of a busy cluster) goes on next pass. */
export const EXPIRE_BATCH = 500;
const CHECKPOINTS_KEY = "event-expiry/checkpoints";
const EVENT = { group: "", resource: "events" } as const;

export interface Checkpoint {
  /** Milliseconds since the epoch. */
  at: number;
  /** The store's revision then: everything at or below it was written by `at`. */
  revision: number;
}

/** What the expiry needs of the Durable Object's storage (a Map-backed stand-in in unit tests). */
export interface CheckpointStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

export class EventExpiry {
  private checkpoints: Checkpoint[] | undefined;
  /** Before this, a pass has nothing to do here (no checkpoint due, nothing expired). */
  private nextAt = 0;

  constructor(
    private readonly storage: CheckpointStorage,
    readonly ttlMs: number,
  ) {}

  /** How far apart checkpoints are, so how late an Event may go: a 60th of the TTL, 1 s to 60 s. */
  get intervalMs(): number {
    return Math.min(60_000, Math.max(1_000, Math.floor(this.ttlMs / 60)));
  }

  /**
   * One sweep when one is due: a checkpoint, then the expired Events deleted and handed to
   * `publish`. Returns the milliseconds until the loop should wake for this (the next Event to
   * expire, or the next checkpoint while writes go on), or undefined when nothing is waiting.
   */
  async run(store: Store, now: number, revision: number, publish: (deleted: ChangeEvent[]) => Promise<void>): Promise<number | undefined> {
    // Checkpoints are taken on any pass (no query, a storage write at most once an interval), so
    // an Event rewritten meanwhile is dated within an interval of its write.
    this.checkpoints ??= (await this.storage.get<Checkpoint[]>(CHECKPOINTS_KEY)) ?? [];
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (!last || (now - last.at >= this.intervalMs && revision > last.revision)) {
      this.checkpoints = [...this.checkpoints, { at: now, revision }];
      this.prune(now);
      await this.storage.put(CHECKPOINTS_KEY, this.checkpoints);
    }
    const checkpoints = this.checkpoints;
    const newest = checkpoints[checkpoints.length - 1]!;
    // Something was written since the newest checkpoint: the next one is wanted on time.
    const checkpointAt = revision > newest.revision ? newest.at + this.intervalMs : Infinity;
    const wake = (at: number) => (at === Infinity ? undefined : Math.max(0, at - now));
    if (now < this.nextAt) return wake(Math.min(this.nextAt, checkpointAt));

    const cutoff = this.cutoff(now);
    if (cutoff) {
      const deleted = await store.expire(EVENT.group, EVENT.resource, cutoff.revision, EXPIRE_BATCH);
      if (deleted.length > 0) await publish(deleted.map((d) => ({ revision: d.revision, type: "DELETED", key: d.key, value: d.value })));
      if (deleted.length === EXPIRE_BATCH) {
        this.nextAt = now;
        return 0;
      }
    }
    const oldest = await store.oldestWrite(EVENT.group, EVENT.resource);
    if (oldest === undefined) {
      // No Event: nothing to wake for; a pass within the interval need not ask again.
      this.nextAt = now + this.intervalMs;
      return undefined;
    }
    // The oldest Event expires a TTL after the first checkpoint that covers it; one written
    // after the newest checkpoint waits for the next checkpoint to be dated.
    const covering = checkpoints.find((c) => c.revision >= oldest);
    // The revision given may trail the store (Events written after the loop's last read): then
    // no checkpoint covers the oldest yet, and the next one is an interval away, never "never".
    this.nextAt = covering ? covering.at + this.ttlMs : Math.min(checkpointAt, now + this.intervalMs);
    return wake(Math.min(this.nextAt, checkpointAt));
  }

  /** The newest checkpoint at least the TTL old: Events at or below its revision have expired. */
  private cutoff(now: number): Checkpoint | undefined {
    let found: Checkpoint | undefined;
    for (const c of this.checkpoints ?? []) if (c.at <= now - this.ttlMs) found = c;
    return found;
  }

  /** Checkpoints older than the cutoff say nothing the cutoff does not. */
  private prune(now: number): void {
    const cutoff = this.cutoff(now);
    if (cutoff) this.checkpoints = this.checkpoints!.filter((c) => c.at >= cutoff.at);
  }
}

/** EVENT_TTL_SECONDS from the environment, else an hour. */
export function eventTtlMs(value: string | undefined): number {
  const seconds = Number(value);
  return (value && Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_EVENT_TTL_S) * 1000;
}
