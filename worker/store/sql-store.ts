// The Store over drizzle's common SQLite base type: one class serves D1 and libSQL. Every write
// inserts ONE change row and triggers apply it to `objects` (migrations/0002). Single writes
// are one atomic batch (D1 has no interactive transactions): the CAS guard, then the change
// row, so a failed precondition writes nothing. Bulk writes are one INSERT … SELECT over a
// JSON array of rows. Reads are one query.
import { and, count, eq, gt, lt, lte, sql, type SQL } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import { sqliteTable, text, type BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { KubeObject } from "../resources/types";
import { decodeOrReason, guarded, unreadableStub, ValueCodec } from "./codec";
import { changes, meta, objects, tokens } from "./schema";
import type {
  StoreSnapshot,
  BatchResult,
  BatchWrite,
  ChangeEvent,
  ChangeType,
  ListOptions,
  ListResult,
  ObjectKey,
  Store,
  StoredObject,
  StoredText,
  TokenRecord,
  UnreadableRow,
  ValueTransformer,
} from "./types";
import { StoreError, writeSingly } from "./types";

/** What both drizzle-orm/d1 and drizzle-orm/libsql databases are: the async SQLite base plus batch(). */
export type SqlDatabase = BaseSQLiteDatabase<"async", unknown> & {
  batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>>;
};

export interface SqlStoreOptions {
  /** Encrypts values at rest for the resources it applies to (Secrets). */
  transformer?: ValueTransformer;
}

const COMPACTED_KEY = "compacted";
/** Rows read per page when every stored Secret is sealed again. */
const REENCRYPT_PAGE_ROWS = 200;

/**
 * The current revision survives compaction: the newest change row, or (when compaction removed
 * every row) the compacted revision, which is never above the revision it was taken at.
 */
const CURRENT_REVISION = sql<number>`max(coalesce((SELECT max("revision") FROM "changes"), 0), ${meta.value})`;

/**
 * The CAS guard view (migrations/0001_cas_guard.sql), declared as a table only to build INSERTs
 * with drizzle: drizzle-orm 0.45's D1 batch cannot bind a raw `db.run(sql)` that has parameters.
 * Deliberately not in schema.ts, so drizzle-kit never generates a table for it.
 */
const casGuard = sqliteTable("cas_guard", { outcome: text("outcome").notNull() });

/**
 * A bulk statement binds one JSON array of rows. Its text stays under this many UTF-16 units
 * (at most 1.8 MB as UTF-8), below D1's 2 MB limit on one value; a row too big to share a
 * statement is written on its own.
 */
const BULK_PARAM_MAX_CHARS = 600_000;
/** Rows per bulk statement (one round trip each). */
const BULK_MAX_ROWS = 1000;

/** A bulk row's fields in its JSON array: [group, resource, namespace, name, value, expected revision]. */
const FIELD = {
  group: sql.raw(`"j"."value" ->> 0`),
  resource: sql.raw(`"j"."value" ->> 1`),
  namespace: sql.raw(`"j"."value" ->> 2`),
  name: sql.raw(`"j"."value" ->> 3`),
  value: sql.raw(`"j"."value" ->> 4`),
  expected: sql.raw(`"j"."value" ->> 5`),
};
const ROW_IS_OBJECT = sql`${objects.apiGroup} = ${FIELD.group} AND ${objects.resource} = ${FIELD.resource} AND ${objects.namespace} = ${FIELD.namespace} AND ${objects.name} = ${FIELD.name}`;

/** Consecutive bulk rows of one op, each key once: one statement. */
interface BulkGroup {
  op: BatchWrite["op"];
  /** Indexes into the batch. */
  indexes: number[];
  rows: string[];
  chars: number;
  keys: Set<string>;
}

const keyText = (k: Pick<ObjectKey, "group" | "resource" | "namespace" | "name">) => `${k.group}\0${k.resource}\0${k.namespace}\0${k.name}`;

function objectIs(key: ObjectKey): SQL {
  return sql`${objects.apiGroup} = ${key.group} AND ${objects.resource} = ${key.resource} AND ${objects.namespace} = ${key.namespace} AND ${objects.name} = ${key.name}`;
}

/**
 * The stored value's field at `path`, "" when missing, as SQL. The path is spelled as a literal,
 * never a parameter: SQLite uses an expression index (0003_pods_by_node.sql) only for the very
 * expression it was built on.
 */
function fieldValue(path: string): SQL {
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(path)) throw new Error(`not a field path: ${path}`);
  return sql.raw(`coalesce(json_extract("value", '$.${path}'), '')`);
}

export class SqlStore implements Store {
  private readonly codec: ValueCodec;

  constructor(
    private readonly db: SqlDatabase,
    options: SqlStoreOptions = {},
  ) {
    this.codec = new ValueCodec(options.transformer);
  }

  async get(key: ObjectKey): Promise<StoredObject | null> {
    const [row] = await this.db
      .select({ revision: objects.revision, value: objects.value })
      .from(objects)
      .where(objectIs(key))
      .limit(1);
    if (!row) return null;
    return { key, revision: row.revision, value: await this.codec.decode(key, row.value, row.revision) };
  }

  async list(group: string, resource: string, options: ListOptions = {}): Promise<ListResult> {
    const { rows, revision, more } = await this.listRows(group, resource, options);
    return { ...(await this.readableRows(group, resource, rows, (key, row) => this.codec.decode(key, row.value, row.revision).then((value) => ({ key, revision: row.revision, value })))), revision, more };
  }

  async listText(group: string, resource: string, options: ListOptions = {}): Promise<{ items: StoredText[]; revision: number; more: boolean; unreadable?: UnreadableRow[]; last?: ObjectKey }> {
    const { rows, revision, more } = await this.listRows(group, resource, options);
    return { ...(await this.readableRows(group, resource, rows, (key, row) => this.codec.decodeText(key, row.value, row.revision).then((text) => ({ key, revision: row.revision, text })))), revision, more };
  }

  /** A page's rows decoded, the unreadable ones left out and named (one bad row fails only itself). */
  private async readableRows<T>(
    group: string,
    resource: string,
    rows: readonly { namespace: string; name: string; revision: number; value: string }[],
    decode: (key: ObjectKey, row: { revision: number; value: string }) => Promise<T>,
  ): Promise<{ items: T[]; unreadable?: UnreadableRow[]; last?: ObjectKey }> {
    const items: T[] = [];
    const unreadable: UnreadableRow[] = [];
    const decoded = await Promise.all(
      rows.map(async (row) => {
        const key = { group, resource, namespace: row.namespace, name: row.name };
        return { key, revision: row.revision, result: await decodeOrReason(() => decode(key, row)) };
      }),
    );
    for (const { key, revision, result } of decoded) {
      if ("value" in result) items.push(result.value);
      else unreadable.push({ key, revision, reason: result.reason });
    }
    const lastRow = rows[rows.length - 1];
    const last = lastRow ? { group, resource, namespace: lastRow.namespace, name: lastRow.name } : undefined;
    return { items, ...(unreadable.length > 0 ? { unreadable } : {}), ...(last ? { last } : {}) };
  }

  private async listRows(group: string, resource: string, options: ListOptions) {
    const conditions: SQL[] = [eq(objects.apiGroup, group), eq(objects.resource, resource)];
    const { namespace, after, field } = options;
    if (namespace !== undefined) conditions.push(eq(objects.namespace, namespace));
    if (field) conditions.push(sql`${fieldValue(field.path)} = ${field.value}`);
    if (after && namespace === undefined) {
      // A row-value comparison keeps the scan on the primary key's index (SQLite ≥ 3.15).
      conditions.push(sql`(${objects.namespace}, ${objects.name}) > (${after.namespace}, ${after.name})`);
    } else if (after) {
      // Within one namespace SQLite would not seek on the row value, so say it as the index can.
      conditions.push(
        after.namespace === namespace ? sql`${objects.name} > ${after.name}` : sql`${after.namespace} < ${namespace}`,
      );
    }
    const page = this.db
      .select({ namespace: objects.namespace, name: objects.name, revision: objects.revision, value: objects.value })
      .from(objects)
      .where(and(...conditions))
      .orderBy(objects.namespace, objects.name);
    const limit = options.limit === undefined ? undefined : Math.max(0, Math.floor(options.limit));
    // One round trip, one snapshot: the page and the revision it was read at.
    const [[head], rows] = await this.db.batch([
      this.currentQuery(),
      limit === undefined ? page : page.limit(limit + 1),
    ]);
    const more = limit !== undefined && rows.length > limit;
    return { rows: more ? rows.slice(0, limit) : rows, revision: head?.current ?? 0, more };
  }

  async count(group: string, resource: string, namespace?: string): Promise<number> {
    const conditions: SQL[] = [eq(objects.apiGroup, group), eq(objects.resource, resource)];
    if (namespace !== undefined) conditions.push(eq(objects.namespace, namespace));
    const [row] = await this.db.select({ n: count() }).from(objects).where(and(...conditions));
    return row?.n ?? 0;
  }

  async create(key: ObjectKey, value: KubeObject): Promise<StoredObject> {
    const guard = sql`CASE WHEN EXISTS (SELECT 1 FROM ${objects} WHERE ${objectIs(key)}) THEN 'AlreadyExists' ELSE 'ok' END`;
    return this.write(key, value, "ADDED", guard);
  }

  async update(key: ObjectKey, value: KubeObject, expectedRevision: number): Promise<StoredObject> {
    const guard = sql`coalesce((SELECT CASE WHEN ${objects.revision} = ${expectedRevision} THEN 'ok' ELSE 'Conflict' END FROM ${objects} WHERE ${objectIs(key)}), 'NotFound')`;
    return this.write(key, value, "MODIFIED", guard);
  }

  async delete(key: ObjectKey, expectedRevision?: number): Promise<StoredObject> {
    const outcome =
      expectedRevision === undefined
        ? sql`'ok'`
        : sql`CASE WHEN ${objects.revision} = ${expectedRevision} THEN 'ok' ELSE 'Conflict' END`;
    const guard = sql`coalesce((SELECT ${outcome} FROM ${objects} WHERE ${objectIs(key)}), 'NotFound')`;
    // The DELETED change carries the object's last value, copied row to row (still encoded);
    // its trigger then deletes the objects row.
    const [, [change]] = await guarded(key, () =>
      this.db.batch([
        this.guardQuery(guard),
        this.db
          .insert(changes)
          .select(this.deletedChangesOf(objectIs(key)))
          .returning({ revision: changes.revision, value: changes.value }),
      ]),
    );
    if (!change) throw new StoreError("NotFound", key);
    // An unreadable object can still be deleted (the way out of it): its DELETED carries a stub.
    const last = await decodeOrReason(() => this.codec.decode(key, change.value, change.revision));
    return { key, revision: change.revision, value: "value" in last ? last.value : unreadableStub(key, change.revision) };
  }

  async expire(group: string, resource: string, revision: number, limit: number): Promise<StoredObject[]> {
    // One statement: the DELETED change rows copy the objects' last values (still encoded), and
    // their trigger deletes the objects rows. Objects written after `revision` are not selected.
    const deleted = await this.db
      .insert(changes)
      .select(
        this.deletedChangesOf(and(eq(objects.apiGroup, group), eq(objects.resource, resource), lte(objects.revision, revision))!)
          .orderBy(objects.revision)
          .limit(Math.max(0, Math.floor(limit))),
      )
      .returning({ revision: changes.revision, namespace: changes.namespace, name: changes.name, value: changes.value });
    deleted.sort((a, b) => a.revision - b.revision);
    return Promise.all(
      deleted.map(async (row) => {
        const key = { group, resource, namespace: row.namespace, name: row.name };
        const last = await decodeOrReason(() => this.codec.decode(key, row.value, row.revision));
        return { key, revision: row.revision, value: "value" in last ? last.value : unreadableStub(key, row.revision) };
      }),
    );
  }

  async oldestWrite(group: string, resource: string): Promise<number | undefined> {
    const [row] = await this.db
      .select({ revision: objects.revision })
      .from(objects)
      .where(and(eq(objects.apiGroup, group), eq(objects.resource, resource)))
      .orderBy(objects.revision)
      .limit(1);
    return row?.revision;
  }

  /** A DELETED change row for each object `where` selects, with its last value (still encoded). */
  private deletedChangesOf(where: SQL) {
    return this.db
      .select({
        // NULL into an INTEGER PRIMARY KEY AUTOINCREMENT takes the next revision.
        revision: sql<number>`NULL`.as("revision"),
        type: sql<ChangeType>`'DELETED'`.as("type"),
        apiGroup: objects.apiGroup,
        resource: objects.resource,
        namespace: objects.namespace,
        name: objects.name,
        value: objects.value,
      })
      .from(objects)
      .where(where);
  }

  /** create and update: the guard, then the change row (its trigger writes the objects row). */
  private async write(key: ObjectKey, value: KubeObject, type: ChangeType, guard: SQL): Promise<StoredObject> {
    const encoded = await this.codec.encode(key, value);
    const [, [change]] = await guarded(key, () =>
      this.db.batch([
        this.guardQuery(guard),
        this.db
          .insert(changes)
          .values({ type, apiGroup: key.group, resource: key.resource, namespace: key.namespace, name: key.name, value: encoded })
          .returning({ revision: changes.revision }),
      ]),
    );
    if (!change) throw new Error("store: the change row was not written");
    return { key, revision: change.revision, value: withRevision(value, change.revision) };
  }

  /**
   * Consecutive rows of one op become one INSERT INTO changes SELECT … FROM json_each(rows)
   * WHERE <each row's precondition> RETURNING: a row whose precondition fails is simply not
   * selected (nothing written, absent from RETURNING), the others commit. Round trips and
   * statements per pass stay few: 5,000 bindings are a handful of statements, not 10,000.
   */
  async batch(writes: readonly BatchWrite[]): Promise<BatchResult[]> {
    const results: BatchResult[] = new Array(writes.length);
    // A row too large to store fails alone (TooLarge), as its single write would.
    const encoded = await Promise.all(
      writes.map((w, index) =>
        this.codec.encode(w.key, w.value).catch((error: unknown) => {
          if (!(error instanceof StoreError) || error.code !== "TooLarge") throw error;
          results[index] = { ok: false, code: "TooLarge" };
          return undefined;
        }),
      ),
    );
    let group: BulkGroup | undefined;
    const flush = async () => {
      if (group) await this.bulkStatement(group, writes, results);
      group = undefined;
    };
    for (const [index, w] of writes.entries()) {
      if (encoded[index] === undefined) continue;
      const { group: g, resource, namespace, name } = w.key;
      const row = JSON.stringify(w.op === "update" ? [g, resource, namespace, name, encoded[index], w.expectedRevision] : [g, resource, namespace, name, encoded[index]]);
      const key = keyText(w.key);
      if (group && (group.op !== w.op || group.keys.has(key) || group.rows.length >= BULK_MAX_ROWS || group.chars + row.length + 1 > BULK_PARAM_MAX_CHARS)) await flush();
      if (row.length + 2 > BULK_PARAM_MAX_CHARS) {
        // too big to share a statement: the single write
        results[index] = await writeSingly(this, w);
        continue;
      }
      group ??= { op: w.op, indexes: [], rows: [], chars: 2, keys: new Set() };
      group.indexes.push(index);
      group.rows.push(row);
      group.chars += row.length + 1;
      group.keys.add(key);
    }
    await flush();
    return results;
  }

  private async bulkStatement(group: BulkGroup, writes: readonly BatchWrite[], results: BatchResult[]): Promise<void> {
    const rows = sql`json_each(${`[${group.rows.join(",")}]`}) AS "j"`;
    const source =
      group.op === "create"
        ? sql`SELECT NULL, 'ADDED', ${FIELD.group}, ${FIELD.resource}, ${FIELD.namespace}, ${FIELD.name}, ${FIELD.value} FROM ${rows} WHERE NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${ROW_IS_OBJECT}) ORDER BY "j"."key"`
        : sql`SELECT NULL, 'MODIFIED', ${objects.apiGroup}, ${objects.resource}, ${objects.namespace}, ${objects.name}, ${FIELD.value} FROM ${rows} JOIN ${objects} ON ${ROW_IS_OBJECT} AND ${objects.revision} = ${FIELD.expected} ORDER BY "j"."key"`;
    const written = await this.db
      .insert(changes)
      .select(source)
      .returning({ revision: changes.revision, group: changes.apiGroup, resource: changes.resource, namespace: changes.namespace, name: changes.name });
    const revisions = new Map(written.map((r) => [keyText(r), r.revision]));
    for (const index of group.indexes) {
      const w = writes[index]!;
      const revision = revisions.get(keyText(w.key));
      if (revision !== undefined) results[index] = { ok: true, stored: { key: w.key, revision, value: withRevision(w.value, revision) } };
      else if (w.op === "create") results[index] = { ok: false, code: "AlreadyExists" };
      else results[index] = { ok: false, code: (await this.get(w.key)) ? "Conflict" : "NotFound" };
    }
  }

  async currentRevision(): Promise<number> {
    const [row] = await this.currentQuery();
    return row?.current ?? 0;
  }

  async changesSince(after: number, limit: number, known?: ReadonlyMap<number, KubeObject>): Promise<ChangeEvent[]> {
    // The known revisions go as ONE JSON parameter (D1 binds at most 100 per statement).
    const skip = known ? [...known.keys()].filter((r) => r > after) : [];
    const value = skip.length > 0 ? sql<string | null>`CASE WHEN ${changes.revision} IN (SELECT value FROM json_each(${JSON.stringify(skip)})) THEN NULL ELSE ${changes.value} END` : changes.value;
    const [[head], rows] = await this.db.batch([
      this.currentQuery(),
      this.db
        .select({ revision: changes.revision, type: changes.type, apiGroup: changes.apiGroup, resource: changes.resource, namespace: changes.namespace, name: changes.name, value })
        .from(changes)
        .where(sql`${changes.revision} > ${after}`)
        .orderBy(changes.revision)
        .limit(Math.max(0, Math.floor(limit))),
    ]);
    const compacted = head?.compacted ?? 0;
    if (after < compacted && after !== head?.current) {
      throw new StoreError("Compacted", undefined, `revision ${after} is older than the compacted revision ${compacted}`);
    }
    return Promise.all(
      rows.map(async (row): Promise<ChangeEvent> => {
        const key = { group: row.apiGroup, resource: row.resource, namespace: row.namespace, name: row.name };
        const given = row.value === null ? known?.get(row.revision) : undefined;
        if (row.value === null && !given) throw new Error(`store: change ${row.revision} came without its value`);
        if (given) return { revision: row.revision, type: row.type, key, value: given };
        const read = await decodeOrReason(() => this.codec.decode(key, row.value!, row.revision));
        if ("value" in read) return { revision: row.revision, type: row.type, key, value: read.value };
        return { revision: row.revision, type: row.type, key, value: unreadableStub(key, row.revision), unreadable: read.reason };
      }),
    );
  }

  async compact(revision: number): Promise<void> {
    // Never past the current revision; never backwards. Meta first: CURRENT_REVISION still sees the rows.
    await this.db.batch([
      this.db
        .update(meta)
        .set({ value: sql`max(${meta.value}, min(${revision}, ${CURRENT_REVISION}))` })
        .where(eq(meta.key, COMPACTED_KEY)),
      this.db
        .delete(changes)
        .where(sql`${changes.revision} <= (SELECT ${meta.value} FROM ${meta} WHERE ${meta.key} = ${COMPACTED_KEY})`),
    ]);
  }

  async compactedRevision(): Promise<number> {
    const [row] = await this.currentQuery();
    return row?.compacted ?? 0;
  }

  async snapshot(): Promise<StoreSnapshot> {
    // One batch, one transaction: the objects and tokens as of one revision.
    const [[head], rows, tokenRows] = await this.db.batch([
      this.currentQuery(),
      this.db.select().from(objects).orderBy(objects.revision),
      this.db.select().from(tokens).orderBy(tokens.hash),
    ]);
    return {
      revision: head?.current ?? 0,
      objects: rows.map((r) => ({ key: { group: r.apiGroup, resource: r.resource, namespace: r.namespace, name: r.name }, revision: r.revision, value: r.value })),
      tokens: tokenRows.map((r) => ({ hash: r.hash, user: r.user, kind: r.kind, scope: r.scope, expiresAt: r.expiresAt, ...(r.boundUid ? { boundUid: r.boundUid } : {}) })),
    };
  }

  async reencrypt(): Promise<{ objects: number; changes: number }> {
    const transformer = this.codec.transformer;
    if (!transformer) return { objects: 0, changes: 0 };
    const kinds = (await this.db.selectDistinct({ group: objects.apiGroup, resource: objects.resource }).from(objects)).filter((k) => transformer.appliesTo(k));
    let objectRows = 0;
    let changeRows = 0;
    for (const { group, resource } of kinds) {
      let after: { namespace: string; name: string } | undefined;
      for (;;) {
        const page = await this.listRows(group, resource, { after, limit: REENCRYPT_PAGE_ROWS });
        for (const row of page.rows) {
          const key = { group, resource, namespace: row.namespace, name: row.name };
          const sealed = await this.resealedOrSkipped(key, row.value);
          if (sealed === undefined) continue;
          // Same revision: nothing changed but the seal. A row written meanwhile was sealed anew.
          const updated = await this.db
            .update(objects)
            .set({ value: sealed })
            .where(and(objectIs(key), eq(objects.revision, row.revision)))
            .returning({ revision: objects.revision });
          objectRows += updated.length;
        }
        const last = page.rows[page.rows.length - 1];
        if (!page.more || !last) break;
        after = { namespace: last.namespace, name: last.name };
      }
      // The retained change log, a page at a time (compaction keeps it to minutes of writes).
      for (let from = 0; ; ) {
        const logged = await this.db
          .select({ revision: changes.revision, namespace: changes.namespace, name: changes.name, value: changes.value })
          .from(changes)
          .where(and(gt(changes.revision, from), eq(changes.apiGroup, group), eq(changes.resource, resource)))
          .orderBy(changes.revision)
          .limit(REENCRYPT_PAGE_ROWS);
        for (const row of logged) {
          const sealed = await this.resealedOrSkipped({ group, resource, namespace: row.namespace, name: row.name }, row.value);
          if (sealed === undefined) continue;
          await this.db.update(changes).set({ value: sealed }).where(eq(changes.revision, row.revision));
          changeRows++;
        }
        const last = logged[logged.length - 1];
        if (!last || logged.length < REENCRYPT_PAGE_ROWS) break;
        from = last.revision;
      }
    }
    return { objects: objectRows, changes: changeRows };
  }

  /** A row no configured key opens stays as it is (it fails only itself): the others are resealed. */
  private async resealedOrSkipped(key: ObjectKey, stored: string): Promise<string | undefined> {
    try {
      return await this.codec.resealed(key, stored);
    } catch (error) {
      console.error(`reencrypt: ${key.resource} ${key.namespace}/${key.name} left as it is: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.db.select().from(tokens).orderBy(tokens.user, tokens.hash);
    return rows.map((r) => ({ hash: r.hash, user: r.user, kind: r.kind, scope: r.scope, expiresAt: r.expiresAt, ...(r.boundUid ? { boundUid: r.boundUid } : {}) }));
  }

  async putToken(token: TokenRecord): Promise<void> {
    const row = { user: token.user, kind: token.kind, scope: token.scope, expiresAt: token.expiresAt, boundUid: token.boundUid ?? null };
    await this.db
      .insert(tokens)
      .values({ hash: token.hash, ...row })
      .onConflictDoUpdate({ target: tokens.hash, set: row });
  }

  async getToken(hash: string): Promise<TokenRecord | null> {
    const [row] = await this.db.select().from(tokens).where(eq(tokens.hash, hash)).limit(1);
    if (!row) return null;
    return { hash: row.hash, user: row.user, kind: row.kind, scope: row.scope, expiresAt: row.expiresAt, ...(row.boundUid ? { boundUid: row.boundUid } : {}) };
  }

  async purgeExpiredTokens(now: number): Promise<number> {
    const gone = await this.db.delete(tokens).where(lt(tokens.expiresAt, now)).returning({ hash: tokens.hash });
    return gone.length;
  }

  async deleteToken(hash: string): Promise<void> {
    await this.db.delete(tokens).where(eq(tokens.hash, hash));
  }

  /** The batch's first statement: aborts it unless `outcome` evaluates to 'ok'. */
  private guardQuery(outcome: SQL) {
    return this.db.insert(casGuard).values({ outcome });
  }

  /** One row: the current and the compacted revision (the meta row always exists, see migrations). */
  private currentQuery() {
    return this.db
      .select({ current: CURRENT_REVISION, compacted: meta.value })
      .from(meta)
      .where(eq(meta.key, COMPACTED_KEY));
  }
}

function withRevision(value: KubeObject, revision: number): KubeObject {
  return { ...value, metadata: { ...value.metadata, resourceVersion: String(revision) } };
}
