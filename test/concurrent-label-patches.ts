// The concurrent-writer property shared by the workerd and the end-to-end suites: N clients each
// add their own label or annotation to one object at once, by any patch type and without a
// resourceVersion, so the server must retry its compare-and-swap until every one lands.
import fc from "fast-check";

export const PATCH_TYPES = ["merge", "strategic", "json", "apply"] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

export interface Writer {
  type: PatchType;
  field: "labels" | "annotations";
}

export const CLIENTS = 50;

export const writers: fc.Arbitrary<Writer[]> = fc.array(
  fc.record({ type: fc.constantFrom(...PATCH_TYPES), field: fc.constantFrom("labels" as const, "annotations" as const) }),
  { minLength: CLIENTS, maxLength: CLIENTS },
);

const CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
};

/** Client `i`'s key (with a prefix, so a JSON pointer must escape its `/`) and value. */
export function entryOf(i: number): [string, string] {
  return [`writer.example.com/c${i}`, `v${i}`];
}

/** Client `i`'s PATCH: its query string, content type and body. */
export function patchOf(i: number, w: Writer, object: { apiVersion: string; kind: string; name: string }): { query: string; contentType: string; body: string } {
  const [key, value] = entryOf(i);
  const meta = { [w.field]: { [key]: value } };
  switch (w.type) {
    case "json":
      return { query: "", contentType: CONTENT_TYPES.json, body: JSON.stringify([{ op: "add", path: `/metadata/${w.field}/${key.replaceAll("/", "~1")}`, value }]) };
    case "apply":
      // One field manager per client: each owns only its own key, so no apply conflicts.
      return { query: `?fieldManager=writer-${i}`, contentType: CONTENT_TYPES.apply, body: JSON.stringify({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.name, ...meta } }) };
    default:
      return { query: "", contentType: CONTENT_TYPES[w.type], body: JSON.stringify({ metadata: meta }) };
  }
}

/** The labels and annotations every writer added (`expected`) against those the object holds. */
export function expectedEntries(ws: Writer[]): { labels: Record<string, string>; annotations: Record<string, string> } {
  const out = { labels: {} as Record<string, string>, annotations: {} as Record<string, string> };
  ws.forEach((w, i) => {
    const [key, value] = entryOf(i);
    out[w.field][key] = value;
  });
  return out;
}
