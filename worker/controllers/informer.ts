// The controller loop's cache of the cluster (client-go's informer, in small): filled by one
// paged list per kind, then kept current from the change log, and read as a Snapshot.
import type { KubeObject } from "../resources/types";
import { StoreError, type ChangeEvent, type Store } from "../store/types";
import type { ResourceRef, Snapshot } from "./types";

/** Change-log rows read per round trip while catching up. */
const CHANGE_PAGE_ROWS = 1_000;
const LIST_PAGE_ROWS = 1_000;

function refKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.resource}`;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

export class Informer implements Snapshot {
  private readonly kinds = new Map<string, Map<string, KubeObject>>();
  private readonly owners = new Map<string, Map<string, { ref: ResourceRef; object: KubeObject }>>();
  private readonly refs: ResourceRef[];
  /** Sorted views, rebuilt lazily after a kind changes (controllers list far more often than it changes). */
  private readonly sorted = new Map<string, KubeObject[]>();
  /** Highest revision folded into the cache; 0 before the first sync. */
  revision = 0;

  constructor(refs: readonly ResourceRef[]) {
    const seen = new Set<string>();
    this.refs = refs.filter((r) => !seen.has(refKey(r)) && seen.add(refKey(r)));
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
        events = await store.changesSince(this.revision, CHANGE_PAGE_ROWS);
      } catch (e) {
        if (e instanceof StoreError && e.code === "Compacted") return this.relist(store);
        throw e;
      }
      for (const event of events) {
        this.revision = Math.max(this.revision, event.revision);
        const ref = { group: event.key.group, resource: event.key.resource };
        const kind = this.kinds.get(refKey(ref));
        if (!kind) continue;
        changed.add(refKey(ref));
        this.sorted.delete(refKey(ref));
        const key = objectKey(event.key.namespace || undefined, event.key.name);
        const previous = kind.get(key);
        if (previous) this.unindex(ref, previous);
        if (event.type === "DELETED") {
          kind.delete(key);
        } else {
          kind.set(key, event.value);
          this.index(ref, event.value);
        }
      }
      if (events.length < CHANGE_PAGE_ROWS) return changed;
    }
  }

  private async relist(store: Store): Promise<Set<string>> {
    this.kinds.clear();
    this.owners.clear();
    this.sorted.clear();
    let revision = Number.MAX_SAFE_INTEGER;
    for (const ref of this.refs) {
      const kind = new Map<string, KubeObject>();
      this.kinds.set(refKey(ref), kind);
      let after: { namespace: string; name: string } | undefined;
      for (;;) {
        const page = await store.list(ref.group, ref.resource, { after, limit: LIST_PAGE_ROWS });
        revision = Math.min(revision, page.revision);
        for (const row of page.items) {
          kind.set(objectKey(row.key.namespace || undefined, row.key.name), row.value);
          this.index(ref, row.value);
        }
        const last = page.items[page.items.length - 1];
        if (!page.more || !last) break;
        after = { namespace: last.key.namespace, name: last.key.name };
      }
    }
    // The lowest list revision: replaying changes after it onto later lists is harmless
    // (each change carries the full object), and nothing between is missed.
    this.revision = Math.max(revision === Number.MAX_SAFE_INTEGER ? 0 : revision, 1);
    const changed = new Set(this.refs.map(refKey));
    await this.sync(store);
    return changed;
  }

  private index(ref: ResourceRef, obj: KubeObject): void {
    for (const owner of obj.metadata.ownerReferences ?? []) {
      let deps = this.owners.get(owner.uid);
      if (!deps) this.owners.set(owner.uid, (deps = new Map()));
      deps.set(`${refKey(ref)}/${objectKey(obj.metadata.namespace, obj.metadata.name ?? "")}`, { ref, object: obj });
    }
  }

  private unindex(ref: ResourceRef, obj: KubeObject): void {
    for (const owner of obj.metadata.ownerReferences ?? []) {
      const deps = this.owners.get(owner.uid);
      deps?.delete(`${refKey(ref)}/${objectKey(obj.metadata.namespace, obj.metadata.name ?? "")}`);
      if (deps?.size === 0) this.owners.delete(owner.uid);
    }
  }

  list(ref: ResourceRef, namespace?: string): readonly KubeObject[] {
    const key = refKey(ref);
    let all = this.sorted.get(key);
    if (!all) {
      const kind = this.kinds.get(key);
      if (!kind) return [];
      all = [...kind.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
      this.sorted.set(key, all);
    }
    return namespace === undefined ? all : all.filter((o) => (o.metadata.namespace ?? "") === namespace);
  }

  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.kinds.get(refKey(ref))?.get(objectKey(namespace, name));
  }

  ownedBy(uid: string): readonly { ref: ResourceRef; object: KubeObject }[] {
    return [...(this.owners.get(uid)?.values() ?? [])];
  }
}
