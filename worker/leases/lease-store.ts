// The store the generic verbs see for node Leases: reads merge the NodeLeases view over the
// SQL rows, and writes translate the merged resourceVersion back to the row's revision under
// a hold in NodeLeases, so a renewal and a SQL write of one lease never both win.
import type { KubeObject } from "../resources/types";
import { StoreError, type ListOptions, type ListResult, type ObjectKey, type Store, type StoredObject } from "../store/types";
import { isNodeLeaseKey, mergeLease, renewTimeOf } from "./lease-merge";
import type { LeaseOutcome, LeaseView } from "./lease-table";

/** What the verbs need from NodeLeases (the Durable Object's RPC methods; a LeaseTable in tests). */
export interface LeaseAuthority {
  view(name: string): Promise<LeaseView | undefined>;
  views(): Promise<Record<string, LeaseView>>;
  renew(name: string, expected: number | undefined, sqlRevision: number, renewTime: string): Promise<LeaseOutcome>;
  beginWrite(name: string, expected: number, sqlRevision: number): Promise<LeaseOutcome>;
  written(name: string, sqlRevision: number, renewTime: string | undefined): Promise<number>;
  abortWrite(name: string): Promise<void>;
  forget(name: string): Promise<void>;
}

/** Only `get`, `list` and the writes differ from the SQL store; `listText` is left out so lists merge. */
export function nodeLeaseStore(base: Store, leases: LeaseAuthority): Store {
  const get = async (key: ObjectKey): Promise<StoredObject | null> => {
    const row = await base.get(key);
    if (!row || !isNodeLeaseKey(key)) return row;
    return mergeLease(row, await leases.view(key.name));
  };

  /** Checks `expected` (a merged resourceVersion) and holds renewals off while SQL is written. */
  const hold = async (key: ObjectKey, expected: number | undefined): Promise<StoredObject> => {
    const row = await base.get(key);
    if (!row) throw new StoreError("NotFound", key);
    const current = mergeLease(row, await leases.view(key.name)).revision;
    const outcome = await leases.beginWrite(key.name, expected ?? current, row.revision);
    if (!outcome.ok) throw new StoreError("Conflict", key);
    return row;
  };

  return {
    get,
    async list(group: string, resource: string, options?: ListOptions): Promise<ListResult> {
      const page = await base.list(group, resource, options);
      if (!page.items.some((i) => isNodeLeaseKey(i.key))) return page;
      const views = await leases.views();
      return { ...page, items: page.items.map((i) => (isNodeLeaseKey(i.key) ? mergeLease(i, views[i.key.name]) : i)) };
    },
    count: (group, resource, namespace) => base.count(group, resource, namespace),
    async create(key: ObjectKey, value: KubeObject): Promise<StoredObject> {
      const created = await base.create(key, value);
      if (isNodeLeaseKey(key)) await leases.written(key.name, created.revision, renewTimeOf(created.value));
      return created;
    },
    async update(key: ObjectKey, value: KubeObject, expectedRevision: number): Promise<StoredObject> {
      if (!isNodeLeaseKey(key)) return base.update(key, value, expectedRevision);
      const row = await hold(key, expectedRevision);
      let updated: StoredObject;
      try {
        updated = await base.update(key, value, row.revision);
      } catch (e) {
        await leases.abortWrite(key.name);
        throw e;
      }
      // The returned revision is the SQL one (the watch hub publishes it); should NodeLeases
      // pick another to keep resourceVersions unique, a client holding this one gets a 409 and re-reads.
      await leases.written(key.name, updated.revision, renewTimeOf(updated.value));
      return updated;
    },
    async delete(key: ObjectKey, expectedRevision?: number): Promise<StoredObject> {
      if (!isNodeLeaseKey(key)) return base.delete(key, expectedRevision);
      const row = await hold(key, expectedRevision);
      try {
        const deleted = await base.delete(key, row.revision);
        await leases.forget(key.name);
        return deleted;
      } catch (e) {
        await leases.abortWrite(key.name);
        throw e;
      }
    },
    // Only Events are expired, never Leases, so nothing here needs NodeLeases' hold.
    expire: (group, resource, revision, limit) => base.expire(group, resource, revision, limit),
    oldestWrite: (group, resource) => base.oldestWrite(group, resource),
    // Stored rows as they are: a restored cluster's Leases are renewed again by their nodes.
    snapshot: () => base.snapshot(),
    reencrypt: () => base.reencrypt(),
    listTokens: () => base.listTokens(),
    currentRevision: () => base.currentRevision(),
    changesSince: (after, limit, known) => base.changesSince(after, limit, known),
    compact: (revision) => base.compact(revision),
    compactedRevision: () => base.compactedRevision(),
    putToken: (token) => base.putToken(token),
    getToken: (hash) => base.getToken(hash),
    deleteToken: (hash) => base.deleteToken(hash),
    purgeExpiredTokens: (now) => base.purgeExpiredTokens(now),
  };
}
