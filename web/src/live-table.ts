// A kind's rows as the server's Table output gives them (kubectl's columns, any kind, no per-kind
// code), kept live by a watch of the same output: rows appear, change and go without a reload. A
// dropped watch resumes from its resourceVersion; a 410 lists again. Nothing polls.
import { useEffect, useState } from "preact/hooks";
import { apiGet, paced, watchLines, type WatchEvent } from "./api";

export const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io, application/json";
const RETRY_MS = 1_000;

export interface Column {
  name: string;
  type: string;
  priority: number;
  /** Where its cells sit in each row (columns of a lower priority come in between). */
  index: number;
}

export interface Row {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; uid?: string } };
}

interface Table {
  columnDefinitions?: Omit<Column, "index">[];
  rows?: Row[];
  metadata?: { resourceVersion?: string };
}

export interface LiveTable {
  columns: Column[];
  rows: Row[];
  loading: boolean;
  error?: string;
}

export function rowKey(row: Row): string {
  const m = row.object?.metadata;
  return m?.uid ?? `${m?.namespace ?? ""}/${m?.name ?? String(row.cells[0])}`;
}

function sorted(rows: Map<string, Row>): Row[] {
  const key = (r: Row) => `${r.object?.metadata?.namespace ?? ""}/${r.object?.metadata?.name ?? ""}`;
  return [...rows.values()].sort((a, b) => key(a).localeCompare(key(b)));
}

/** `path` may carry a query (a fieldSelector): the console's own parameters are added to it. */
function withQuery(path: string, query: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}${query}`;
}

export function useLiveTable(path: string | undefined, token: string): LiveTable {
  const [state, setState] = useState<LiveTable>({ columns: [], rows: [], loading: true });
  useEffect(() => {
    if (!path) return;
    const abort = new AbortController();
    const rows = new Map<string, Row>();
    let columns: Column[] = [];
    let resourceVersion = "";
    setState({ columns: [], rows: [], loading: true });
    // A successful list or event clears an earlier error: the watch has resumed.
    const publish = () => setState({ columns, rows: sorted(rows), loading: false });
    const list = async () => {
      const table = await apiGet<Table>(withQuery(path, "includeObject=Metadata"), token, TABLE_ACCEPT, abort.signal);
      // kubectl's default columns: priority 0. Others (kubectl -o wide) sit among them in each row.
      columns = (table.columnDefinitions ?? []).map((c, index) => ({ ...c, index })).filter((c) => c.priority === 0);
      rows.clear();
      for (const row of table.rows ?? []) rows.set(rowKey(row), row);
      resourceVersion = table.metadata?.resourceVersion ?? "";
      publish();
    };
    const apply = (event: WatchEvent) => {
      const table = event.object as Table & { metadata?: { resourceVersion?: string } };
      if (event.type === "BOOKMARK") {
        resourceVersion = table.metadata?.resourceVersion ?? resourceVersion;
        return;
      }
      if (event.type === "ERROR") return;
      for (const row of table.rows ?? []) {
        if (event.type === "DELETED") rows.delete(rowKey(row));
        else rows.set(rowKey(row), row);
      }
      resourceVersion = table.metadata?.resourceVersion ?? resourceVersion;
      publish();
    };
    const run = async () => {
      let listed = false;
      while (!abort.signal.aborted) {
        try {
          if (!listed) {
            await list();
            listed = true;
          }
          const query = `watch=1&allowWatchBookmarks=true&includeObject=Metadata&resourceVersion=${encodeURIComponent(resourceVersion)}`;
          const clearError = () => setState((s) => (s.error === undefined ? s : { ...s, error: undefined }));
          const startedAt = Date.now();
          if ((await watchLines(withQuery(path, query), token, TABLE_ACCEPT, apply, abort.signal, clearError)) === "gone") listed = false;
          await paced(startedAt);
        } catch (error) {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, loading: false, error: error instanceof Error ? error.message : String(error) }));
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    };
    void run();
    return () => abort.abort();
  }, [path, token]);
  return state;
}
