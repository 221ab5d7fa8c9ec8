// The watch hub's logic without Durable Object APIs (so it tests in Node): orders the
// published changes of one resource, checks them against the change log, keeps the recent
// ones in a ring, and fans each out to every matching watcher (kube's cacher, in small).
import { gone, StatusError, unexpectedError } from "../../shared/status-error";
import type { KubeObject } from "../resources/types";
import type { ChangeEvent, Store } from "../store/types";
import { StoreError } from "../store/types";
import { EventRing, bookmarkChunk, chunkFor, errorChunk, encodeWatchEvent, keyString, shapeFor } from "./watch-ring";
import type { RingEntry, RingLimits, TypeMeta, WatchFilter } from "./watch-ring";

export { bookmarkChunk, shapeFor };

/**
 * Revisions are global across kinds, so a gap before a `pods` event is almost always other
 * kinds' writes, sometimes a concurrent pods write whose publish is still in flight, and
 * rarely a publish that never comes. Reading SQL to tell these apart would cost one read per
 * event. Instead the hub holds an out-of-sequence event this long (time for a racing publish
 * to land; they are then delivered sorted), then delivers optimistically. The change log is
 * read only by the catch-up tick (CATCH_UP_INTERVAL_MS, while watchers exist): it delivers
 * changes never published, and if a change arrives (late publish or log) below what live
 * watchers already passed, those watchers get 410 Expired and re-list, as after a kube
 * watch-cache gap. Steady state: no SQL per event, one small range read per tick.
 */
export const GAP_HOLD_MS = 20;
export const CATCH_UP_INTERVAL_MS = 5_000;
export const BOOKMARK_INTERVAL_MS = 60_000;
/**
 * A watcher whose queue is over its soft bound gets this long to drain before it is closed as
 * too slow: a burst (one publish of a pass's 5,000 bindings) is not a slow client.
 */
export const SLOW_WATCHER_GRACE_MS = 5_000;
export const RING_MAX_EVENTS = 10_000;
export const RING_MAX_AGE_MS = 5 * 60_000;
/**
 * The ring's memory bound per kind: 10,000 events of 1 MiB ConfigMaps would otherwise hold
 * gigabytes. A resume from below what it keeps reads the change log, as from below its age.
 */
export const RING_MAX_BYTES = 64 * 1024 * 1024;
/** Rows per store read (lists and change-log pages) and ring entries per catch-up batch. */
export const STORE_PAGE_ROWS = 500;

export interface WatchSink {
  /** Queues one chunk; false when the sink is closed or its queue past its hard bound (the watcher is then closed). */
  write(chunk: Uint8Array): boolean;
  /** Whether the queue is over its soft bound: the reader is not keeping up (or has not yet had a turn). */
  behind(): boolean;
  /** Resolves once the queue has room again (backpressure for initial lists and catch-up). */
  ready(): Promise<void>;
  close(): void;
}

export interface WatchSpec {
  filter: WatchFilter;
  /** "list": synthetic ADDED for the current state first; "now": live changes only; a number: changes after it. */
  start: "list" | "now" | number;
  bookmarks: boolean;
  /** After the initial list, a BOOKMARK annotated `k8s.io/initial-events-end` (WatchList). */
  initialEventsEnd?: boolean;
  typeMeta: TypeMeta;
}

export interface WatchFanOutOptions {
  group: string;
  resource: string;
  store: () => Store | Promise<Store>;
  now?: () => number;
  ring?: Partial<RingLimits>;
  gapHoldMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  /** Told when a watcher ends for any reason (client gone, too slow, expired, timeout). */
  onClose?: (id: number) => void;
}

interface Watcher {
  id: number;
  spec: WatchSpec;
  sink: WatchSink;
  /** Highest revision this watcher has been brought to: nothing at or below it is sent again. */
  pos: number;
  /** Where its event stream began (the list's revision or the requested one). */
  from: number;
  /** Keys the client holds that match its selector (list-started selector watches): exact transitions. */
  known?: Set<string>;
  live: boolean;
  closed: boolean;
  /** Initial-list items read at a revision above the list's: their older changes are skipped. */
  skipUpTo?: Map<string, number>;
  skipMax: number;
  lastBookmarkAt: number;
  /** Found behind; a timer checks again after SLOW_WATCHER_GRACE_MS. */
  lagChecking: boolean;
}

export class WatchFanOut {
  private state: "idle" | "starting" | "tracking" = "idle";
  private starting: Promise<void> | undefined;
  /** Every change of this resource at or below the cursor has been delivered (or expired). */
  private cursor = 0;
  /** The change log has been checked up to here. */
  private verified = 0;
  private ring: EventRing;
  private readonly pending = new Map<number, ChangeEvent>();
  private holdArmed = false;
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 1;
  private readonly now: () => number;
  private readonly limits: RingLimits;
  private readonly gapHoldMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;

  constructor(private readonly options: WatchFanOutOptions) {
    this.now = options.now ?? Date.now;
    this.limits = {
      maxEvents: options.ring?.maxEvents ?? RING_MAX_EVENTS,
      maxAgeMs: options.ring?.maxAgeMs ?? RING_MAX_AGE_MS,
      maxBytes: options.ring?.maxBytes ?? RING_MAX_BYTES,
    };
    this.gapHoldMs = options.gapHoldMs ?? GAP_HOLD_MS;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.ring = new EventRing(this.limits, 0);
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  get position(): { cursor: number; ringFloor: number; ringSize: number; pending: number } {
    return { cursor: this.cursor, ringFloor: this.ring.floor, ringSize: this.ring.size, pending: this.pending.size };
  }

  /** A write's change events (any order, possibly late or duplicated). No-op with no watchers. */
  publish(events: ChangeEvent[]): void {
    if (this.state === "idle") return;
    for (const event of events) if (this.isOwn(event)) this.accept(event);
    if (this.state === "tracking") this.flush();
  }

  /** Opens a watcher; `started` settles once it is live (or has ended). */
  open(spec: WatchSpec, sink: WatchSink): { id: number; started: Promise<void> } {
    const watcher: Watcher = { id: this.nextId++, spec, sink, pos: 0, from: 0, live: false, closed: false, skipMax: 0, lastBookmarkAt: this.now(), lagChecking: false };
    this.watchers.set(watcher.id, watcher);
    const started = this.run(watcher).catch((err: unknown) => {
      if (watcher.closed) return;
      const status = err instanceof StatusError ? err : unexpectedError(err, "a watch");
      watcher.sink.write(errorChunk(status));
      this.close(watcher.id);
    });
    return { id: watcher.id, started };
  }

  close(id: number): void {
    const watcher = this.watchers.get(id);
    if (!watcher) return;
    this.watchers.delete(id);
    watcher.closed = true;
    watcher.live = false;
    watcher.sink.close();
    this.options.onClose?.(id);
    if (this.watchers.size === 0 && this.state === "tracking") this.untrack();
  }

  /** The periodic pass while watchers exist: age out the ring, check the log, send bookmarks. */
  async tick(): Promise<void> {
    if (this.state !== "tracking") return;
    this.ring.evict(this.now());
    await this.verify();
    if (this.state !== "tracking") return;
    const now = this.now();
    for (const w of [...this.watchers.values()]) {
      if (!w.live || !w.spec.bookmarks || now - w.lastBookmarkAt < BOOKMARK_INTERVAL_MS) continue;
      w.pos = Math.max(w.pos, this.cursor);
      w.lastBookmarkAt = now;
      if (!w.sink.write(bookmarkChunk(w.spec.typeMeta, w.pos))) this.close(w.id);
    }
  }

  private isOwn(event: ChangeEvent): boolean {
    return event.key.group === this.options.group && event.key.resource === this.options.resource;
  }

  private accept(event: ChangeEvent): void {
    if (this.state === "tracking" && event.revision <= this.cursor) {
      if (event.revision > this.ring.floor && !this.ring.has(event.revision)) this.expireBelow(event.revision);
      return;
    }
    this.pending.set(event.revision, event);
  }

  private flush(): void {
    for (let next = this.pending.get(this.cursor + 1); next; next = this.pending.get(this.cursor + 1)) {
      this.pending.delete(next.revision);
      this.deliver(next);
    }
    if (this.pending.size === 0) return;
    if (this.gapHoldMs <= 0) return this.release(Number.POSITIVE_INFINITY);
    if (this.holdArmed) return;
    this.holdArmed = true;
    this.setTimer(() => {
      this.holdArmed = false;
      this.release(Number.POSITIVE_INFINITY);
    }, this.gapHoldMs);
  }

  /** Delivers held events up to `upTo` in revision order. */
  private release(upTo: number): void {
    if (this.state !== "tracking") return;
    const revisions = [...this.pending.keys()].filter((r) => r <= upTo).sort((a, b) => a - b);
    for (const revision of revisions) {
      const event = this.pending.get(revision);
      this.pending.delete(revision);
      if (event && revision > this.cursor) this.deliver(event);
    }
  }

  private deliver(event: ChangeEvent): void {
    const entry = this.ring.append(event, this.now());
    this.cursor = event.revision;
    for (const w of [...this.watchers.values()]) {
      if (w.live && !this.send(w, entry)) this.close(w.id);
    }
  }

  /** Sends one entry to one watcher if its filter wants it; false when the watcher is too slow. */
  private send(w: Watcher, entry: RingEntry): boolean {
    const { event } = entry;
    if (event.revision <= w.pos) return true;
    w.pos = event.revision;
    if (w.skipUpTo) {
      const skip = w.skipUpTo.get(keyString(event.key));
      if (w.pos >= w.skipMax) w.skipUpTo = undefined;
      if (skip !== undefined && event.revision <= skip) return true;
    }
    const shape = shapeFor(w.spec.filter, event, entry.prev, w.known);
    if (!shape) return true;
    if (w.known) {
      if (shape === "ADDED" || shape === "MODIFIED") w.known.add(keyString(event.key));
      else w.known.delete(keyString(event.key));
    }
    if (!w.sink.write(chunkFor(entry, shape, w.spec.typeMeta))) return false;
    if (w.live && !w.lagChecking && w.sink.behind()) this.checkLagLater(w);
    return true;
  }

  /** Closes `w` if it is still behind after the grace period; the client then re-watches from where it got to. */
  private checkLagLater(w: Watcher): void {
    w.lagChecking = true;
    this.setTimer(() => {
      w.lagChecking = false;
      if (!w.closed && w.sink.behind()) this.close(w.id);
    }, SLOW_WATCHER_GRACE_MS);
  }

  /** A change at `revision` was never delivered: watchers that began before it and passed it re-list. */
  private expireBelow(revision: number): void {
    this.ring.raiseFloor(revision);
    for (const w of [...this.watchers.values()]) {
      // a watcher still reading the log below `revision` will read it there
      if (w.from >= revision || (!w.live && w.pos < revision)) continue;
      w.sink.write(errorChunk(gone(`too old resource version: ${w.pos} (${revision})`)));
      this.close(w.id);
    }
  }

  private ensureTracking(): Promise<void> {
    if (this.state === "tracking") return Promise.resolve();
    if (this.state === "idle" || !this.starting) {
      this.state = "starting";
      this.starting = this.startTracking();
    }
    return this.starting;
  }

  private async startTracking(): Promise<void> {
    try {
      const head = await (await this.options.store()).currentRevision();
      this.cursor = head;
      this.verified = head;
      this.ring = new EventRing(this.limits, head);
      this.state = "tracking";
      for (const revision of [...this.pending.keys()]) if (revision <= head) this.pending.delete(revision);
      this.flush();
      if (this.watchers.size === 0) this.untrack();
    } catch (err) {
      this.state = "idle";
      this.starting = undefined;
      this.pending.clear();
      throw err;
    }
  }

  private untrack(): void {
    this.state = "idle";
    this.starting = undefined;
    this.pending.clear();
    this.ring = new EventRing(this.limits, 0);
    this.cursor = 0;
    this.verified = 0;
  }

  private async run(w: Watcher): Promise<void> {
    await this.ensureTracking();
    if (w.closed) return;
    const store = await this.options.store();
    if (w.closed) return;
    if (w.spec.start === "list") await this.sendInitialList(w, store);
    else w.pos = w.spec.start === "now" ? this.cursor : w.spec.start;
    w.from = w.pos;
    await this.catchUp(w, store);
  }

  private async sendInitialList(w: Watcher, store: Store): Promise<void> {
    const { filter, typeMeta } = w.spec;
    const skip = new Map<string, number>();
    const known = filter.matches ? new Set<string>() : undefined;
    let revision: number | undefined;
    let after: { namespace: string; name: string } | undefined;
    for (;;) {
      const page = await store.list(this.options.group, this.options.resource, { namespace: filter.namespace, after, limit: STORE_PAGE_ROWS });
      if (w.closed) return;
      revision ??= page.revision;
      for (const row of page.items) {
        if (filter.name !== undefined && row.key.name !== filter.name) continue;
        if (filter.matches && !filter.matches(row.value)) continue;
        if (row.revision > revision) skip.set(keyString(row.key), row.revision);
        known?.add(keyString(row.key));
        w.sink.write(encodeWatchEvent("ADDED", row.value, row.revision, typeMeta));
      }
      // The page's last row even if unreadable (left out): a page of only those does not end the list.
      const last = page.last ?? page.items[page.items.length - 1]?.key;
      if (!page.more || !last) break;
      after = { namespace: last.namespace, name: last.name };
      await w.sink.ready();
    }
    w.pos = revision ?? 0;
    w.from = w.pos;
    w.known = known;
    if (skip.size) {
      w.skipUpTo = skip;
      w.skipMax = Math.max(...skip.values());
    }
    if (w.spec.initialEventsEnd && w.spec.bookmarks) w.sink.write(bookmarkChunk(typeMeta, w.pos, true));
  }

  /** From the watcher's position to live: the change log while below the ring, then the ring. */
  private async catchUp(w: Watcher, store: Store): Promise<void> {
    const requested = w.pos;
    const prevByKey = new Map<string, KubeObject | null>();
    for (;;) {
      if (w.closed) return;
      if (w.pos >= this.ring.floor) {
        const batch = this.ring.since(w.pos, STORE_PAGE_ROWS);
        for (const entry of batch) this.send(w, entry);
        if (batch.length < STORE_PAGE_ROWS) {
          w.live = true;
          w.lastBookmarkAt = this.now();
          return;
        }
        await w.sink.ready();
        continue;
      }
      const cursorBefore = this.cursor;
      let page: ChangeEvent[];
      try {
        page = await store.changesSince(w.pos, STORE_PAGE_ROWS);
      } catch (err) {
        if (!(err instanceof StoreError) || err.code !== "Compacted") throw err;
        const oldest = await store.compactedRevision();
        // kube's watch cache: `too old resource version: N (M)`; kubectl / reflectors re-list
        w.sink.write(errorChunk(gone(`too old resource version: ${requested} (${oldest})`)));
        this.close(w.id);
        return;
      }
      if (w.closed) return;
      for (const event of page) {
        // An unreadable row is left out of the watch as it is left out of lists.
        if (this.isOwn(event) && event.unreadable === undefined) {
          const k = keyString(event.key);
          const prev = event.type === "ADDED" ? null : prevByKey.get(k);
          this.send(w, { event, prev, at: 0, bytes: 0, encoded: {} });
          prevByKey.set(k, event.type === "DELETED" ? null : event.value);
        }
        w.pos = Math.max(w.pos, event.revision);
      }
      // A short page read the whole log: everything the hub had delivered was in it.
      if (page.length < STORE_PAGE_ROWS) w.pos = Math.max(w.pos, cursorBefore);
      await w.sink.ready();
    }
  }

  /** Reads the change log from the last check: delivers unpublished changes, expires on holes. */
  private async verify(): Promise<void> {
    const store = await this.options.store();
    for (;;) {
      let page: ChangeEvent[];
      try {
        page = await store.changesSince(this.verified, STORE_PAGE_ROWS);
      } catch (err) {
        if (!(err instanceof StoreError) || err.code !== "Compacted") throw err;
        const oldest = await store.compactedRevision();
        if (this.state !== "tracking") return;
        this.expireBelow(oldest);
        this.verified = Math.max(this.verified, oldest);
        continue;
      }
      if (this.state !== "tracking") return;
      for (const event of page) {
        if (this.isOwn(event) && event.unreadable === undefined) this.accept(event);
        this.verified = Math.max(this.verified, event.revision);
      }
      if (this.state !== "tracking") return;
      this.release(this.verified);
      this.cursor = Math.max(this.cursor, this.verified);
      if (page.length < STORE_PAGE_ROWS) return;
    }
  }
}
