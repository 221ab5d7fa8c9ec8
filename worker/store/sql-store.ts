// The Store over drizzle's common SQLite base type: one class serves D1 and libSQL. Every write
// is ONE atomic batch (D1 has no interactive transactions): the CAS guard first, then the change
// row, then the objects row, so a failed precondition leaves nothing written. Reads are one query.
import { and, count, eq, is, Placeholder, sql, type SQL } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import { sqliteTable, text, type BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { KubeObject } from "../resources/types";
import { guarded, ValueCodec } from "./codec";
import { changes, meta, objects, tokens } from "./schema";
import type {
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
  ValueTransformer,
} from "./types";
import { StoreError } from "./types";

/** What both drizzle-orm/d1 and drizzle-orm/libsql databases are: the async SQLite base plus batch(). */
export type SqlDatabase = BaseSQLiteDatabase<"async", unknown> & {
  batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>>;
};

export interface SqlStoreOptions {
  /** Encrypts values at rest for the resources it applies to (Secrets). */
  transformer?: ValueTransformer;
  /** How bulk writes reach the driver: found from drizzle's client by default; null: drizzle's own batch. */
  rawBatch?: RawBatch | null;
}

const COMPACTED_KEY = "compacted";

/**
 * The current revision survives compaction: the newest change row, or (when compaction removed
 * every row) the compacted revision, which is never above the revision it was taken at.
 */
const CURRENT_REVISION = sql<number>`max(coalesce((SELECT max("revision") FROM "changes"), 0), ${meta.value})`;
/** The revision of the change row this batch just inserted (AUTOINCREMENT: always the largest). */
const LAST_CHANGE = sql`(SELECT max("revision") FROM "changes")`;

/**
 * The CAS guard view (migrations/0001_cas_guard.sql), declared as a table only to build INSERTs
 * with drizzle: drizzle-orm 0.45's D1 batch cannot bind a raw `db.run(sql)` that has parameters.
 * Deliberately not in schema.ts, so drizzle-kit never generates a table for it.
 */
const casGuard = sqliteTable("cas_guard", { outcome: text("outcome").notNull() });

/** A key's parts as values, or as placeholders when a statement is built once for many rows. */
type Part<T> = T | Placeholder;
interface KeyParts {
  group: Part<string>;
  resource: Part<string>;
  namespace: Part<string>;
  name: Part<string>;
}
interface BatchRowParts extends KeyParts {
  value: Part<string>;
  expected: Part<number>;
}
/** One bulk write as its statements take it: the key, the encoded value, the expected revision (0 for a create). */
type BatchRow = ObjectKey & { op: BatchWrite["op"]; value: string; expected: number };

/** A statement for the driver itself: SQL text and its positional parameters. */
export interface RawStatement {
  sql: string;
  params: unknown[];
}
/** Runs statements as one atomic batch and returns each one's rows (column name → value). */
export type RawBatch = (statements: RawStatement[]) => Promise<Record<string, unknown>[][]>;

/** SQL built once; bind() fills the placeholders in parameter order. */
interface StatementTemplate {
  bind(values: object): RawStatement;
}

function statementTemplate(query: { sql: string; params: unknown[] }): StatementTemplate {
  // Each parameter is a placeholder's name or a constant drizzle bound at build time.
  const slots: { name?: string; constant?: unknown }[] = query.params.map((p) => (is(p, Placeholder) ? { name: String(p.name) } : { constant: p }));
  return {
    bind: (values) => ({
      sql: query.sql,
      params: slots.map((s) => (s.name === undefined ? s.constant : (values as Record<string, unknown>)[s.name])),
    }),
  };
}

/**
 * The driver under drizzle (D1's binding or a libSQL client), for the bulk path; undefined for
 * anything else, which then takes drizzle's own batch.
 */
export function rawBatchOf(client: unknown): RawBatch | undefined {
  const c = client as {
    prepare?: (sql: string) => { bind(...params: unknown[]): unknown };
    execute?: unknown;
    batch?: (statements: unknown[]) => Promise<unknown[]>;
  } | null;
  const batch = c?.batch?.bind(c);
  if (!c || !batch) return undefined;
  if (typeof c.prepare === "function") {
    const prepare = c.prepare.bind(c);
    return async (statements) => {
      const results = (await batch(statements.map((s) => prepare(s.sql).bind(...s.params)))) as { results?: Record<string, unknown>[] }[];
      return results.map((r) => r.results ?? []);
    };
  }
  if (typeof c.execute === "function") {
    return async (statements) => {
      const results = (await batch(statements.map((s) => ({ sql: s.sql, args: s.params })))) as { rows: Record<string, unknown>[] }[];
      return results.map((r) => r.rows);
    };
  }
  return undefined;
}

/** Rows per `batch` round trip: two statements each, far under D1's per-batch limits. */
const BATCH_ROWS = 100;

function objectIs(key: KeyParts): SQL {
  return sql`${objects.apiGroup} = ${key.group} AND ${objects.resource} = ${key.resource} AND ${objects.namespace} = ${key.namespace} AND ${objects.name} = ${key.name}`;
}

export class SqlStore implements Store {
  private readonly codec: ValueCodec;
  private readonly rawBatch: RawBatch | undefined;
  private templates: Record<"create" | "update" | "upsert", StatementTemplate> | undefined;

  constructor(
    private readonly db: SqlDatabase,
    options: SqlStoreOptions = {},
  ) {
    this.codec = new ValueCodec(options.transformer);
    this.rawBatch = options.rawBatch === null ? undefined : (options.rawBatch ?? rawBatchOf((db as { $client?: unknown }).$client));
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
    const items = await Promise.all(
      rows.map(async (row): Promise<StoredObject> => {
        const key = { group, resource, namespace: row.namespace, name: row.name };
        return { key, revision: row.revision, value: await this.codec.decode(key, row.value, row.revision) };
      }),
    );
    return { items, revision, more };
  }

  async listText(group: string, resource: string, options: ListOptions = {}): Promise<{ items: StoredText[]; revision: number; more: boolean }> {
    const { rows, revision, more } = await this.listRows(group, resource, options);
    const items = await Promise.all(
      rows.map(async (row): Promise<StoredText> => {
        const key = { group, resource, namespace: row.namespace, name: row.name };
        return { key, revision: row.revision, text: await this.codec.decodeText(key, row.value, row.revision) };
      }),
    );
    return { items, revision, more };
  }

  private async listRows(group: string, resource: string, options: ListOptions) {
    const conditions: SQL[] = [eq(objects.apiGroup, group), eq(objects.resource, resource)];
    const { namespace, after } = options;
    if (namespace !== undefined) conditions.push(eq(objects.namespace, namespace));
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
    // The DELETED change carries the object's last value, copied row to row (still encoded).
    const [, [change]] = await guarded(key, () =>
      this.db.batch([
        this.guardQuery(guard),
        this.db
          .insert(changes)
          .select(
            this.db
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
              .where(objectIs(key)),
          )
          .returning({ revision: changes.revision, value: changes.value }),
        this.db.delete(objects).where(objectIs(key)),
      ]),
    );
    if (!change) throw new StoreError("NotFound", key);
    return { key, revision: change.revision, value: await this.codec.decode(key, change.value, change.revision) };
  }

  /** create and update: guard, change row, then the objects row upserted from that change row. */
  private async write(key: ObjectKey, value: KubeObject, type: ChangeType, guard: SQL): Promise<StoredObject> {
    const encoded = await this.codec.encode(key, value);
    const [, [change]] = await guarded(key, () =>
      this.db.batch([
        this.guardQuery(guard),
        this.db
          .insert(changes)
          .values({ type, apiGroup: key.group, resource: key.resource, namespace: key.namespace, name: key.name, value: encoded })
          .returning({ revision: changes.revision }),
        // Copied from the change row rather than bound again: the value crosses the wire once.
        this.upsertFromLastChange(key),
      ]),
    );
    if (!change) throw new Error("store: the change row was not written");
    const stored = { ...value, metadata: { ...value.metadata, resourceVersion: String(change.revision) } };
    return { key, revision: change.revision, value: stored };
  }

  /**
   * Each row as two statements in one atomic batch, without the aborting guard: the change row
   * is inserted only WHERE its precondition holds, and the objects row is upserted from the
   * newest change row only if that row is this key's ADDED/MODIFIED. A failed row thus writes
   * nothing (at most the same value again, when its key was already the newest change), and
   * its RETURNING is empty, which is how its failure is told apart.
   */
  async batch(writes: readonly BatchWrite[]): Promise<BatchResult[]> {
    const results: BatchResult[] = [];
    for (let i = 0; i < writes.length; i += BATCH_ROWS) results.push(...(await this.batchChunk(writes.slice(i, i + BATCH_ROWS))));
    return results;
  }

  private async batchChunk(writes: readonly BatchWrite[]): Promise<BatchResult[]> {
    if (writes.length === 0) return [];
    const rows = await Promise.all(
      writes.map(async (w): Promise<BatchRow> => ({ ...w.key, op: w.op, value: await this.codec.encode(w.key, w.value), expected: w.op === "update" ? w.expectedRevision : 0 })),
    );
    const returned = this.rawBatch ? await this.batchChunkRaw(this.rawBatch, rows) : await this.batchChunkDrizzle(rows);
    return Promise.all(
      writes.map(async (w, i): Promise<BatchResult> => {
        const revision = returned[i];
        if (revision !== undefined) {
          const value = { ...w.value, metadata: { ...w.value.metadata, resourceVersion: String(revision) } };
          return { ok: true, stored: { key: w.key, revision, value } };
        }
        if (w.op === "create") return { ok: false, code: "AlreadyExists" };
        return { ok: false, code: (await this.get(w.key)) ? "Conflict" : "NotFound" };
      }),
    );
  }

  /** Each row's new revision, or undefined where its precondition failed. */
  private async batchChunkDrizzle(rows: readonly BatchRow[]): Promise<(number | undefined)[]> {
    const statements: BatchItem<"sqlite">[] = rows.flatMap((row) => [this.batchChange(row.op, row), this.upsertFromLastChange(row)]);
    const [first, ...rest] = statements;
    const responses = (await this.db.batch([first!, ...rest])) as { revision: number }[][];
    return rows.map((_, i) => responses[2 * i]?.[0]?.revision);
  }

  /**
   * The same statements, their SQL built by drizzle once with placeholders and bound per row:
   * building two statements per row was most of a bulk write's CPU (~0.25 ms a row).
   */
  private async batchChunkRaw(raw: RawBatch, rows: readonly BatchRow[]): Promise<(number | undefined)[]> {
    const templates = (this.templates ??= this.buildTemplates());
    const responses = await raw(rows.flatMap((row) => [templates[row.op].bind(row), templates.upsert.bind(row)]));
    return rows.map((_, i) => {
      const revision = responses[2 * i]?.[0]?.revision;
      return revision === undefined || revision === null ? undefined : Number(revision);
    });
  }

  private buildTemplates(): Record<"create" | "update" | "upsert", StatementTemplate> {
    const ph = {
      group: sql.placeholder("group"),
      resource: sql.placeholder("resource"),
      namespace: sql.placeholder("namespace"),
      name: sql.placeholder("name"),
      value: sql.placeholder("value"),
      expected: sql.placeholder("expected"),
    };
    return {
      create: statementTemplate(this.batchChange("create", ph).toSQL()),
      update: statementTemplate(this.batchChange("update", ph).toSQL()),
      upsert: statementTemplate(this.upsertFromLastChange(ph).toSQL()),
    };
  }

  /** INSERT INTO changes SELECT … WHERE <precondition> RETURNING revision. */
  private batchChange(op: BatchWrite["op"], v: BatchRowParts) {
    const row = {
      revision: sql<number>`NULL`.as("revision"),
      type: sql<ChangeType>`${op === "create" ? "ADDED" : "MODIFIED"}`.as("type"),
      apiGroup: sql<string>`${v.group}`.as("api_group"),
      resource: sql<string>`${v.resource}`.as("resource"),
      namespace: sql<string>`${v.namespace}`.as("namespace"),
      name: sql<string>`${v.name}`.as("name"),
      value: sql<string>`${v.value}`.as("value"),
    };
    const source =
      op === "create"
        ? this.db
            .select(row)
            .from(meta)
            .where(and(eq(meta.key, COMPACTED_KEY), sql`NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objectIs(v)})`))
        : this.db
            .select(row)
            .from(objects)
            .where(sql`${objectIs(v)} AND ${objects.revision} = ${v.expected}`);
    return this.db.insert(changes).select(source).returning({ revision: changes.revision });
  }

  private upsertFromLastChange(key: KeyParts) {
    return this.db
      .insert(objects)
      .select(
        this.db
          .select({
            apiGroup: changes.apiGroup,
            resource: changes.resource,
            namespace: changes.namespace,
            name: changes.name,
            revision: changes.revision,
            value: changes.value,
          })
          .from(changes)
          .where(
            sql`${changes.revision} = ${LAST_CHANGE} AND ${changes.type} <> 'DELETED' AND ${changes.apiGroup} = ${key.group} AND ${changes.resource} = ${key.resource} AND ${changes.namespace} = ${key.namespace} AND ${changes.name} = ${key.name}`,
          ),
      )
      .onConflictDoUpdate({
        target: [objects.apiGroup, objects.resource, objects.namespace, objects.name],
        set: { revision: sql`excluded."revision"`, value: sql`excluded."value"` },
      });
  }

  async currentRevision(): Promise<number> {
    const [row] = await this.currentQuery();
    return row?.current ?? 0;
  }

  async changesSince(after: number, limit: number): Promise<ChangeEvent[]> {
    const [[head], rows] = await this.db.batch([
      this.currentQuery(),
      this.db
        .select()
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
        return { revision: row.revision, type: row.type, key, value: await this.codec.decode(key, row.value, row.revision) };
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

  async putToken(token: TokenRecord): Promise<void> {
    const row = { user: token.user, kind: token.kind, scope: token.scope, expiresAt: token.expiresAt };
    await this.db
      .insert(tokens)
      .values({ hash: token.hash, ...row })
      .onConflictDoUpdate({ target: tokens.hash, set: row });
  }

  async getToken(hash: string): Promise<TokenRecord | null> {
    const [row] = await this.db.select().from(tokens).where(eq(tokens.hash, hash)).limit(1);
    return row ? { hash: row.hash, user: row.user, kind: row.kind, scope: row.scope, expiresAt: row.expiresAt } : null;
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
