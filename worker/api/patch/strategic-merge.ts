// Kubernetes strategic merge patch (apimachinery strategicpatch.StrategicMergeMapPatch):
// maps merge, lists follow the schema's x-kubernetes-patch-strategy / -merge-key, and the
// directives kubectl sends ($patch, $retainKeys, $setElementOrder/, $deleteFromPrimitiveList/) apply.
import { PatchError } from "./errors";
import { isRecord, type Json } from "../../../shared/json";
import { clone } from "./json-value";
import { SchemaNode, type JsonSchema } from "./schema-walk";

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER = "$setElementOrder/";

export function applyStrategicMergePatch(original: unknown, patch: unknown, schema: JsonSchema | undefined): unknown {
  if (!isRecord(patch)) {
    throw new PatchError("json: cannot unmarshal array into Go value of type map[string]interface {}", 400);
  }
  const base = isRecord(original) ? clone(original) : {};
  return mergeMap(base, clone(patch), SchemaNode.of(schema));
}

type Node = SchemaNode | undefined;

/** Merges `patch` into `original` (both owned copies; `original` is mutated and returned). */
function mergeMap(original: Json, patch: Json, node: Node): Json {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    delete patch[DIRECTIVE];
    if (directive === "replace") return mergeMap({}, patch, node);
    if (directive === "delete") return {};
    if (directive !== "merge") throw new PatchError(`Unknown patch type: ${String(directive)} in map`, 400);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, node);

  for (const [key, patchValue] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      if (!Array.isArray(patchValue)) throw new PatchError("invalid patch format of primitive list", 400);
      const current = original[field];
      if (Array.isArray(current)) original[field] = current.filter((v) => !patchValue.some((d) => d === v));
      continue;
    }
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const child = node?.field(key);
    const current = original[key];
    if (current === undefined || current === null || kindOf(current) !== kindOf(patchValue)) {
      original[key] = fresh(patchValue, child);
    } else if (isRecord(current) && isRecord(patchValue)) {
      original[key] = child?.patchStrategy.includes("replace") ? fresh(patchValue, child) : mergeMap(current, patchValue, child);
    } else if (Array.isArray(current) && Array.isArray(patchValue)) {
      original[key] = mergeList(current, patchValue, child);
    } else {
      original[key] = patchValue;
    }
  }
  return original;
}

function kindOf(v: unknown): "object" | "array" | "scalar" {
  return Array.isArray(v) ? "array" : isRecord(v) ? "object" : "scalar";
}

/** A patch value placed where the original has nothing: directives and nulls are dropped. */
function fresh(value: unknown, node: Node): unknown {
  if (isRecord(value)) return mergeMap({}, value, node);
  if (Array.isArray(value)) return mergeList([], value, node);
  return value;
}

/** `$retainKeys: [...]` clears every key of the original not listed (patch strategy retainKeys). */
function applyRetainKeys(original: Json, patch: Json): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const keep = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(keep)) throw new PatchError("invalid patch format of retainKeys", 400);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.includes(k)) throw new PatchError("doesn't match retainKeys list: patch content does not match retainKeys list", 422);
  }
  for (const k of Object.keys(original)) if (!keep.includes(k)) delete original[k];
}

/** `$setElementOrder/<field>`: merge that list now and order it as the client listed it. */
function applySetElementOrder(original: Json, patch: Json, node: Node): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw new PatchError("invalid patch format of setElementOrder list", 400);
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const child = node?.field(field);
    const current = original[field];
    const patchList = patch[field];
    if (patchList !== undefined && !Array.isArray(patchList)) continue;
    if (current !== undefined && !Array.isArray(current)) continue;
    if (current === undefined && patchList === undefined) continue;
    delete patch[field];
    const merged = patchList === undefined ? (current as unknown[]) : mergeList((current as unknown[] | undefined) ?? [], patchList, child);
    const mergeKey = child?.mergeKey;
    const [inOrder, serverOnly] = partition(merged, order, mergeKey);
    original[field] = normalizeElementOrder(inOrder, serverOnly, order, (current as unknown[] | undefined) ?? [], mergeKey);
  }
}

function mergeList(original: unknown[], patch: unknown[], node: Node): unknown[] {
  if (!node?.patchStrategy.includes("merge")) return patch.map((v) => (isRecord(v) ? mergeMap({}, v, node?.items()) : v));
  if (original.length === 0 && patch.length === 0) return original;
  const all = [...original, ...patch];
  if (all.some(Array.isArray)) throw new PatchError("lists of lists are not supported", 422);
  const first = all[0];
  if (!isRecord(first)) {
    const merged: unknown[] = [];
    for (const v of all) if (!merged.includes(v)) merged.push(v);
    const [fromPatch, serverOnly] = partition(merged, patch, undefined);
    return normalizeElementOrder(fromPatch, serverOnly, patch, original, undefined);
  }
  const mergeKey = node.mergeKey;
  if (!mergeKey) throw new PatchError("cannot merge lists without merge key", 422);
  const itemNode = node.items();

  let base = original.filter(isRecord);
  const plain: Json[] = [];
  let replace = false;
  for (const raw of patch) {
    if (!isRecord(raw)) throw new PatchError(`list element types are not identical`, 422);
    if (!Object.hasOwn(raw, DIRECTIVE)) {
      plain.push(raw);
      continue;
    }
    const directive = raw[DIRECTIVE];
    if (directive === "delete") {
      if (!Object.hasOwn(raw, mergeKey)) throw noMergeKey(raw, mergeKey);
      base = base.filter((item) => item[mergeKey] !== raw[mergeKey]);
    } else if (directive === "replace") {
      replace = true;
    } else if (directive !== "merge") {
      throw new PatchError(`Unknown patch type: ${String(directive)} in map`, 400);
    }
  }
  if (replace) return plain.map((item) => mergeMap({}, item, itemNode));

  const serverOrder = [...base];
  const merged: unknown[] = [...base];
  for (const item of plain) {
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const at = merged.findIndex((m) => isRecord(m) && m[mergeKey] === item[mergeKey]);
    if (at >= 0) merged[at] = mergeMap(merged[at] as Json, item, itemNode);
    else merged.push(mergeMap({}, item, itemNode));
  }
  const [fromPatch, serverOnly] = partition(merged, plain, mergeKey);
  return normalizeElementOrder(fromPatch, serverOnly, plain, serverOrder, mergeKey);
}

function noMergeKey(item: Json, mergeKey: string): PatchError {
  return new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`, 422);
}

function identity(v: unknown, mergeKey: string | undefined): unknown {
  return mergeKey ? (isRecord(v) ? v[mergeKey] : undefined) : v;
}

function indexIn(list: unknown[], v: unknown, mergeKey: string | undefined): number {
  const id = identity(v, mergeKey);
  return list.findIndex((x) => identity(x, mergeKey) === id);
}

/** Items present in `by` (by merge key, or by value for primitives) and the rest. */
function partition(items: unknown[], by: unknown[], mergeKey: string | undefined): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of items) (indexIn(by, v, mergeKey) >= 0 ? inBy : rest).push(v);
  return [inBy, rest];
}

function sortBy(items: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  return items
    .map((v, i) => ({ v, i, at: indexIn(order, v, mergeKey) }))
    .sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : a.i - b.i))
    .map((e) => e.v);
}

/**
 * upstream normalizeElementOrder + mergeSortedSlice: patch items in patch order, server-only
 * items in live order, interleaved by live order; an item the live list lacks goes first.
 */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const right = sortBy(patchItems, patchOrder, mergeKey);
  const left = sortBy(serverOnly, serverOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
