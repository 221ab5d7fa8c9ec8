// Ways to spoil a valid manifest (wrong types, unknown fields, bad metadata, huge or odd strings,
// deleted or nulled required fields, deep nesting, junk patch directives) and JSON nulls at
// optional positions. Each mutation picks its target path when applied, from the document as
// it is then, so a generated list of mutations stays meaningful for any manifest.
import fc from "fast-check";
import type { SchemaNode } from "../../worker/api/patch";
import { labelValue, qualifiedKey, type Json, type JsonObject } from "./manifest-arbitraries";

export type Path = (string | number)[];

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A JSON round trip: structuredClone overflows workerd's stack on the 3,000-deep "nest" values (seed 1840218762). */
export function clone<T extends Json>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function getAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function parentOf(root: Json, path: Path): { parent: Json[] | JsonObject; key: string | number } | undefined {
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (key === undefined || parent === null || typeof parent !== "object") return undefined;
  return { parent: parent as Json[] | JsonObject, key };
}

export function setAt(root: Json, path: Path, value: Json): void {
  const at = parentOf(root, path);
  // Defined, not assigned: a key such as `__proto__` stays an own field, as JSON.parse makes it.
  if (at) Object.defineProperty(at.parent, at.key, { value, enumerable: true, writable: true, configurable: true });
}

function deleteAt(root: Json, path: Path): void {
  const at = parentOf(root, path);
  if (!at) return;
  if (Array.isArray(at.parent) && typeof at.key === "number") at.parent.splice(at.key, 1);
  else delete (at.parent as JsonObject)[at.key];
}

/** Mutations reach this deep at most, so a mutation that nested thousands of arrays stays cheap. */
const MAX_PATH_DEPTH = 40;

/** Every path below the root (depth first), optionally only those whose value passes `keep`. */
export function paths(root: Json, keep: (v: Json) => boolean = () => true, prefix: Path = [], out: Path[] = []): Path[] {
  if (prefix.length >= MAX_PATH_DEPTH) return out;
  const children: [string | number, Json][] = Array.isArray(root) ? root.map((v, i) => [i, v]) : isObject(root) ? Object.entries(root) : [];
  for (const [k, v] of children) {
    const p = [...prefix, k];
    if (keep(v)) out.push(p);
    paths(v, keep, p, out);
  }
  return out;
}

function pickFrom<T>(list: T[], pick: number): T | undefined {
  return list.length === 0 ? undefined : list[pick % list.length];
}

/** Strings a parser, a regex, a store or a byte counter could trip on. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.constantFrom("", " ", "\u0000", "\t\n", "..", "../../etc", "a/b/c", "-x-", "UPPER", "ünïcödé", "💥\u200d", "\ud800", "%00", "'; DROP TABLE objects;--", "true", "null", "__proto__"),
  // At and past the limits: a label part (63), a name (253), annotations (256 KiB), a ConfigMap (1 MiB).
  fc.constantFrom(63, 64, 253, 254, 70_000, 262_145, 1_100_000).map((n) => "x".repeat(n)),
);

/** Infinity and NaN are JSON null in a JSON body but `.inf` and `.nan` in a YAML one. */
export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-1, 0, -0, 1.5, 65536, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, Infinity, -Infinity, NaN),
);

const anyJson = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;

const wrongValue: fc.Arbitrary<Json> = fc.oneof(oddString, oddNumber, fc.boolean(), fc.constant<Json>({}), fc.constant<Json>([]), anyJson);

/** Keys that are no field of any kind, some of them special to JavaScript or to patches. */
const unknownKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("spec2", "__proto__", "constructor", "toString", "hasOwnProperty", "$patch", "$retainKeys", "$setElementOrder/containers", "$deleteFromPrimitiveList/finalizers", "f:x", ""),
);

const META_FIELDS = ["name", "generateName", "namespace", "resourceVersion", "uid", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers", "ownerReferences", "managedFields", "selfLink"] as const;

export type Mutation =
  | { op: "retype"; pick: number; value: Json }
  | { op: "remove"; pick: number }
  | { op: "null"; pick: number }
  | { op: "unknownField"; pick: number; key: string; value: Json }
  | { op: "oddString"; pick: number; value: string }
  | { op: "meta"; field: (typeof META_FIELDS)[number]; value: Json }
  | { op: "label"; annotation: boolean; key: string; value: Json }
  | { op: "typeMeta"; field: "apiVersion" | "kind"; value: Json }
  | { op: "nest"; pick: number; depth: number }
  | { op: "duplicate"; pick: number }
  | { op: "directive"; pick: number; key: string; value: Json };

/** Mostly strings, so that a bad key or value reaches the metadata rules rather than the schema. */
const labelMutation = fc.record({
  op: fc.constant("label" as const),
  annotation: fc.boolean(),
  key: fc.oneof(qualifiedKey, oddString, fc.constantFrom("a/b/c", "/x", "x/", "Example.COM/x", `${"p".repeat(254)}/x`, `p/${"n".repeat(64)}`)),
  value: fc.oneof({ weight: 2, arbitrary: labelValue }, { weight: 4, arbitrary: oddString }, { weight: 1, arbitrary: wrongValue }),
});

const metaMutation = fc.record({
  op: fc.constant("meta" as const),
  field: fc.constantFrom(...META_FIELDS),
  value: fc.oneof(
    oddString,
    wrongValue,
    fc.constantFrom<Json>("1", "0", "-5", "999999999999", "2024-01-01T00:00:00Z", ["kubernetes"], ["a/b", "orphan", "foregroundDeletion"], [{ apiVersion: "v1", kind: "X", name: "y", uid: "z", controller: true }, { apiVersion: "v1", kind: "X", name: "w", uid: "q", controller: true }], [{ manager: "m", operation: "Apply", fieldsV1: { "f:spec": {} } }]),
  ),
});

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant("retype" as const), pick: fc.nat(), value: wrongValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("null" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unknownField" as const), pick: fc.nat(), key: unknownKey, value: anyJson }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("oddString" as const), pick: fc.nat(), value: oddString }) },
  { weight: 3, arbitrary: metaMutation },
  { weight: 3, arbitrary: labelMutation },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("typeMeta" as const), field: fc.constantFrom("apiVersion" as const, "kind" as const), value: fc.oneof(wrongValue, fc.constantFrom<Json>("v2", "v1", "apps/v1", "v1beta1", "networking.k8s.io/v1", "Pod", "ConfigMap", "List", "Status")) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("nest" as const), pick: fc.nat(), depth: fc.constantFrom(20, 499, 501, 3000) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("duplicate" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("directive" as const), pick: fc.nat(), key: fc.constantFrom("$patch", "$retainKeys", "$setElementOrder/containers", "$setElementOrder/ports", "$deleteFromPrimitiveList/args", "$setElementOrder/finalizers"), value: fc.oneof(fc.constantFrom<Json>("replace", "delete", "merge", "bogus", [{ name: "nope" }], [], ["x"]), wrongValue) }) },
);

/** One mutation most of the time, so that each reaches the check it aims at; sometimes a few. */
export const mutations: fc.Arbitrary<Mutation[]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(mutation).map((m) => [...m]) },
  { weight: 1, arbitrary: fc.array(mutation, { minLength: 2, maxLength: 4 }) },
);

function metadataOf(doc: JsonObject): JsonObject {
  if (!isObject(doc.metadata)) doc.metadata = {};
  return doc.metadata as JsonObject;
}

/** Applies `m` to `doc` in place (a body that is no object stays as it is). */
export function applyMutation(doc: Json, m: Mutation): void {
  if (!isObject(doc)) return;
  switch (m.op) {
    case "retype": {
      const p = pickFrom(paths(doc), m.pick);
      if (p) setAt(doc, p, m.value);
      return;
    }
    case "remove": {
      const p = pickFrom(paths(doc), m.pick);
      if (p) deleteAt(doc, p);
      return;
    }
    case "null": {
      const p = pickFrom(paths(doc), m.pick);
      if (p) setAt(doc, p, null);
      return;
    }
    case "unknownField": {
      const target = pickFrom([[], ...paths(doc, isObject)], m.pick);
      const node = target && getAt(doc, target);
      if (isObject(node)) setAt(node, [m.key], m.value);
      return;
    }
    case "oddString": {
      const p = pickFrom(paths(doc, (v) => typeof v === "string"), m.pick);
      if (p) setAt(doc, p, m.value);
      return;
    }
    case "meta":
      metadataOf(doc)[m.field] = m.value;
      return;
    case "label": {
      const meta = metadataOf(doc);
      const field = m.annotation ? "annotations" : "labels";
      const map = isObject(meta[field]) ? (meta[field] as JsonObject) : {};
      setAt(map, [m.key], m.value);
      meta[field] = map;
      return;
    }
    case "typeMeta":
      doc[m.field] = m.value;
      return;
    case "nest": {
      const p = pickFrom(paths(doc), m.pick);
      if (!p) return;
      let v: Json = getAt(doc, p) as Json;
      for (let i = 0; i < m.depth; i++) v = [v];
      setAt(doc, p, v);
      return;
    }
    case "duplicate": {
      const p = pickFrom(paths(doc, (v) => Array.isArray(v) && v.length > 0), m.pick);
      const list = p && getAt(doc, p);
      if (Array.isArray(list)) list.push(clone(list[0] as Json));
      return;
    }
    case "directive": {
      const target = pickFrom([[], ...paths(doc, isObject)], m.pick);
      const node = target && getAt(doc, target);
      if (isObject(node)) setAt(node, [m.key], m.value);
      return;
    }
  }
}

export function mutate(doc: JsonObject, mutations: Mutation[]): Json {
  const out = clone(doc);
  // Each value goes in as a copy: fast-check keeps the generated values for later runs and for
  // shrinking, and a value inserted as itself could have a later mutation set a key inside it to
  // itself (a cycle, seen as "Converting circular structure to JSON" in the test, not the Worker).
  for (const m of mutations) applyMutation(out, "value" in m && m.value !== undefined ? ({ ...m, value: clone(m.value) } as Mutation) : m);
  return out;
}

/** Fields whose null would change what the request addresses, not what it stores. */
const NOT_NULLED = new Set(["apiVersion", "kind", "metadata", "status", "metadata.name", "metadata.namespace", "metadata.resourceVersion", "metadata.uid", "metadata.generateName"]);

/**
 * The optional fields of `doc` per the kind's schema, present or not: every property of a
 * struct node that `required` does not list, below the values `doc` has.
 */
export function optionalPositions(doc: Json, node: SchemaNode | undefined, prefix: Path = [], out: Path[] = []): Path[] {
  if (!node) return out;
  if (Array.isArray(doc)) {
    doc.forEach((v, i) => optionalPositions(v, node.items(), [...prefix, i], out));
    return out;
  }
  if (!isObject(doc)) return out;
  const props = node.node.properties ?? {};
  const required = new Set(Array.isArray(node.node.required) ? (node.node.required as string[]) : []);
  if (node.isStruct) {
    for (const key of Object.keys(props)) {
      const p = [...prefix, key];
      if (!required.has(key) && !NOT_NULLED.has(p.join("."))) out.push(p);
    }
  }
  for (const [key, v] of Object.entries(doc)) optionalPositions(v, node.field(key), [...prefix, key], out);
  return out;
}

/**
 * Picks optional positions (those `allowed` keeps) and returns the manifest with them absent
 * (`clean`) and set to JSON null (`nulled`); an ancestor picked with its descendant wins.
 */
export function sprinkleNulls(doc: JsonObject, node: SchemaNode, picks: number[], allowed: (p: Path) => boolean): { clean: JsonObject; nulled: JsonObject; at: string[] } {
  const candidates = optionalPositions(doc, node).filter(allowed);
  const chosen = new Map<string, Path>();
  for (const pick of picks) {
    const p = pickFrom(candidates, pick);
    if (p) chosen.set(JSON.stringify(p), p);
  }
  const ordered = [...chosen.values()].sort((a, b) => b.length - a.length);
  const clean = clone(doc);
  const nulled = clone(doc);
  for (const p of ordered) {
    deleteAt(clean, p);
    setAt(nulled, p, null);
  }
  return { clean, nulled, at: ordered.map((p) => p.join(".")) };
}

/** Recursive and exponential YAML aliases: the parser must refuse them, not expand them. */
const YAML_BOMB = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");

/** A body that is no object, or text that is no document, whether read as JSON or as YAML (or contains itself). */
export const junkBody: fc.Arbitrary<{ raw: string }> = fc.oneof(
  anyJson.filter((v) => !isObject(v)).map((v) => ({ raw: JSON.stringify(v) })),
  fc.constantFrom("", "{", "[", "nul", "\u0000", '"\\ud800"', "{}{}", "---\n- a\n- b", "a: [", "a: 1\n---\nb: 2", "x: &x [*x]", YAML_BOMB, "\t- tab").map((raw) => ({ raw })),
);

/** Documents that are objects, with what only YAML (or a lax JSON reader) has: tags, aliases, odd numbers. */
export const oddDocument: fc.Arbitrary<{ raw: string }> = fc
  .constantFrom(
    '{"metadata":{"name":"x"},"data":{"a":1e400}}',
    '{"spec":-0}',
    '{"a":}',
    '{"metadata":{"name":"a"},"metadata":{"labels":{"b":"c"}}}',
    "\ufeff{}",
    "metadata: &m {name: x}\nspec: *m",
    "metadata: !!binary aGVsbG8=",
    "metadata: {labels: {a: !!binary aGVsbG8=}}",
    "metadata: {annotations: {at: !!timestamp 2001-12-14t21:59:43.10-05:00}}",
    "metadata: {labels: !!set {a, b}}",
    "data: !!omap [a: x, b: y]",
    "spec: {replicas: .inf}",
    "spec: {replicas: 0x10}",
    "spec: {replicas: 12345678901234567890123}",
    "metadata:\n  name: x\n  name: y",
    "metadata: {labels: {<<: {a: b}}}",
  )
  .map((raw) => ({ raw }));
