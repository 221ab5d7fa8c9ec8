// The console's live list keeps rows in kubectl's order (namespace, then name) by binary insertion
// as watch events arrive: checked against a plain sort after a random run of adds, changes and deletes.
import { describe, expect, it } from "vitest";
import { OrderedRows, type Row } from "../../web/src/live-table";

const row = (namespace: string, name: string, uid: string, status = "Pending"): Row => ({ cells: [name, status], object: { metadata: { namespace, name, uid } } });

describe("OrderedRows", () => {
  it("keeps namespace/name order through adds, changes and deletes", () => {
    const rows = new OrderedRows();
    const live = new Map<string, Row>();
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let step = 0; step < 3_000; step++) {
      const uid = `u${random(400)}`;
      const known = live.get(uid);
      if (known && random(3) === 0) {
        rows.delete(known);
        live.delete(uid);
      } else {
        // A changed row keeps its name (a name never changes while its object lives).
        const next = known ? row(known.object!.metadata!.namespace!, known.object!.metadata!.name!, uid, `s${step}`) : row(`ns${random(5)}`, `pod-${random(1000)}`, uid);
        rows.set(next);
        live.set(uid, next);
      }
    }
    const expected = [...live.values()].sort((a, b) => {
      const [x, y] = [a.object!.metadata!, b.object!.metadata!];
      return x.namespace! < y.namespace! ? -1 : x.namespace! > y.namespace! ? 1 : x.name! < y.name! ? -1 : x.name! > y.name! ? 1 : x.uid! < y.uid! ? -1 : 1;
    });
    expect(rows.rows()).toEqual(expected);
  });

  it("ignores the delete of a row it does not hold", () => {
    const rows = new OrderedRows();
    rows.set(row("a", "x", "1"));
    rows.delete(row("a", "y", "2"));
    expect(rows.rows().map((r) => r.object!.metadata!.name)).toEqual(["x"]);
  });
});
