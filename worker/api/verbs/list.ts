// LIST with label/field selectors and limit/continue paging. Unpaged JSON lists stream
// page by page so 10,000 objects never sit in the Worker's memory at once.
import type { KubeObject, ResourceDef } from "../../resources/types";
import { apiVersionOf } from "../../resources/meta";
import type { Store, StoredObject, UnreadableRow } from "../../store/types";
import type { ApiContext } from "../context";
import { query } from "../context";
import { presentAs, respondJson, respondObject } from "../respond";
import {
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
  requiredFieldValue,
  validateFieldSelector,
} from "../../../shared/selectors";
import { badRequest, gone } from "../../../shared/status-error";
import { parseIncludeObject, partialObjectMetadata, toTable } from "../table";
import { withWarnings } from "../body";

/** Rows read from the store per round trip while filtering or streaming. */
const STORE_PAGE_ROWS = 500;
/** The most rows one store read returns, however large the client's limit. */
const MAX_STORE_PAGE_ROWS = 5_000;

export interface ListFilter {
  namespace?: string;
  labels?: ReturnType<typeof parseLabelSelector>;
  fields?: ReturnType<typeof parseFieldSelector>;
}

export function listFilterFrom(ctx: ApiContext): ListFilter {
  const labelText = query(ctx, "labelSelector");
  const fieldText = query(ctx, "fieldSelector");
  const filter: ListFilter = { namespace: ctx.target.def.namespaced ? ctx.target.namespace : undefined };
  if (labelText) filter.labels = parseLabelSelector(labelText);
  if (fieldText) {
    filter.fields = parseFieldSelector(fieldText);
    validateFieldSelector(filter.fields, ctx.target.def);
  }
  return filter;
}

export function matchesFilter(def: ResourceDef, filter: ListFilter, obj: KubeObject): boolean {
  if (filter.labels && !matchLabels(filter.labels, obj.metadata.labels ?? {})) return false;
  if (filter.fields && !matchFields(filter.fields, obj, def)) return false;
  return true;
}

interface ContinueToken {
  rv: number;
  ns: string;
  name: string;
}

function encodeContinue(token: ContinueToken): string {
  return btoa(JSON.stringify(token)).replace(/=+$/, "");
}

function decodeContinue(text: string): ContinueToken {
  try {
    const value = JSON.parse(atob(text)) as ContinueToken;
    if (typeof value.rv === "number" && typeof value.ns === "string" && typeof value.name === "string") return value;
  } catch {
    // fall through to the error below
  }
  throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
}

/** The first of the kind's indexed fields the selector requires a value of: the store reads only those rows. */
function indexedEquality(def: ResourceDef, filter: ListFilter): { path: string; value: string } | undefined {
  if (!filter.fields) return undefined;
  for (const path of def.indexedFields ?? []) {
    const value = requiredFieldValue(filter.fields, path);
    if (value !== undefined) return { path, value };
  }
  return undefined;
}

export interface Page {
  items: KubeObject[];
  revision: number;
  continueToken?: string;
  /** One for each object left out because its row cannot be read (kubectl prints them). */
  warnings?: string[];
}

/** Reads matching objects until `limit` are found or the kind is exhausted. */
export async function readPage(
  store: Store,
  def: ResourceDef,
  filter: ListFilter,
  limit: number,
  start?: ContinueToken,
): Promise<Page> {
  const items: KubeObject[] = [];
  const unreadable: string[] = [];
  let after = start ? { namespace: start.ns, name: start.name } : undefined;
  let revision = start?.rv ?? 0;
  let last: StoredObject | undefined;
  const field = indexedEquality(def, filter);
  for (;;) {
    const want = Math.max(limit - items.length, 1);
    const page = await store.list(def.group, def.plural, {
      namespace: filter.namespace,
      field,
      after,
      limit: Math.min(filter.labels || filter.fields ? Math.max(want, STORE_PAGE_ROWS) : want, MAX_STORE_PAGE_ROWS),
    });
    if (!revision) revision = page.revision;
    for (const row of page.unreadable ?? []) unreadable.push(unreadableWarning(def, row));
    for (const row of page.items) {
      last = row;
      if (!matchesFilter(def, filter, row.value)) continue;
      items.push(row.value);
      if (items.length === limit) {
        const moreInPage = row !== page.items[page.items.length - 1];
        const token = moreInPage || page.more ? encodeContinue({ rv: revision, ns: row.key.namespace, name: row.key.name }) : undefined;
        return { items, revision, continueToken: token, ...(unreadable.length ? { warnings: unreadable } : {}) };
      }
    }
    const next = page.last ?? last?.key;
    if (!page.more || !next) return { items, revision, ...(unreadable.length ? { warnings: unreadable } : {}) };
    after = { namespace: next.namespace, name: next.name };
  }
}

/** The Warning a list carries for each object it left out because its row cannot be read. */
function unreadableWarning(def: ResourceDef, row: UnreadableRow): string {
  const what = def.group ? `${def.plural}.${def.group}` : def.plural;
  const name = row.key.namespace ? `${row.key.namespace}/${row.key.name}` : row.key.name;
  return `${what} "${name}" is left out: it cannot be read from storage (${row.reason})`;
}

interface TextPage {
  texts: string[];
  revision: number;
  continueToken?: string;
}

/** The unfiltered JSON fast path: stored JSON goes out as is, never parsed and re-encoded. */
async function readTextPage(store: Store, def: ResourceDef, namespace: string | undefined, limit: number, start?: ContinueToken): Promise<TextPage> {
  const page = await store.listText!(def.group, def.plural, {
    namespace,
    after: start ? { namespace: start.ns, name: start.name } : undefined,
    limit: Math.min(limit, MAX_STORE_PAGE_ROWS),
  });
  const revision = start?.rv ?? page.revision;
  // The page's last row, even one left out as unreadable: the next page starts after it.
  const last = page.last ?? page.items[page.items.length - 1]?.key;
  const continueToken = page.more && last ? encodeContinue({ rv: revision, ns: last.namespace, name: last.name }) : undefined;
  return { texts: page.items.map((i) => i.text), revision, continueToken };
}

function listHead(def: ResourceDef, revision: number, continueToken?: string, version = def.version): string {
  const metadata = continueToken ? `{"resourceVersion":"${revision}","continue":${JSON.stringify(continueToken)}}` : `{"resourceVersion":"${revision}"}`;
  return `{"apiVersion":${JSON.stringify(apiVersionOf(def, version))},"kind":${JSON.stringify(def.listKind)},"metadata":${metadata},"items":[`;
}

function withTypeMeta(def: ResourceDef, obj: KubeObject, version = def.version): KubeObject {
  return presentAs(def, version, { ...obj, apiVersion: apiVersionOf(def), kind: def.kind });
}

export async function listVerb(ctx: ApiContext): Promise<Response> {
  const { def } = ctx.target;
  const filter = listFilterFrom(ctx);
  const limitText = query(ctx, "limit");
  const limit = limitText ? Number(limitText) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit: Invalid value: "${limitText}": must be a non-negative integer`);
  const continueText = query(ctx, "continue");
  const start = continueText ? decodeContinue(continueText) : undefined;
  if (start && start.rv < (await ctx.store.compactedRevision())) {
    throw gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
  }

  const textPath = ctx.output.type === "json" && !filter.labels && !filter.fields && ctx.target.version === def.version && ctx.store.listText;
  if (textPath) {
    if (!limit) return streamPages(def, def.version, (start) => readTextPage(ctx.store, def, filter.namespace, STORE_PAGE_ROWS, start));
    const page = await readTextPage(ctx.store, def, filter.namespace, limit, start);
    return new Response(listHead(def, page.revision, page.continueToken) + page.texts.join(",") + "]}", {
      headers: { "content-type": "application/json" },
    });
  }
  if (!limit && ctx.output.type === "json") {
    const version = ctx.target.version;
    return streamPages(def, version, async (start) => {
      const page = await readPage(ctx.store, def, filter, STORE_PAGE_ROWS, start);
      return { ...page, texts: page.items.map((item) => JSON.stringify(withTypeMeta(def, item, version))) };
    });
  }

  const page = await readPage(ctx.store, def, filter, limit || Number.MAX_SAFE_INTEGER, start);
  const warned = (response: Response) => withWarnings(response, page.warnings ?? []);
  const metadata: Record<string, unknown> = { resourceVersion: String(page.revision) };
  if (page.continueToken) metadata.continue = page.continueToken;
  if (ctx.output.type === "table") {
    return warned(
      respondJson(
      toTable(def, page.items, {
        now: ctx.now,
        include: parseIncludeObject(query(ctx, "includeObject")),
        version: ctx.output.version,
        resourceVersion: String(page.revision),
        continueToken: page.continueToken,
      }),
      ),
    );
  }
  if (ctx.output.type === "meta") {
    return warned(respondJson({
      kind: "PartialObjectMetadataList",
      apiVersion: `meta.k8s.io/${ctx.output.version}`,
      metadata,
      items: page.items.map((o) => partialObjectMetadata(o, ctx.output.type === "meta" ? ctx.output.version : "v1")),
    }));
  }
  return warned(respondObject(ctx, {
    apiVersion: apiVersionOf(def, ctx.target.version),
    kind: def.listKind,
    metadata,
    items: page.items.map((o) => withTypeMeta(def, o, ctx.target.version)),
  }));
}

/**
 * An unpaged JSON list, written page by page as the store returns them, so 10,000 objects
 * never sit in memory at once. `next` reads one page of item JSON after `start`. The first page
 * is read before the response starts: a store error then is a Status, not a cut-off 200.
 */
async function streamPages(def: ResourceDef, version: string, next: (start?: ContinueToken) => Promise<TextPage>): Promise<Response> {
  const encoder = new TextEncoder();
  const first = await next(undefined);
  let pending: TextPage | undefined = first;
  let start: ContinueToken | undefined;
  let wroteItem = false;
  let opened = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const page = pending ?? (await next(start));
      pending = undefined;
      let chunk = opened ? "" : listHead(def, page.revision, undefined, version);
      opened = true;
      if (page.texts.length > 0) {
        chunk += (wroteItem ? "," : "") + page.texts.join(",");
        wroteItem = true;
      }
      if (page.continueToken) {
        start = decodeContinue(page.continueToken);
        controller.enqueue(encoder.encode(chunk));
      } else {
        controller.enqueue(encoder.encode(chunk + "]}"));
        controller.close();
      }
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}
