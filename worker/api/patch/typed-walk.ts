// How structured-merge-diff sees a value through its schema: which maps and lists are
// atomic, which lists are keyed maps or sets, the set of fields a value sets (ToFieldSet)
// and what changed between two values (Compare: added / modified / removed).
import { FieldSet, fieldElement, keyElement, valueElement } from "./field-set";
import { deepEqual } from "../../../shared/deep-equal";
import { isRecord } from "../../../shared/json";
import type { SchemaNode } from "./schema-walk";

export type Node = SchemaNode | undefined;

export type ListShape = { kind: "atomic" } | { kind: "set" } | { kind: "map"; keys: string[]; defaults: Record<string, unknown> };

/**
 * Defaults of list-map key fields the API server fills in, so `ports: [{port: 80}]` in an
 * applied config names the live item `k:{"port":80,"protocol":"TCP"}` (kube's OpenAPI
 * declares `default: TCP` on every port protocol; a schema `default` is used first).
 */
const KEY_FIELD_DEFAULTS: Record<string, unknown> = { protocol: "TCP" };

function keyDefaults(node: Node, keys: string[]): Record<string, unknown> {
  const items = node?.items();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const declared = items?.field(k)?.node.default;
    if (declared !== undefined) out[k] = declared;
    else if (Object.hasOwn(KEY_FIELD_DEFAULTS, k)) out[k] = KEY_FIELD_DEFAULTS[k];
  }
  return out;
}

/** A list's element relationship; built-ins without list-type follow their patch strategy (kube-openapi's schemaconv). */
export function listShape(node: Node, items: readonly unknown[]): ListShape {
  if (!node) return { kind: "atomic" };
  let shape: ListShape = { kind: "atomic" };
  const type = node.listType;
  const merge = node.patchStrategy.includes("merge");
  if (type === "map" || (type === undefined && merge && node.mergeKey)) {
    const keys = node.listMapKeys;
    if (keys.length > 0) shape = { kind: "map", keys, defaults: keyDefaults(node, keys) };
  } else if (type === "set" || (type === undefined && merge)) {
    shape = { kind: "set" };
  }
  if (shape.kind === "map" && !items.every((i) => isRecord(i) && shape.kind === "map" && shape.keys.some((k) => i[k] !== undefined))) {
    return { kind: "atomic" };
  }
  if (shape.kind === "set" && items.some((i) => isRecord(i) || Array.isArray(i))) return { kind: "atomic" };
  return shape;
}

export function isAtomicMap(node: Node): boolean {
  return node?.mapType === "atomic";
}

/** The path element naming one item of a keyed or set list. */
export function itemElement(shape: ListShape, item: unknown): string {
  if (shape.kind === "set") return valueElement(item);
  if (shape.kind === "map" && isRecord(item)) {
    const key: Record<string, unknown> = {};
    for (const k of shape.keys) {
      const v = item[k] ?? shape.defaults[k];
      if (v !== undefined) key[k] = v;
    }
    return keyElement(key);
  }
  return valueElement(item);
}

/** Items of a keyed/set list by their path element (the first of duplicates wins). */
export function indexItems(shape: ListShape, items: readonly unknown[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const item of items) {
    const e = itemElement(shape, item);
    if (!out.has(e)) out.set(e, item);
  }
  return out;
}

/** The fields `value` sets (fieldpath ToFieldSet): leaves, keyed/set items, empty maps; never struct nodes. */
export function toFieldSet(value: unknown, node: Node, set = new FieldSet()): FieldSet {
  addLeaves(value, node, set);
  return set;
}

function addLeaves(value: unknown, node: Node, set: FieldSet): void {
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (isAtomicMap(node) || keys.length === 0) {
      set.member = true;
      return;
    }
    for (const k of keys) addLeaves(value[k], node?.field(k), set.child(fieldElement(k)));
    return;
  }
  if (Array.isArray(value)) {
    const shape = listShape(node, value);
    if (shape.kind === "atomic" || value.length === 0) {
      set.member = true;
      return;
    }
    for (const item of value) {
      const child = set.child(itemElement(shape, item));
      child.member = true;
      if (shape.kind === "map") addLeaves(item, node?.items(), child);
    }
    return;
  }
  set.member = true;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `lhs` to `rhs`. A map (struct or granular) that appears or disappears is
 * itself added/removed along with its fields, as kube records (`f:labels: {".": {}, ...}`),
 * except the object's root fields (spec, metadata), which Go objects always have.
 */
export function compare(lhs: unknown, rhs: unknown, node: Node): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareInto(lhs, rhs, node, [], c, 0);
  return c;
}

function compareInto(lhs: unknown, rhs: unknown, node: Node, path: string[], c: Comparison, depth: number): void {
  if (lhs === undefined && rhs === undefined) return;
  if (lhs === undefined) {
    markAll(rhs, node, path, c.added, depth);
    return;
  }
  if (rhs === undefined) {
    markAll(lhs, node, path, c.removed, depth);
    return;
  }
  if (isRecord(lhs) && isRecord(rhs) && !isAtomicMap(node)) {
    const lk = Object.keys(lhs).filter((k) => lhs[k] !== undefined);
    const rk = Object.keys(rhs).filter((k) => rhs[k] !== undefined);
    if (lk.length === 0 && rk.length === 0) return;
    for (const k of new Set([...lk, ...rk])) compareInto(lhs[k], rhs[k], node?.field(k), [...path, fieldElement(k)], c, depth + 1);
    return;
  }
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    const shape = listShape(node, [...lhs, ...rhs]);
    if (shape.kind !== "atomic" && (lhs.length > 0 || rhs.length > 0)) {
      const l = indexItems(shape, lhs);
      const r = indexItems(shape, rhs);
      for (const e of new Set([...l.keys(), ...r.keys()])) {
        const itemPath = [...path, e];
        const li = l.get(e);
        const ri = r.get(e);
        if (shape.kind === "set") {
          if (li === undefined) c.added.insert(itemPath);
          else if (ri === undefined) c.removed.insert(itemPath);
        } else if (li === undefined || ri === undefined) {
          markAll(li ?? ri, node?.items(), itemPath, li === undefined ? c.added : c.removed, depth + 1, true);
        } else {
          compareInto(li, ri, node?.items(), itemPath, c, depth + 1);
        }
      }
      return;
    }
  }
  if (!deepEqual(lhs, rhs)) c.modified.insert(path);
}

/** `value` at `path` appeared (or vanished): the path itself for maps and items, plus every field below. */
function markAll(value: unknown, node: Node, path: string[], into: FieldSet, depth: number, isItem = false): void {
  const at = subtree(into, path);
  markNode(value, node, at, depth, isItem);
}

function markNode(value: unknown, node: Node, at: FieldSet, depth: number, isItem: boolean): void {
  if (isRecord(value) && !isAtomicMap(node)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (isItem || depth > 1 || keys.length === 0) at.member = true;
    for (const k of keys) markNode(value[k], node?.field(k), at.child(fieldElement(k)), depth + 1, false);
    return;
  }
  if (Array.isArray(value)) {
    const shape = listShape(node, value);
    if (shape.kind !== "atomic" && value.length > 0) {
      for (const item of value) {
        const child = at.child(itemElement(shape, item));
        if (shape.kind === "set") child.member = true;
        else markNode(item, node?.items(), child, depth + 1, true);
      }
      return;
    }
  }
  at.member = true;
}

function subtree(set: FieldSet, path: readonly string[]): FieldSet {
  let node = set;
  for (const e of path) node = node.child(e);
  return node;
}

/** Fields kube-apiserver never records in managedFields (fieldmanager's stripMeta). */
export const STRIPPED_FIELDS: readonly (readonly string[])[] = [
  ["f:apiVersion"],
  ["f:kind"],
  ["f:metadata", "f:name"],
  ["f:metadata", "f:namespace"],
  ["f:metadata", "f:uid"],
  ["f:metadata", "f:resourceVersion"],
  ["f:metadata", "f:generation"],
  ["f:metadata", "f:creationTimestamp"],
  ["f:metadata", "f:selfLink"],
  ["f:metadata", "f:managedFields"],
  ["f:metadata", "f:deletionTimestamp"],
  ["f:metadata", "f:deletionGracePeriodSeconds"],
];

/** Removes the stripped fields (and the subtrees below them) from a set in place. */
export function stripMeta(set: FieldSet): FieldSet {
  for (const path of STRIPPED_FIELDS) {
    const parent = set.at(path.slice(0, -1));
    parent?.children.delete(path[path.length - 1]!);
  }
  const meta = set.children.get("f:metadata");
  if (meta && meta.isEmpty()) set.children.delete("f:metadata");
  set.member = false;
  return set;
}

