// A kind's rows as the server's Table output gives them (kubectl's columns, any kind, no per-kind
// code), kept live by a watch of the same output: rows appear, change and go without a reload. A
// dropped watch resumes from its resourceVersion; a 410 lists again. Nothing polls.
import { useEffect, useState } from "preact/hooks";
import { listThenWatch, withQuery } from "./api";

export const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io, application/json";

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

export function useLiveTable(path: string | undefined, token: string): LiveTable {
  const [state, setState] = useState<LiveTable>({ columns: [], rows: [], loading: true });
  useEffect(() => {
    if (!path) return;
    const abort = new AbortController();
    const rows = new Map<string, Row>();
    let columns: Column[] = [];
    setState({ columns: [], rows: [], loading: true });
    // A successful list or event clears an earlier error: the watch has resumed.
    const publish = () => setState({ columns, rows: sorted(rows), loading: false });
    void listThenWatch<Table>({
      path: withQuery(path, "includeObject=Metadata"),
      token,
      accept: TABLE_ACCEPT,
      signal: abort.signal,
      listed: (table) => {
        // kubectl's default columns: priority 0. Others (kubectl -o wide) sit among them in each row.
        columns = (table.columnDefinitions ?? []).map((c, index) => ({ ...c, index })).filter((c) => c.priority === 0);
        rows.clear();
        for (const row of table.rows ?? []) rows.set(rowKey(row), row);
        publish();
      },
      changed: (event) => {
        for (const row of (event.object as Table).rows ?? []) {
          if (event.type === "DELETED") rows.delete(rowKey(row));
          else rows.set(rowKey(row), row);
        }
        publish();
      },
      failed: (error) => setState((s) => (s.error === error ? s : { ...s, loading: false, error })),
    });
    return () => abort.abort();
  }, [path, token]);
  return state;
}
