// A live Table (live-table.ts) on screen: kubectl's columns, Status coloured, each name a link to
// its object when the caller says where objects live.
import { rowKey, useLiveTable, type Row } from "./live-table";
import { Alert } from "./alert";

function statusClass(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (/^(Running|Succeeded|Completed|Active|Bound|Ready|True|Normal)$/.test(value)) return "ok";
  if (/^(Pending|ContainerCreating|PodInitializing|Terminating|Unknown)$/.test(value)) return "wait";
  if (/(Error|BackOff|Failed|Lost|NotReady|Evicted|OOMKilled|Warning)/.test(value)) return "bad";
  return undefined;
}

const COLOURED = new Set(["Status", "Type"]);

export function LiveTableView(props: {
  path: string;
  token: string;
  /** What an empty list says. */
  empty: string;
  label: string;
  showNamespace?: boolean;
  /** The address of a row's object; none: names are plain text. */
  linkOf?: (row: Row) => string | undefined;
}) {
  const table = useLiveTable(props.path, props.token);
  if (table.loading) return <p class="state">Loading {props.label}…</p>;
  return (
    <section aria-label={props.label}>
      <Alert message={table.error} />
      {table.rows.length === 0 && table.error ? null : table.rows.length === 0 ? (
        <p class="state">{props.empty}</p>
      ) : (
        <table>
          <thead>
            <tr>
              {props.showNamespace && <th scope="col">Namespace</th>}
              {table.columns.map((c) => (
                <th scope="col" key={c.name}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row) => {
              const meta = row.object?.metadata;
              const link = props.linkOf?.(row);
              return (
                <tr key={rowKey(row)} data-name={meta?.name}>
                  {props.showNamespace && <td>{meta?.namespace}</td>}
                  {table.columns.map((column, i) => {
                    const cell = row.cells[column.index];
                    const text = cell === null || cell === undefined ? "" : String(cell);
                    return (
                      <td key={column.name} class={COLOURED.has(column.name) ? statusClass(cell) : undefined}>
                        {i === 0 && link ? <a href={link}>{text}</a> : text}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
