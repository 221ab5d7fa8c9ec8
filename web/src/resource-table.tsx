// A live Table (live-table.ts) on screen: kubectl's columns, Status coloured, each name a link to
// its object when the caller says where objects live. Long lists are virtualised: only the rows
// in view (and a margin) are in the document, so 10,000 pods cost what 60 do. Ages tick.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { humanDuration } from "../../shared/human-duration";
import { rowKey, useLiveTable, type Column, type Row } from "./live-table";
import { Alert } from "./alert";

function statusClass(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (/^(Running|Succeeded|Completed|Active|Bound|Ready|True|Normal)$/.test(value)) return "ok";
  if (/^(Pending|ContainerCreating|PodInitializing|Terminating|Unknown)$/.test(value)) return "wait";
  if (/(Error|BackOff|Failed|Lost|NotReady|Evicted|OOMKilled|Warning)/.test(value)) return "bad";
  return undefined;
}

const COLOURED = new Set(["Status", "Type"]);

/** Below this many rows every row is rendered; above it only those near the viewport. */
const VIRTUAL_FROM = 200;
/** Rows rendered beyond each edge of the viewport, so a scroll shows rows, not blanks. */
const OVERSCAN = 20;
/** A first guess of a row's height (px), replaced by the measured one after the first render. */
const GUESSED_ROW_HEIGHT = 33;
/** The AGE column is re-derived from creationTimestamp this often, as time passes. */
const AGE_TICK_MS = 5_000;

function useNow(periodMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}

/** The window of rows [first, end) in view, following the page's scroll and size. */
function useVisibleRange(body: { current: HTMLTableSectionElement | null }, count: number, rowHeight: number): [number, number] {
  const [range, setRange] = useState<[number, number]>([0, Math.min(count, 60)]);
  useLayoutEffect(() => {
    if (count < VIRTUAL_FROM) return;
    let frame: number | undefined;
    const measure = () => {
      frame = undefined;
      const top = body.current?.getBoundingClientRect().top ?? 0;
      const first = Math.max(0, Math.floor(-top / rowHeight) - OVERSCAN);
      const end = Math.min(count, Math.ceil((innerHeight - top) / rowHeight) + OVERSCAN);
      setRange((r) => (r[0] === first && r[1] === end ? r : [first, Math.max(first, end)]));
    };
    const schedule = () => {
      frame ??= requestAnimationFrame(measure);
    };
    measure();
    addEventListener("scroll", schedule, { passive: true });
    addEventListener("resize", schedule, { passive: true });
    return () => {
      removeEventListener("scroll", schedule);
      removeEventListener("resize", schedule);
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [count, rowHeight]);
  return count < VIRTUAL_FROM ? [0, count] : range;
}

function cellText(column: Column, row: Row, now: number): string {
  const created = row.object?.metadata?.creationTimestamp;
  if (column.name === "Age" && created) return humanDuration(now - Date.parse(created));
  const cell = row.cells[column.index];
  return cell === null || cell === undefined ? "" : String(cell);
}

export function LiveTableView(props: {
  path: string;
  token: string;
  /** What an empty list says. */
  empty: string;
  label: string;
  showNamespace?: boolean;
  /** The address of a row's object; none: names are plain text. */
  linkOf?: (row: Row) => string | undefined;
  /** kubectl -o wide columns to show too, by name (keep the array constant: a new one lists again). */
  wide?: readonly string[];
}) {
  const table = useLiveTable(props.path, props.token, props.wide);
  const body = useRef<HTMLTableSectionElement>(null);
  const [rowHeight, setRowHeight] = useState(GUESSED_ROW_HEIGHT);
  const [first, end] = useVisibleRange(body, table.rows.length, rowHeight);
  const now = useNow(AGE_TICK_MS);
  useLayoutEffect(() => {
    const measured = body.current?.querySelector<HTMLElement>("tr[data-name]")?.getBoundingClientRect().height;
    if (measured && Math.abs(measured - rowHeight) > 0.5) setRowHeight(measured);
  });
  if (table.loading) return <p class="state">Loading {props.label}…</p>;
  const columnCount = table.columns.length + (props.showNamespace ? 1 : 0);
  return (
    <section aria-label={props.label}>
      <Alert message={table.error} />
      {table.rows.length === 0 && table.error ? null : table.rows.length === 0 ? (
        <p class="state">{props.empty}</p>
      ) : (
        <>
          <p class="state count">
            {table.rows.length} {props.label}
            {table.partial ? " so far, loading more…" : ""}
          </p>
          <table aria-rowcount={table.rows.length + 1}>
            <thead>
              <tr aria-rowindex={1}>
                {props.showNamespace && <th scope="col">Namespace</th>}
                {table.columns.map((c) => (
                  <th scope="col" key={c.name}>
                    {c.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody ref={body}>
              {first > 0 && <tr aria-hidden="true" class="spacer" style={{ height: `${first * rowHeight}px` }}><td colSpan={columnCount} /></tr>}
              {table.rows.slice(first, end).map((row, i) => {
                const meta = row.object?.metadata;
                const link = props.linkOf?.(row);
                return (
                  <tr key={rowKey(row)} data-name={meta?.name} aria-rowindex={first + i + 2}>
                    {props.showNamespace && <td>{meta?.namespace}</td>}
                    {table.columns.map((column, c) => {
                      const text = cellText(column, row, now);
                      return (
                        <td key={column.name} class={COLOURED.has(column.name) ? statusClass(text) : undefined}>
                          {c === 0 && link ? <a href={link}>{text}</a> : text}
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
              {end < table.rows.length && (
                <tr aria-hidden="true" class="spacer" style={{ height: `${(table.rows.length - end) * rowHeight}px` }}><td colSpan={columnCount} /></tr>
              )}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
