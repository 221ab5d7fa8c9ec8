// The store contract (kine's shape on plain SQL): objects keyed by
// (group, resource, namespace, name), a global revision that is every object's
// resourceVersion, compare-and-swap writes, and a change log that watches read.
import type { KubeObject } from "../resources/types";

export interface ObjectKey {
  group: string;
  /** Lower-case plural: `pods`. */
  resource: string;
  /** "" for cluster-scoped kinds. */
  namespace: string;
  name: string;
}

export interface StoredObject {
  key: ObjectKey;
  /** The revision of the last write; also `value.metadata.resourceVersion`. */
  revision: number;
  value: KubeObject;
}

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface ChangeEvent {
  revision: number;
  type: ChangeType;
  key: ObjectKey;
  /** The object as of this revision (for DELETED: its last state, resourceVersion = this revision). */
  value: KubeObject;
  /**
   * Set when the stored value could not be read (a Secret sealed with a key no longer configured,
   * a damaged row): `value` is then a stub holding only the name, namespace and resourceVersion.
   * Readers skip the change and go on; the controller loop reports it with an Event.
   */
  unreadable?: string;
}

/** A row a list left out because its value could not be read (see ChangeEvent.unreadable). */
export interface UnreadableRow {
  key: ObjectKey;
  revision: number;
  reason: string;
}

export interface ListOptions {
  /** Only this namespace; undefined = all namespaces (or a cluster-scoped kind). */
  namespace?: string;
  /** Resume strictly after this (namespace, name): the continue token's position. */
  after?: { namespace: string; name: string };
  /** At most this many rows. */
  limit?: number;
  /**
   * Only objects whose field at this dotted path (letters, digits, `_`, `.`) equals `value`; a
   * missing field equals "". Pods' spec.nodeName has an index (kube-apiserver indexes it too), so
   * a node's pods are found without reading the others.
   */
  field?: { path: string; value: string };
}

export interface ListResult {
  items: StoredObject[];
  /** The store's current revision when the page was read: the list's resourceVersion. */
  revision: number;
  /** True when more rows follow the last one returned. */
  more: boolean;
  /** Rows of the page left out because they could not be read: one bad row fails only itself. */
  unreadable?: UnreadableRow[];
  /** The page's last row, read or not: where the next page starts (an unreadable row may end it). */
  last?: ObjectKey;
}

/** A listed object as JSON text (resourceVersion included): lists can be answered without a parse. */
export interface StoredText {
  key: ObjectKey;
  revision: number;
  text: string;
}

/** TooLarge: the stored form of the object is over MAX_OBJECT_BYTES. */
export type StoreErrorCode = "NotFound" | "AlreadyExists" | "Conflict" | "Compacted" | "TooLarge" | "Unreadable";

/**
 * The largest object the store keeps, as etcd's default request limit (1.5 MiB) bounds what
 * kube-apiserver can store; the 3 MiB request body limit is the API's, not the store's.
 */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** Typed sentinel raised by drivers; translated into a StatusError at the API boundary. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly key?: ObjectKey,
    message?: string,
  ) {
    super(message ?? code);
    this.name = "StoreError";
  }
}

/** Encrypts values at rest for some resources (Secrets). Async: WebCrypto is. */
export interface ValueTransformer {
  appliesTo(key: Pick<ObjectKey, "group" | "resource">): boolean;
  /** `key`: the object the value belongs to, bound to the ciphertext. */
  encode(plaintext: string, key: ObjectKey): Promise<string>;
  decode(stored: string, key: ObjectKey): Promise<string>;
  /** Whether a stored value is not sealed as a write would seal it now (another key, an older envelope). */
  stale(stored: string): Promise<boolean>;
}

export interface TokenRecord {
  /** SHA-256 of the bearer token, hex. */
  hash: string;
  /** The user name reported in audit and 403 messages, e.g. `system:serviceaccount:ns:name`. */
  user: string;
  kind: "admin" | "serviceaccount" | "node";
  /** Namespace a service-account token is bound to; node name for node credentials. */
  scope: string;
  /** Milliseconds since the epoch; null = no expiry. */
  expiresAt: number | null;
  /**
   * The object the token lives with: a ServiceAccount token's ServiceAccount, a node credential's
   * Node (bound once it exists). Void once no object of that uid exists.
   */
  boundUid?: string | null;
}

/** An object as stored: `value` is the stored text (Secrets still encrypted), without resourceVersion. */
export interface SnapshotRow {
  key: ObjectKey;
  revision: number;
  value: string;
}

/** Every object (least recently written first) and token record, read at one revision. */
export interface StoreSnapshot {
  revision: number;
  objects: SnapshotRow[];
  tokens: TokenRecord[];
}

/** One row of a `Store.batch`: a create, or a compare-and-swap update. */
export type BatchWrite =
  | { op: "create"; key: ObjectKey; value: KubeObject }
  | { op: "update"; key: ObjectKey; value: KubeObject; expectedRevision: number };

/** Each row's fate, in order: written, or the StoreError code `create`/`update` would have raised. */
export type BatchResult = { ok: true; stored: StoredObject } | { ok: false; code: StoreErrorCode };

export interface Store {
  get(key: ObjectKey): Promise<StoredObject | null>;
  list(group: string, resource: string, options?: ListOptions): Promise<ListResult>;
  /** `list` with each item as JSON text; optional, a driver may not offer it. */
  listText?(group: string, resource: string, options?: ListOptions): Promise<{ items: StoredText[]; revision: number; more: boolean; unreadable?: UnreadableRow[]; last?: ObjectKey }>;
  count(group: string, resource: string, namespace?: string): Promise<number>;
  /** Fails with AlreadyExists. The stored value gets its revision as resourceVersion. */
  create(key: ObjectKey, value: KubeObject): Promise<StoredObject>;
  /** Compare-and-swap: fails with Conflict unless the stored revision is `expectedRevision`, NotFound if absent. */
  update(key: ObjectKey, value: KubeObject, expectedRevision: number): Promise<StoredObject>;
  /** Deletes (optionally only at `expectedRevision`); returns the last state with the delete's revision. */
  delete(key: ObjectKey, expectedRevision?: number): Promise<StoredObject>;
  /**
   * Many creates and CAS updates in one round trip (bulk controller writes). Unlike the single
   * writes, a failed precondition fails only its own row: the others still commit. Keys should
   * be distinct; each row gets its own revision, in order. Optional: callers fall back to single writes.
   */
  batch?(writes: readonly BatchWrite[]): Promise<BatchResult[]>;
  /**
   * Deletes, least recently written first, up to `limit` objects of a kind whose last write is at
   * or before `revision` (how Events age out); returns their last states with the deletes'
   * revisions, as `delete` does. An object written again since then is newer, and stays.
   */
  expire(group: string, resource: string, revision: number, limit: number): Promise<StoredObject[]>;
  /** The revision of a kind's least recently written object; undefined when it has none. */
  oldestWrite(group: string, resource: string): Promise<number | undefined>;
  /** The whole state, consistent at one revision, values as stored (a backup: `npm run backup`). */
  snapshot(): Promise<StoreSnapshot>;
  /**
   * Seals again, in place and at the same revisions, every stored value of an encrypted kind
   * that is stale (another key, an older envelope, plaintext): the current objects and the
   * retained change log. Returns how many rows of each it rewrote.
   */
  reencrypt(): Promise<{ objects: number; changes: number }>;
  /** Every token record (hashes only), for `npm run tokens`. */
  listTokens(): Promise<TokenRecord[]>;
  currentRevision(): Promise<number>;
  /**
   * Changes with revision > `after`, oldest first, at most `limit`.
   * Fails with Compacted when `after` is older than the retained window.
   * `known`: values the caller already has, by revision (its own writes): those rows'
   * values are not read, and the given object is returned as the change's value.
   */
  changesSince(after: number, limit: number, known?: ReadonlyMap<number, KubeObject>): Promise<ChangeEvent[]>;
  /** Drops change-log rows at or below `revision`; watches from before it then get 410. */
  compact(revision: number): Promise<void>;
  /** The oldest revision a watch may still start from. */
  compactedRevision(): Promise<number>;

  putToken(token: TokenRecord): Promise<void>;
  getToken(hash: string): Promise<TokenRecord | null>;
  deleteToken(hash: string): Promise<void>;
  /** Deletes the tokens that expired before `now` (ms since the epoch); returns how many. */
  purgeExpiredTokens(now: number): Promise<number>;
}

/** One batch row as the single write it stands for, its StoreError as the row's result. */
export async function writeSingly(store: Store, w: BatchWrite): Promise<BatchResult> {
  try {
    const stored = w.op === "create" ? await store.create(w.key, w.value) : await store.update(w.key, w.value, w.expectedRevision);
    return { ok: true, stored };
  } catch (e) {
    if (!(e instanceof StoreError) || e.code === "Compacted") throw e;
    return { ok: false, code: e.code };
  }
}
