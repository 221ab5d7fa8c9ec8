// The hub's memory of recent changes (kube's watchCache ring): resumes from a recent
// resourceVersion are served from here without SQL, and each event is JSON-encoded once per
// shape, however many watchers receive it. Also how one change becomes one watcher's event.
import type { StatusError } from "../../shared/status-error";
import type { KubeObject } from "../resources/types";
import type { ChangeEvent, ObjectKey } from "../store/types";

/** Which objects a watcher sees. */
export interface WatchFilter {
  namespace?: string;
  name?: string;
  /** Label and field selectors; absent = every object in namespace/name. */
  matches?: (obj: KubeObject) => boolean;
}

/** How an event reaches one watcher once its selector is applied (cacher's convertToWatchEvent). */
export type EventShape = "ADDED" | "MODIFIED" | "DELETED" | "DELETED_PREV";

export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

export interface RingEntry {
  event: ChangeEvent;
  /** The object before this change: null = it did not exist, undefined = not known to the hub. */
  prev: KubeObject | null | undefined;
  /** When the hub learnt of it (ms), for age-based eviction. */
  at: number;
  /** What it holds in memory, estimated: the object, and one encoding of it for watchers. */
  bytes: number;
  encoded: Partial<Record<EventShape, Uint8Array>>;
}

const encoder = new TextEncoder();

export function keyString(key: ObjectKey): string {
  return `${key.namespace}/${key.name}`;
}

/** One newline-terminated watch event; the object carries the event's revision. */
export function encodeWatchEvent(type: string, obj: KubeObject, revision: number, typeMeta?: TypeMeta): Uint8Array {
  const object: KubeObject = {
    ...obj,
    apiVersion: obj.apiVersion || typeMeta?.apiVersion || "",
    kind: obj.kind || typeMeta?.kind || "",
    metadata: { ...obj.metadata, resourceVersion: String(revision) },
  };
  return encoder.encode(`{"type":"${type}","object":${JSON.stringify(object)}}\n`);
}

export function encodeRaw(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value)}\n`);
}

/** The bytes for `shape` of `entry`, encoded on first use and shared by every watcher. */
export function chunkFor(entry: RingEntry, shape: EventShape, typeMeta?: TypeMeta): Uint8Array {
  const cached = entry.encoded[shape];
  if (cached) return cached;
  const { event } = entry;
  const obj = shape === "DELETED_PREV" && entry.prev ? entry.prev : event.value;
  const type = shape === "DELETED_PREV" ? "DELETED" : shape;
  const chunk = encodeWatchEvent(type, obj, event.revision, typeMeta);
  entry.encoded[shape] = chunk;
  return chunk;
}

export interface RingLimits {
  maxEvents: number;
  maxAgeMs: number;
  /** Bound on the entries' estimated bytes: a kind of large objects keeps fewer events. */
  maxBytes?: number;
}

/**
 * Events of one resource in revision order. Invariant: every change of this resource with
 * revision in (floor, last delivered] is here, so a watcher resuming from rv ≥ floor needs no SQL.
 */
export class EventRing {
  private entries: RingEntry[] = [];
  private start = 0;
  private readonly latestByKey = new Map<string, RingEntry>();
  private totalBytes = 0;
  floor: number;

  constructor(
    private readonly limits: RingLimits,
    floor: number,
  ) {
    this.floor = floor;
  }

  get size(): number {
    return this.entries.length - this.start;
  }

  /** The entries' estimated bytes. */
  get bytes(): number {
    return this.totalBytes;
  }

  append(event: ChangeEvent, now: number): RingEntry {
    const k = keyString(event.key);
    const before = this.latestByKey.get(k);
    let prev: KubeObject | null | undefined;
    if (event.type === "ADDED") prev = null;
    else if (before) prev = before.event.type === "DELETED" ? null : before.event.value;
    const entry: RingEntry = { event, prev, at: now, bytes: 2 * JSON.stringify(event.value).length, encoded: {} };
    this.totalBytes += entry.bytes;
    this.entries.push(entry);
    this.latestByKey.set(k, entry);
    this.evict(now);
    return entry;
  }

  /** Drops entries beyond the count bound or older than the age bound; the floor follows. */
  evict(now: number): void {
    while (this.size > 0) {
      const oldest = this.entries[this.start];
      if (!oldest) break;
      const overBytes = this.limits.maxBytes !== undefined && this.totalBytes > this.limits.maxBytes;
      if (this.size <= this.limits.maxEvents && now - oldest.at <= this.limits.maxAgeMs && !overBytes) break;
      this.dropOldest(oldest);
    }
    this.compactArray();
  }

  /** Forget everything at or below `revision` (a change there was never delivered). */
  raiseFloor(revision: number): void {
    while (this.size > 0) {
      const oldest = this.entries[this.start];
      if (!oldest || oldest.event.revision > revision) break;
      this.dropOldest(oldest);
    }
    this.floor = Math.max(this.floor, revision);
    this.compactArray();
  }

  has(revision: number): boolean {
    const i = this.indexAfter(revision - 1);
    return this.entries[i]?.event.revision === revision;
  }

  /** Entries with revision > `after`, at most `limit`, oldest first. */
  since(after: number, limit: number): RingEntry[] {
    const i = this.indexAfter(after);
    return this.entries.slice(i, i + limit);
  }

  private dropOldest(oldest: RingEntry): void {
    this.start++;
    this.totalBytes -= oldest.bytes;
    this.floor = Math.max(this.floor, oldest.event.revision);
    const k = keyString(oldest.event.key);
    if (this.latestByKey.get(k) === oldest) this.latestByKey.delete(k);
  }

  private compactArray(): void {
    if (this.start > 1024 && this.start * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }

  /** Index of the first entry with revision > `after` (binary search). */
  private indexAfter(after: number): number {
    let lo = this.start;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid]?.event.revision ?? 0) > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * Which event (if any) a change becomes for a filter: kube's cacheWatcher.convertToWatchEvent
 * (an object that starts matching is ADDED, one that stops is DELETED with its previous content).
 * Whether it matched before comes from what the client holds (`known`) when tracked, else from
 * the previous state in the ring; when neither is known, the verdict is assumed unchanged.
 */
export function shapeFor(
  filter: WatchFilter,
  event: ChangeEvent,
  prev: KubeObject | null | undefined,
  known?: ReadonlySet<string>,
): EventShape | null {
  if (filter.namespace !== undefined && event.key.namespace !== filter.namespace) return null;
  if (filter.name !== undefined && event.key.name !== filter.name) return null;
  const matches = filter.matches;
  if (!matches) return event.type;
  if (event.type !== "MODIFIED") return matches(event.value) ? event.type : null;
  const now = matches(event.value);
  let before: boolean;
  if (known) before = known.has(keyString(event.key));
  else if (prev !== undefined) before = prev !== null && matches(prev);
  else before = now;
  if (now) return before ? "MODIFIED" : "ADDED";
  if (!before) return null;
  return prev ? "DELETED_PREV" : "DELETED";
}

export function bookmarkChunk(typeMeta: TypeMeta, revision: number, initialEventsEnd = false): Uint8Array {
  const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
  if (initialEventsEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
  return encodeRaw({ type: "BOOKMARK", object: { kind: typeMeta.kind, apiVersion: typeMeta.apiVersion, metadata } });
}

export function errorChunk(err: StatusError): Uint8Array {
  return encodeRaw({ type: "ERROR", object: err.toStatus() });
}
