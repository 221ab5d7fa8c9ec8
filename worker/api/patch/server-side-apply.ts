// Server-side apply (application/apply-patch+yaml), a tested subset of structured-merge-diff:
// the applied configuration is merged into the live object, fields this manager applied
// before and dropped now are removed unless someone else owns them, changing another
// manager's field is a 409 Conflict unless forced, and managedFields record who owns what.
import { timestamp } from "../../../shared/time";
import type { KubeObject } from "../../resources/types";
import { withoutNulls } from "../validate";
import { PatchError } from "./errors";
import { FieldSet, pathToString } from "./field-set";
import { isRecord, type Json } from "../../../shared/json";
import { clone } from "./json-value";
import { decodeManagedFields, encodeManagedFields, entryId, type ManagedEntry } from "./managed-fields";
import { SchemaNode, type JsonSchema } from "./schema-walk";
import { compare, isAtomicMap, itemElement, listShape, stripMeta, toFieldSet, type Node } from "./typed-walk";

export interface ApplyOptions {
  manager: string;
  force?: boolean;
  schema?: JsonSchema | Record<string, unknown>;
  /** apiVersion the configuration was applied with (recorded on the entry, printed in conflicts). */
  apiVersion: string;
  now: Date | string;
  subresource?: string;
}

function rfc3339(now: Date | string): string {
  return typeof now === "string" ? now : timestamp(now);
}

function withoutManagedFields(obj: Json): Json {
  const out = { ...obj };
  if (isRecord(out.metadata)) {
    const meta = { ...out.metadata };
    delete meta.managedFields;
    out.metadata = meta;
  }
  return out;
}

/** Applies `applied` as `manager`; `live` null creates. Returns the object with its new managedFields. */
export function applyServerSide(live: KubeObject | null, applied: unknown, options: ApplyOptions): KubeObject {
  if (!isRecord(applied)) throw new PatchError("error decoding YAML: the applied configuration must be an object", 400);
  const appliedMeta = applied.metadata;
  if (isRecord(appliedMeta) && Array.isArray(appliedMeta.managedFields) && appliedMeta.managedFields.length > 0) {
    throw new PatchError("metadata.managedFields must be nil", 400);
  }
  const node = SchemaNode.of(options.schema as JsonSchema | undefined);
  // A null says "not set" to SSA. The shared walk also turns YAML-only values into JSON (before
  // the copy, whose JSON round trip would make bytes a map) and refuses a cyclic or too deep
  // config (YAML aliases can make `x: &x [*x]`) with a 400 rather than a blown stack.
  const config = clone(withoutNulls(applied)) as Json;
  // The result's metadata is rebuilt as a map below, which would hide a config whose metadata is not one.
  if (config.metadata !== undefined && !isRecord(config.metadata)) {
    throw new PatchError(`failed to create typed patch object: .metadata: expected map, got ${Array.isArray(config.metadata) ? "list" : typeof config.metadata}`, 400);
  }
  const base: Json = live ? withoutManagedFields(clone(live) as unknown as Json) : {};
  const entries = decodeManagedFields(live?.metadata?.managedFields);

  const self: ManagedEntry = {
    manager: options.manager,
    operation: "Apply",
    apiVersion: options.apiVersion,
    time: rfc3339(options.now),
    fields: stripMeta(toFieldSet(config, node)),
  };
  if (options.subresource) self.subresource = options.subresource;
  const selfId = entryId(self);
  const previous = entries.find((e) => entryId(e) === selfId)?.fields ?? new FieldSet();
  const others = entries.filter((e) => entryId(e) !== selfId);
  const keep = others.reduce((acc, e) => acc.union(e.fields), self.fields);

  let merged = mergeValues(base, config, node) as Json;
  merged = removeFields(merged, previous.difference(self.fields), keep, node) as Json;

  const diff = compare(base, merged, node);
  const changed = stripMeta(diff.added.union(diff.modified));
  const removed = stripMeta(diff.removed);
  const conflicts = others
    .map((e) => ({ entry: e, fields: e.fields.intersection(changed) }))
    .filter((c) => !c.fields.isEmpty());
  if (conflicts.length > 0 && !options.force) throw conflictError(conflicts);

  const next: ManagedEntry[] = [];
  for (const e of others) {
    let fields = e.fields.difference(removed);
    const lost = conflicts.find((c) => c.entry === e);
    if (lost) fields = fields.difference(lost.fields);
    if (!fields.isEmpty()) next.push({ ...e, fields });
  }
  next.push(self);
  const out = merged as unknown as KubeObject;
  out.metadata = { ...(isRecord(out.metadata) ? out.metadata : {}), managedFields: encodeManagedFields(next) };
  return out;
}

/** kube's printManager: Update managers show their apiVersion, Apply managers only their name. */
function printManager(e: ManagedEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === "Update" ? `${s} using ${e.apiVersion}` : s;
}

function conflictError(conflicts: { entry: ManagedEntry; fields: FieldSet }[]): PatchError {
  const all = conflicts.flatMap((c) => c.fields.paths().map((p) => ({ manager: printManager(c.entry), path: pathToString(p) })));
  const causes = all.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${c.manager}`, field: c.path }));
  if (all.length === 1) {
    return new PatchError(`Apply failed with 1 conflict: conflict with ${all[0]!.manager}: ${all[0]!.path}`, 409, causes);
  }
  const byManager = new Map<string, string[]>();
  for (const c of all) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`));
  }
  return new PatchError(`Apply failed with ${all.length} conflicts: ${lines.join("\n")}`, 409, causes);
}

/** structured-merge-diff's merge: `rhs` (the applied config) wins; granular maps and keyed lists merge. */
export function mergeValues(lhs: unknown, rhs: unknown, node: Node): unknown {
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return clone(rhs);
  if (isRecord(lhs) && isRecord(rhs) && !isAtomicMap(node)) {
    const out: Json = { ...lhs };
    for (const [k, v] of Object.entries(rhs)) out[k] = mergeValues(lhs[k], v, node?.field(k));
    return out;
  }
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    const shape = listShape(node, [...lhs, ...rhs]);
    if (shape.kind !== "atomic") return mergeList(lhs, rhs, (item) => itemElement(shape, item), (l, r) => (shape.kind === "map" ? mergeValues(l, r, node?.items()) : r));
  }
  return clone(rhs);
}

/**
 * SMD's associative list merge: items shared with the applied list take its order, items
 * only in the live list keep their place, applied-only items go where the config puts them.
 */
function mergeList(lhs: unknown[], rhs: unknown[], idOf: (v: unknown) => string, mergeItem: (l: unknown, r: unknown) => unknown): unknown[] {
  const lIds = lhs.map(idOf);
  const rIds = rhs.map(idOf);
  const lById = new Map(lIds.map((id, i) => [id, lhs[i]] as const));
  const rById = new Map(rIds.map((id, i) => [id, rhs[i]] as const));
  const shared = rIds.filter((id) => lById.has(id));
  let nextShared = shared.shift();
  const done = new Set<string>();
  const out: unknown[] = [];
  let l = 0;
  let r = 0;
  while (l < lIds.length || r < rIds.length) {
    if (l < lIds.length && r < rIds.length) {
      const id = lIds[l]!;
      if (id === rIds[r]) {
        if (!done.has(id)) out.push(mergeItem(lById.get(id), rById.get(id)));
        done.add(id);
        l++;
        r++;
        nextShared = shared.shift();
        continue;
      }
      if (rById.has(id) && nextShared !== undefined && nextShared !== id) {
        l++;
        continue;
      }
    }
    if (l < lIds.length) {
      const id = lIds[l]!;
      if (!rById.has(id)) {
        out.push(lhs[l]);
        l++;
        continue;
      }
      if (done.has(id)) {
        l++;
        continue;
      }
    }
    if (r < rIds.length) {
      const id = rIds[r]!;
      if (!done.has(id)) out.push(mergeItem(lById.get(id), rById.get(id)));
      done.add(id);
      r++;
      if (nextShared === id) nextShared = shared.shift();
    }
  }
  return out;
}

/**
 * Removes the member paths of `remove` from `value`, except where `keep` (fields still applied
 * or owned by another manager) holds the path or anything below it; maps emptied that way go too.
 */
function removeFields(value: unknown, remove: FieldSet, keep: FieldSet | undefined, node: Node): unknown {
  if (remove.isEmpty()) return value;
  if (isRecord(value) && !isAtomicMap(node)) {
    const out: Json = { ...value };
    for (const [element, sub] of remove.children) {
      if (!element.startsWith("f:")) continue;
      const key = element.slice(2);
      if (!Object.hasOwn(out, key)) continue;
      const kept = keep?.children.get(element);
      const held = kept !== undefined && !kept.isEmpty();
      if (sub.member && !held) {
        delete out[key];
        continue;
      }
      const before = out[key];
      const after = removeFields(before, sub, kept, node?.field(key));
      if (isRecord(after) && Object.keys(after).length === 0 && isRecord(before) && Object.keys(before).length > 0 && !held) delete out[key];
      else out[key] = after;
    }
    return out;
  }
  if (Array.isArray(value)) {
    const shape = listShape(node, value);
    if (shape.kind === "atomic") return value;
    const out: unknown[] = [];
    for (const item of value) {
      const element = itemElement(shape, item);
      const sub = remove.children.get(element);
      if (!sub) {
        out.push(item);
        continue;
      }
      const kept = keep?.children.get(element);
      const held = kept !== undefined && !kept.isEmpty();
      if (sub.member && !held) continue;
      out.push(shape.kind === "map" ? removeFields(item, sub, kept, node?.items()) : item);
    }
    return out;
  }
  return value;
}
