// An in-memory Store (the worker/store/types.ts contract) for unit tests of code that
// reads the store (objects, a global revision, a change log with compaction), plus the
// small fixtures the watch tests share (pods, a recording watch sink, manual timers).
import type { WatchSink } from "../../worker/durable/watch-fanout";
import type { KubeObject } from "../../worker/resources/types";
import type { ChangeEvent, ListOptions, ListResult, ObjectKey, Store, StoredObject, StoreSnapshot, TokenRecord } from "../../worker/store/types";
import { StoreError } from "../../worker/store/types";

const id = (k: ObjectKey): string => `${k.group}|${k.resource}|${k.namespace}|${k.name}`;

function withRevision(value: KubeObject, revision: number): KubeObject {
  return { ...value, metadata: { ...value.metadata, resourceVersion: String(revision) } };
}

/** The value at a dotted path as the SQL store compares it: a string, "" when missing. */
function fieldAt(value: unknown, path: string): string {
  let at: unknown = value;
  for (const part of path.split(".")) at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[part] : undefined;
  return at === undefined || at === null ? "" : String(at);
}

export class FakeStore implements Store {
  revision = 0;
  private compacted = 0;
  readonly objects = new Map<string, StoredObject>();
  readonly log: ChangeEvent[] = [];
  private readonly tokens = new Map<string, TokenRecord>();
  /** Counts of calls, for tests that assert the hub stays off SQL. */
  readonly calls = { list: 0, changesSince: 0, currentRevision: 0 };

  async get(key: ObjectKey): Promise<StoredObject | null> {
    return this.objects.get(id(key)) ?? null;
  }

  async list(group: string, resource: string, options: ListOptions = {}): Promise<ListResult> {
    this.calls.list++;
    const rows = [...this.objects.values()]
      .filter((o) => o.key.group === group && o.key.resource === resource)
      .filter((o) => options.namespace === undefined || o.key.namespace === options.namespace)
      .filter((o) => !options.field || fieldAt(o.value, options.field.path) === options.field.value)
      .sort((a, b) => (a.key.namespace + "/" + a.key.name < b.key.namespace + "/" + b.key.name ? -1 : 1))
      .filter((o) => !options.after || o.key.namespace + "/" + o.key.name > options.after.namespace + "/" + options.after.name);
    const limit = options.limit ?? rows.length;
    return { items: rows.slice(0, limit), revision: this.revision, more: rows.length > limit };
  }

  async count(group: string, resource: string, namespace?: string): Promise<number> {
    return (await this.list(group, resource, { namespace })).items.length;
  }

  async create(key: ObjectKey, value: KubeObject): Promise<StoredObject> {
    if (this.objects.has(id(key))) throw new StoreError("AlreadyExists", key);
    return this.write("ADDED", key, value);
  }

  async update(key: ObjectKey, value: KubeObject, expectedRevision: number): Promise<StoredObject> {
    const old = this.objects.get(id(key));
    if (!old) throw new StoreError("NotFound", key);
    if (old.revision !== expectedRevision) throw new StoreError("Conflict", key);
    return this.write("MODIFIED", key, value);
  }

  async delete(key: ObjectKey, expectedRevision?: number): Promise<StoredObject> {
    const old = this.objects.get(id(key));
    if (!old) throw new StoreError("NotFound", key);
    if (expectedRevision !== undefined && old.revision !== expectedRevision) throw new StoreError("Conflict", key);
    const stored = this.write("DELETED", key, old.value);
    this.objects.delete(id(key));
    return stored;
  }

  async expire(group: string, resource: string, revision: number, limit: number): Promise<StoredObject[]> {
    const due = [...this.objects.values()]
      .filter((o) => o.key.group === group && o.key.resource === resource && o.revision <= revision)
      .sort((a, b) => a.revision - b.revision)
      .slice(0, limit);
    return Promise.all(due.map((o) => this.delete(o.key)));
  }

  async oldestWrite(group: string, resource: string): Promise<number | undefined> {
    const revisions = [...this.objects.values()].filter((o) => o.key.group === group && o.key.resource === resource).map((o) => o.revision);
    return revisions.length ? Math.min(...revisions) : undefined;
  }

  async snapshot(): Promise<StoreSnapshot> {
    const rows = [...this.objects.values()].sort((a, b) => a.revision - b.revision);
    return {
      revision: this.revision,
      objects: rows.map((o) => {
        const { resourceVersion: _rv, ...metadata } = o.value.metadata;
        return { key: o.key, revision: o.revision, value: JSON.stringify({ ...o.value, metadata }) };
      }),
      tokens: [...this.tokens.values()],
    };
  }

  async listTokens(): Promise<TokenRecord[]> {
    return [...this.tokens.values()];
  }

  /** Nothing here is encrypted. */
  async reencrypt(): Promise<{ objects: number; changes: number }> {
    return { objects: 0, changes: 0 };
  }

  /** Synchronous write helper for tests; returns the change event (what the Worker publishes). */
  put(type: ChangeEvent["type"], key: ObjectKey, value: KubeObject): ChangeEvent {
    this.write(type, key, value);
    if (type === "DELETED") this.objects.delete(id(key));
    const last = this.log[this.log.length - 1];
    if (!last) throw new Error("no change logged");
    return last;
  }

  private write(type: ChangeEvent["type"], key: ObjectKey, value: KubeObject): StoredObject {
    this.revision++;
    const stored: StoredObject = { key, revision: this.revision, value: withRevision(value, this.revision) };
    this.objects.set(id(key), stored);
    this.log.push({ revision: this.revision, type, key, value: stored.value });
    return stored;
  }

  async currentRevision(): Promise<number> {
    this.calls.currentRevision++;
    return this.revision;
  }

  /** `known` is a hint a store may ignore: this one reads every value. */
  async changesSince(after: number, limit: number): Promise<ChangeEvent[]> {
    this.calls.changesSince++;
    if (after < this.compacted) throw new StoreError("Compacted");
    return this.log.filter((e) => e.revision > after).slice(0, limit);
  }

  async compact(revision: number): Promise<void> {
    this.compacted = Math.max(this.compacted, revision);
    for (let i = this.log.length - 1; i >= 0; i--) if ((this.log[i]?.revision ?? 0) <= revision) this.log.splice(i, 1);
  }

  async compactedRevision(): Promise<number> {
    return this.compacted;
  }

  async putToken(token: TokenRecord): Promise<void> {
    this.tokens.set(token.hash, token);
  }
  async getToken(hash: string): Promise<TokenRecord | null> {
    return this.tokens.get(hash) ?? null;
  }
  async deleteToken(hash: string): Promise<void> {
    this.tokens.delete(hash);
  }
  async purgeExpiredTokens(now: number): Promise<number> {
    let gone = 0;
    for (const [hash, token] of this.tokens) if (token.expiresAt !== null && token.expiresAt < now && this.tokens.delete(hash)) gone++;
    return gone;
  }
}

export function podKey(name: string, namespace = "default"): ObjectKey {
  return { group: "", resource: "pods", namespace, name };
}

export function pod(name: string, labels: Record<string, string> = {}, namespace = "default"): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels }, spec: {} };
}

export interface WatchLine {
  type: string;
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export class RecordingSink implements WatchSink {
  readonly chunks: Uint8Array[] = [];
  closed = false;
  /** Chunks the "client" has read: the queue is what was written after them. */
  private read = 0;
  /** behind() once more than `behindAt` chunks are queued; write() refuses once `refuseAt` are. */
  constructor(
    private readonly behindAt = Number.POSITIVE_INFINITY,
    private readonly refuseAt = Number.POSITIVE_INFINITY,
  ) {}
  write(chunk: Uint8Array): boolean {
    this.chunks.push(chunk);
    return this.chunks.length - this.read < this.refuseAt;
  }
  behind(): boolean {
    return this.chunks.length - this.read > this.behindAt;
  }
  /** The client reads everything queued so far. */
  drain(): void {
    this.read = this.chunks.length;
  }
  ready(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
  }
  get events(): WatchLine[] {
    const text = new TextDecoder().decode(Buffer.concat(this.chunks));
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as WatchLine);
  }
  /** `TYPE name@rv` per event, for compact assertions. */
  get summary(): string[] {
    return this.events.map((e) =>
      e.type === "ERROR" ? `ERROR ${e.object.code}` : `${e.type} ${e.object.metadata.name ?? ""}@${e.object.metadata.resourceVersion}`,
    );
  }
}

export class ManualTimers {
  private queue: (() => void)[] = [];
  set = (fn: () => void): void => {
    this.queue.push(fn);
  };
  get armed(): number {
    return this.queue.length;
  }
  fire(): void {
    for (const fn of this.queue.splice(0)) fn();
  }
}
