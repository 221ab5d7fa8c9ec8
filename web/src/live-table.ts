// A kind's rows as the server's Table output gives them (kubectl's columns, any kind, no per-kind
// code), kept live by a watch of the same output: rows appear, change and go without a reload. A
// dropped watch resumes from its resourceVersion; a 410 lists again. Nothing polls.
//
// Built for thousands of rows: the list comes in pages (the first rows show after one), rows are
// kept in name order by binary insertion rather than re-sorted, and changes are applied at most
// once per animation frame, so a stream of changes costs one render a frame, not one per event.
import { useEffect, useState } from "preact/hooks";
import { listThenWatch, withQuery } from "./api";

export const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io, application/json";

/** Rows per list page: a first screen's worth many times over, and a small first response. */
const PAGE_SIZE = 500;

export interface Column {
  name: string;
  type: string;
  format?: string;
  priority: number;
  /** Where its cells sit in each row (columns of a lower priority come in between). */
  index: number;
}

export interface Row {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; uid?: string; creationTimestamp?: string } };
}

interface Table {
  columnDefinitions?: Omit<Column, "index">[];
  rows?: Row[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export interface LiveTable {
  columns: Column[];
  rows: Row[];
  loading: boolean;
  /** More pages of the first list are still on their way. */
  partial: boolean;
  error?: string;
}

export function rowKey(row: Row): string {
  const m = row.object?.metadata;
  return m?.uid ?? `${m?.namespace ?? ""}/${m?.name ?? String(row.cells[0])}`;
}

/** kubectl's order: by namespace, then name. A row's key never changes while it lives. */
const orderOf = (row: Row) => `${row.object?.metadata?.namespace ?? ""}\u0000${row.object?.metadata?.name ?? String(row.cells[0])}`;

/** Rows kept in order, with their place found by binary search. */
export class OrderedRows {
  private readonly byKey = new Map<string, Row>();
  private readonly order: { at: string; key: string }[] = [];

  private place(at: string, key: string): number {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.order[mid]!;
      if (other.at < at || (other.at === at && other.key < key)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  set(row: Row): void {
    const key = rowKey(row);
    if (!this.byKey.has(key)) {
      const at = orderOf(row);
      this.order.splice(this.place(at, key), 0, { at, key });
    }
    this.byKey.set(key, row);
  }

  delete(row: Row): void {
    const key = rowKey(row);
    const known = this.byKey.get(key);
    if (!known) return;
    this.byKey.delete(key);
    const at = orderOf(known);
    const index = this.place(at, key);
    if (this.order[index]?.key === key) this.order.splice(index, 1);
  }

  rows(): Row[] {
    return this.order.map((o) => this.byKey.get(o.key)!);
  }
}

/** Calls `run` once in the next animation frame however often it is asked before then. */
function frameCoalescer(run: () => void): { request(): void; cancel(): void } {
  let frame: number | undefined;
  return {
    request() {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        run();
      });
    },
    cancel() {
      if (frame !== undefined) cancelAnimationFrame(frame);
    },
  };
}

const NO_COLUMNS: readonly string[] = [];

/** `wide`: columns of kubectl -o wide (priority above 0) shown too, by name (a pod's IP and Node). */
export function useLiveTable(path: string | undefined, token: string, wide: readonly string[] = NO_COLUMNS): LiveTable {
  const [state, setState] = useState<LiveTable>({ columns: [], rows: [], loading: true, partial: true });
  useEffect(() => {
    if (!path) return;
    const abort = new AbortController();
    let rows = new OrderedRows();
    /** A re-list's pages (after a 410), gathered aside so the table never shrinks to one page. */
    let relisting: OrderedRows | undefined;
    let shown = false;
    let columns: Column[] = [];
    let partial = true;
    setState({ columns: [], rows: [], loading: true, partial: true });
    // A successful list or event clears an earlier error: the watch has resumed.
    const render = frameCoalescer(() => setState({ columns, rows: rows.rows(), loading: false, partial }));
    void listThenWatch<Table>({
      path: withQuery(path, "includeObject=Metadata"),
      token,
      accept: TABLE_ACCEPT,
      signal: abort.signal,
      pageSize: PAGE_SIZE,
      listed: (table, page) => {
        const first = page?.first !== false;
        const last = page?.last !== false;
        if (first) {
          // kubectl's default columns: priority 0. Others (kubectl -o wide) sit among them in each row.
          columns = (table.columnDefinitions ?? []).map((c, index) => ({ ...c, index })).filter((c) => c.priority === 0 || wide.includes(c.name));
          relisting = shown ? new OrderedRows() : undefined;
        }
        for (const row of table.rows ?? []) (relisting ?? rows).set(row);
        if (relisting && last) {
          rows = relisting;
          relisting = undefined;
        }
        if (relisting) return;
        partial = !last;
        // The first page goes on screen at once; later pages join it frame by frame.
        if (first) setState({ columns, rows: rows.rows(), loading: false, partial });
        else render.request();
        shown = true;
      },
      changed: (event) => {
        for (const row of (event.object as Table).rows ?? []) {
          if (event.type === "DELETED") rows.delete(row);
          else rows.set(row);
        }
        render.request();
      },
      failed: (error) => setState((s) => (s.error === error ? s : { ...s, loading: false, error })),
    });
    return () => {
      abort.abort();
      render.cancel();
    };
  }, [path, token, wide]);
  return state;
}
