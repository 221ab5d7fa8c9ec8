// The controller loop's cache of the cluster (client-go's informer, in small): filled by one
// paged list per kind, then kept current from the change log, and read as a Snapshot. It also
// keeps a journal of what changed, so an incremental controller can look only at that: its cursor
// moves when the loop commits it, after the controller's actions were applied.
import type { KubeObject } from "../resources/types";
import { StoreError, type ChangeEvent, type Store, type UnreadableRow } from "../store/types";
import type { CacheChange, ResourceRef, Snapshot } from "./types";

/** Change-log rows read per round trip while catching up. */
const CHANGE_PAGE_ROWS = 1_000;
const LIST_PAGE_ROWS = 1_000;
/** kubectl apply's copy of what it applied: a Secret's data among it. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
/** Unreadable rows kept for the loop to report between two passes. */
const MAX_UNREADABLE_NOTED = 100;
/** Journal entries kept for consumers that have not read them; past this they get a full pass instead. */
const MAX_JOURNAL_ENTRIES = 100_000;
/** A feed consumer gets "all" at least this often: the level-triggered resync (the loop's RESYNC_INTERVAL_MS). */
export const FEED_RESYNC_MS = 5 * 60_000;

/** The changes a consumer has not had yet, and where its cursor goes once they are applied. */
export interface PendingChanges {
  changes: readonly CacheChange[] | "all";
  /** The journal position after these changes (commitChanges's argument). */
  upTo: number;
}

function refKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.resource}`;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One kind's objects with sorted views. A modification keeps the sorted key order (only the
 * values are re-read, O(n)); creates are sorted on their own and merged in, O(n) too (a pass
 * after a burst of creates re-sorted every pod before); only deletes cost a re-sort.
 * Per-namespace views make `list(ref, ns)` proportional to that namespace.
 */
class KindCache {
  readonly objects = new Map<string, KubeObject>();
  private readonly namespaces = new Map<string, Map<string, KubeObject>>();
  private sortedKeys: string[] | undefined;
  /** Keys created since sortedKeys was last brought up to date, not in it yet. */
  private added: string[] = [];
  private values: KubeObject[] | undefined;
  private readonly nsViews = new Map<string, KubeObject[]>();

  get(namespace: string, name: string): KubeObject | undefined {
    return this.namespaces.get(namespace)?.get(name);
  }

  set(namespace: string, name: string, obj: KubeObject): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const previous = this.objects.get(key);
    this.objects.set(key, obj);
    let ns = this.namespaces.get(namespace);
    if (!ns) this.namespaces.set(namespace, (ns = new Map()));
    ns.set(name, obj);
    if (!previous && this.sortedKeys) this.added.push(key);
    this.values = undefined;
    this.nsViews.delete(namespace);
    return previous;
  }

  delete(namespace: string, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.objects.delete(key);
    const ns = this.namespaces.get(namespace);
    ns?.delete(name);
    if (ns?.size === 0) this.namespaces.delete(namespace);
    this.sortedKeys = undefined;
    this.added = [];
    this.values = undefined;
    this.nsViews.delete(namespace);
    return previous;
  }

  list(namespace?: string): readonly KubeObject[] {
    if (namespace !== undefined) {
      let view = this.nsViews.get(namespace);
      if (!view) {
        const ns = this.namespaces.get(namespace);
        view = ns ? [...ns.keys()].sort(byString).map((n) => ns.get(n)!) : [];
        this.nsViews.set(namespace, view);
      }
      return view;
    }
    if (!this.values) {
      if (!this.sortedKeys) this.sortedKeys = [...this.objects.keys()].sort(byString);
      else if (this.added.length > 0) this.sortedKeys = mergeSorted(this.sortedKeys, this.added.sort(byString));
      this.added = [];
      this.values = this.sortedKeys.map((k) => this.objects.get(k)!);
    }
    return this.values;
  }
}

/** Two sorted key lists as one. */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

export class Informer implements Snapshot {
  private readonly kinds = new Map<string, KindCache>();
  private readonly owners = new Map<string, Map<string, { ref: ResourceRef; object: KubeObject }>>();
  private readonly uids = new Map<string, { ref: ResourceRef; object: KubeObject }>();
  private refs: ResourceRef[] = [];
  /** Kinds cached as metadata only (see kept). */
  private metadataOnly = new Set<string>();
  /** Changes not yet read by every consumer; journal[0] has sequence number journalStart. */
  private journal: CacheChange[] = [];
  private journalStart = 0;
  /** Per consumer: the next sequence number it reads, and when it last got "all". */
  private readonly consumers = new Map<string, { next: number; fullAt: number }>();
  /** Highest revision folded into the cache; 0 before the first sync. */
  revision = 0;
  /** Objects this loop wrote itself, by revision: the next sync need not read their values back. */
  private readonly written = new Map<number, KubeObject>();

  constructor(refs: readonly ResourceRef[], metadataOnly: readonly ResourceRef[] = []) {
    this.watch(refs, metadataOnly);
  }

  /**
   * Caches exactly these kinds from now on. A changed set (a kind added or removed at run time)
   * means a full re-list at the next sync: rare, and simpler than splicing one kind in.
   */
  watch(refs: readonly ResourceRef[], metadataOnly: readonly ResourceRef[] = []): void {
    const seen = new Set<string>();
    const next = refs.filter((r) => !seen.has(refKey(r)) && seen.add(refKey(r)));
    const thin = new Set(metadataOnly.map(refKey).filter((k) => seen.has(k)));
    const same =
      next.length === this.refs.length &&
      next.every((r, i) => refKey(r) === refKey(this.refs[i]!)) &&
      thin.size === this.metadataOnly.size &&
      [...thin].every((k) => this.metadataOnly.has(k));
    if (same) return;
    this.refs = next;
    this.metadataOnly = thin;
    this.revision = 0;
  }

  /**
   * What the cache keeps of an object: all of it, or for a kind only metadata-readers watch (the
   * garbage collector, the namespace controller) its type and metadata, as kube-controller-manager's
   * metadata informers hold them, less managedFields and kubectl's last-applied-configuration
   * (which can carry a whole Secret): a Secret's data or a ConfigMap's never sit in the loop's memory.
   */
  private kept(ref: ResourceRef, value: KubeObject): KubeObject {
    if (!this.metadataOnly.has(refKey(ref))) return value;
    const { managedFields: _fields, annotations, ...metadata } = value.metadata;
    if (annotations) {
      const { [LAST_APPLIED]: _applied, ...rest } = annotations;
      if (Object.keys(rest).length > 0) (metadata as KubeObject["metadata"]).annotations = rest;
    }
    return { apiVersion: value.apiVersion, kind: value.kind, metadata };
  }

  get synced(): boolean {
    return this.revision > 0;
  }

  /**
   * Brings the cache to the store's current revision; returns the kinds that changed.
   * A compacted cursor (the loop slept through the retained window) means a full re-list.
   */
  async sync(store: Store): Promise<Set<string>> {
    if (!this.synced) return this.relist(store);
    const changed = new Set<string>();
    for (;;) {
      let events: ChangeEvent[];
      try {
        events = await store.changesSince(this.revision, CHANGE_PAGE_ROWS, this.written.size > 0 ? this.written : undefined);
      } catch (e) {
        if (e instanceof StoreError && e.code === "Compacted") return this.relist(store);
        throw e;
      }
      for (const event of events) {
        this.revision = Math.max(this.revision, event.revision);
        // Only this object fails: the cache keeps what it had, the loop reports the row. A
        // deletion needs no value: it is applied by key.
        if (event.unreadable !== undefined && event.type !== "DELETED") {
          this.noteUnreadable({ key: event.key, revision: event.revision, reason: event.unreadable });
          continue;
        }
        const ref = { group: event.key.group, resource: event.key.resource };
        const kind = this.kinds.get(refKey(ref));
        if (!kind) continue;
        changed.add(refKey(ref));
        const value = this.kept(ref, event.value);
        const previous = event.type === "DELETED" ? kind.delete(event.key.namespace, event.key.name) : kind.set(event.key.namespace, event.key.name, value);
        if (previous) this.unindex(ref, previous);
        if (event.type !== "DELETED") this.index(ref, value);
        this.record({ ref, previous, current: event.type === "DELETED" ? undefined : value });
      }
      for (const r of this.written.keys()) if (r <= this.revision) this.written.delete(r);
      if (events.length < CHANGE_PAGE_ROWS) return changed;
    }
  }

  /** Rows met since the last take that could not be read (bounded: a flood is reported in part). */
  private unreadable: UnreadableRow[] = [];

  private noteUnreadable(row: UnreadableRow): void {
    if (this.unreadable.length < MAX_UNREADABLE_NOTED) this.unreadable.push(row);
  }

  /** The unreadable rows met since the last call, for the loop to report. */
  takeUnreadable(): UnreadableRow[] {
    return this.unreadable.splice(0);
  }

  /**
   * Objects just written by this loop (bulk results, with their resourceVersion): a bulk
   * pass of thousands would otherwise read every one back from the change log. Ignored
   * once the cache is past them.
   */
  wrote(objects: readonly KubeObject[]): void {
    for (const obj of objects) {
      const revision = Number(obj.metadata.resourceVersion);
      if (Number.isSafeInteger(revision) && revision > this.revision) this.written.set(revision, obj);
    }
  }

  private async relist(store: Store): Promise<Set<string>> {
    this.written.clear();
    this.kinds.clear();
    this.owners.clear();
    this.uids.clear();
    this.resetJournal();
    let revision = Number.MAX_SAFE_INTEGER;
    for (const ref of this.refs) {
      const kind = new KindCache();
      this.kinds.set(refKey(ref), kind);
      let after: { namespace: string; name: string } | undefined;
      for (;;) {
        const page = await store.list(ref.group, ref.resource, { after, limit: LIST_PAGE_ROWS });
        revision = Math.min(revision, page.revision);
        for (const row of page.items) {
          const value = this.kept(ref, row.value);
          kind.set(row.key.namespace, row.key.name, value);
          this.index(ref, value);
        }
        for (const row of page.unreadable ?? []) this.noteUnreadable(row);
        const last = page.last ?? page.items[page.items.length - 1]?.key;
        if (!page.more || !last) break;
        after = { namespace: last.namespace, name: last.name };
      }
    }
    // The lowest list revision: replaying changes after it onto later lists is harmless
    // (each change carries the full object), and nothing between is missed.
    this.revision = Math.max(revision === Number.MAX_SAFE_INTEGER ? 0 : revision, 1);
    const changed = new Set(this.refs.map(refKey));
    await this.sync(store);
    // Everything is new to every consumer: they get "all" next, not the replayed tail.
    this.resetJournal();
    return changed;
  }

  private resetJournal(): void {
    this.journalStart += this.journal.length + 1;
    this.journal = [];
  }

  private record(change: CacheChange): void {
    // Nobody reads the journal yet (or every reader is past it): keep nothing.
    if (this.consumers.size === 0) {
      this.journalStart++;
      return;
    }
    this.journal.push(change);
    if (this.journal.length > MAX_JOURNAL_ENTRIES) this.resetJournal();
  }

  /**
   * The changes since `consumer`'s last committed pass, or "all" (its first pass, after a re-list,
   * a journal overflow, or the periodic resync). The cursor does not move: a pass that fails
   * before its actions are applied sees the same changes again.
   */
  pendingChanges(consumer: string, nowMs: number): PendingChanges {
    const upTo = this.journalStart + this.journal.length;
    let state = this.consumers.get(consumer);
    // A new consumer starts the journal for itself; until its first commit it gets "all".
    if (!state) this.consumers.set(consumer, (state = { next: -1, fullAt: -Infinity }));
    if (state.next < this.journalStart || nowMs - state.fullAt >= FEED_RESYNC_MS) return { changes: "all", upTo };
    return { changes: this.journal.slice(state.next - this.journalStart), upTo };
  }

  /** `consumer` has applied the actions for `pending`: its cursor moves past those changes. */
  commitChanges(consumer: string, pending: PendingChanges, nowMs: number): void {
    const state = this.consumers.get(consumer);
    if (!state) return;
    // After a re-list since the peek, upTo lies before the journal: the next pass gets "all".
    state.next = pending.upTo;
    if (pending.changes === "all") state.fullAt = nowMs;
    this.trimJournal();
  }

  /** Drops the entries every consumer has read. */
  private trimJournal(): void {
    let min = this.journalStart + this.journal.length;
    for (const c of this.consumers.values()) min = Math.min(min, Math.max(c.next, this.journalStart));
    if (min > this.journalStart) {
      this.journal = this.journal.slice(min - this.journalStart);
      this.journalStart = min;
    }
  }

  private index(ref: ResourceRef, obj: KubeObject): void {
    if (obj.metadata.uid) this.uids.set(obj.metadata.uid, { ref, object: obj });
    for (const owner of obj.metadata.ownerReferences ?? []) {
      let deps = this.owners.get(owner.uid);
      if (!deps) this.owners.set(owner.uid, (deps = new Map()));
      deps.set(`${refKey(ref)}/${objectKey(obj.metadata.namespace, obj.metadata.name ?? "")}`, { ref, object: obj });
    }
  }

  private unindex(ref: ResourceRef, obj: KubeObject): void {
    if (obj.metadata.uid && this.uids.get(obj.metadata.uid)?.object === obj) this.uids.delete(obj.metadata.uid);
    for (const owner of obj.metadata.ownerReferences ?? []) {
      const deps = this.owners.get(owner.uid);
      deps?.delete(`${refKey(ref)}/${objectKey(obj.metadata.namespace, obj.metadata.name ?? "")}`);
      if (deps?.size === 0) this.owners.delete(owner.uid);
    }
  }

  list(ref: ResourceRef, namespace?: string): readonly KubeObject[] {
    return this.kinds.get(refKey(ref))?.list(namespace) ?? [];
  }

  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.kinds.get(refKey(ref))?.get(namespace ?? "", name);
  }

  ownedBy(uid: string): readonly { ref: ResourceRef; object: KubeObject }[] {
    return [...(this.owners.get(uid)?.values() ?? [])];
  }

  byUid(uid: string): { ref: ResourceRef; object: KubeObject } | undefined {
    return this.uids.get(uid);
  }
}
