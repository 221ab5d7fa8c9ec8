// Random Kubernetes protobuf request bodies (`k8s\0` + runtime.Unknown): well-formed protobuf
// of random fields inside a real envelope, so the decoder goes past the framing into the kind's
// message, plus plain random bytes and broken framing.
import fc from "fast-check";

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const tag = (field: number, wire: number) => varint(field * 8 + wire);
const bytesField = (field: number, payload: number[]) => [...tag(field, 2), ...varint(payload.length), ...payload];
const utf8 = (s: string) => [...new TextEncoder().encode(s)];

interface PbTree {
  fields: { num: number; value: number | string | number[] | PbTree }[];
}

/** Random protobuf messages: varints, strings, raw bytes and nested messages under small field numbers. */
const message: fc.Arbitrary<PbTree> = fc.letrec<{ msg: PbTree }>((tie) => ({
  msg: fc.record({
    fields: fc.array(
      fc.record({
        num: fc.integer({ min: 1, max: 20 }),
        value: fc.oneof(
          { depthSize: "small" },
          fc.nat(),
          fc.string({ maxLength: 12 }),
          fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }),
          tie("msg"),
        ),
      }),
      { maxLength: 5 },
    ),
  }),
})).msg;

function encode(tree: PbTree): number[] {
  return tree.fields.flatMap(({ num, value }) => {
    if (typeof value === "number") return [...tag(num, 0), ...varint(value)];
    if (typeof value === "string") return bytesField(num, utf8(value));
    if (Array.isArray(value)) return bytesField(num, value);
    return bytesField(num, encode(value));
  });
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** An envelope naming `apiVersion`/`kind` (runtime.Unknown: typeMeta = 1, raw = 2, contentEncoding = 3). */
function envelope(apiVersion: string, kind: string, raw: number[], contentEncoding?: string): Uint8Array {
  const typeMeta = [...bytesField(1, utf8(apiVersion)), ...bytesField(2, utf8(kind))];
  const fields = [...bytesField(1, typeMeta), ...bytesField(2, raw), ...(contentEncoding ? bytesField(3, utf8(contentEncoding)) : [])];
  return Uint8Array.from([...MAGIC, ...fields]);
}

export function protobufBody(apiVersion: string, kind: string): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: message.map((m) => envelope(apiVersion, kind, encode(m))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((raw) => envelope(apiVersion, kind, [...raw])) },
    { weight: 1, arbitrary: fc.constantFrom("gzip", "").map((enc) => envelope(apiVersion, kind, [], enc)) },
    { weight: 1, arbitrary: message.map((m) => envelope("v9", "Nope", encode(m))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([...MAGIC, ...b])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  );
}
