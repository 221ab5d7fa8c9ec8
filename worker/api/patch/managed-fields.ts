// metadata.managedFields as kube-apiserver keeps it: entries per (manager, operation,
// apiVersion for Update, subresource), FieldsV1 sets, and the bookkeeping every
// non-apply write does (the fields it changed become its manager's).
import type { KubeObject, ManagedFieldsEntry } from "../../resources/types";
import { FieldSet } from "./field-set";
import { isRecord } from "../../../shared/json";
import { SchemaNode, type JsonSchema } from "./schema-walk";
import { compare, stripMeta } from "./typed-walk";

export { FieldSet, pathToString } from "./field-set";

/** One decoded entry: who, how, and the fields it owns. */
export interface ManagedEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

/** kube's manager identifier: Update entries are per apiVersion, Apply entries are not. */
export function entryId(e: Pick<ManagedEntry, "manager" | "operation" | "apiVersion" | "subresource">): string {
  return JSON.stringify([e.manager, e.operation, e.operation === "Update" ? e.apiVersion : "", e.subresource ?? ""]);
}

export function decodeManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): ManagedEntry[] {
  const out = new Map<string, ManagedEntry>();
  for (const item of entries ?? []) {
    if (!isRecord(item)) continue;
    const raw = item as ManagedFieldsEntry;
    const entry: ManagedEntry = {
      manager: typeof raw.manager === "string" ? raw.manager : "",
      operation: raw.operation === "Apply" ? "Apply" : "Update",
      apiVersion: typeof raw.apiVersion === "string" ? raw.apiVersion : "",
      fields: FieldSet.fromFieldsV1(raw.fieldsV1 ?? {}),
    };
    if (typeof raw.time === "string") entry.time = raw.time;
    if (typeof raw.subresource === "string" && raw.subresource) entry.subresource = raw.subresource;
    const id = entryId(entry);
    const prev = out.get(id);
    if (prev) prev.fields = prev.fields.union(entry.fields);
    else out.set(id, entry);
  }
  return [...out.values()];
}

/** Encodes entries in kube's order: Apply before Update, then by time, manager, apiVersion, subresource. */
export function encodeManagedFields(entries: readonly ManagedEntry[]): ManagedFieldsEntry[] {
  const sorted = [...entries].sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const pt = p.time ? Date.parse(p.time) : 0;
    const qt = q.time ? Date.parse(q.time) : 0;
    if (pt !== qt) return pt - qt;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return (p.subresource ?? "") < (q.subresource ?? "") ? -1 : (p.subresource ?? "") > (q.subresource ?? "") ? 1 : 0;
  });
  return sorted.map((e) => {
    const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) out.time = e.time;
    out.fieldsType = "FieldsV1";
    out.fieldsV1 = e.fields.toFieldsV1();
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

export interface UpdateManagedFieldsOptions {
  manager: string;
  operation?: "Update" | "Apply";
  /** The apiVersion the client wrote with (entries record it). */
  apiVersion: string;
  /** RFC 3339 time of the write. */
  time: string;
  subresource?: string;
  schema?: JsonSchema | Record<string, unknown>;
}

/** The object without the fields managedFields never tracks, for comparing. */
function tracked(obj: KubeObject | null): Record<string, unknown> {
  if (!obj) return {};
  const { metadata, ...rest } = obj;
  const meta: Record<string, unknown> = { ...(metadata ?? {}) };
  delete meta.managedFields;
  return { ...rest, metadata: meta };
}

/**
 * The client's own managedFields, when it sent a change to them: `[{}]`-style (one empty
 * entry) resets them; an empty list or an unchanged copy means "keep the server's".
 */
function requestedEntries(old: KubeObject | null, next: KubeObject): ManagedEntry[] | "reset" | undefined {
  const sent = next.metadata?.managedFields;
  if (!Array.isArray(sent) || sent.length === 0) return undefined;
  if (sent.length === 1 && isRecord(sent[0]) && !sent[0].manager && !sent[0].fieldsV1) return "reset";
  if (old && JSON.stringify(sent) === JSON.stringify(old.metadata?.managedFields ?? [])) return undefined;
  return decodeManagedFields(sent);
}

/**
 * What kube-apiserver's field manager does on create/update/patch (not apply): fields that
 * changed from `old` to `next` become `manager`'s alone; removed fields leave every owner.
 * Returns the new managedFields (undefined when the client reset them).
 */
export function updateManagedFields(
  old: KubeObject | null,
  next: KubeObject,
  options: UpdateManagedFieldsOptions,
): ManagedFieldsEntry[] | undefined {
  const requested = requestedEntries(old, next);
  if (requested === "reset") return undefined;
  const entries = requested ?? decodeManagedFields(old?.metadata?.managedFields);
  const node = SchemaNode.of(options.schema as JsonSchema | undefined);
  const diff = compare(tracked(old), tracked(next), node);
  const changed = stripMeta(diff.added.union(diff.modified));
  const removed = stripMeta(diff.removed);

  const self: ManagedEntry = {
    manager: options.manager,
    operation: options.operation ?? "Update",
    apiVersion: options.apiVersion,
    fields: new FieldSet(),
  };
  if (options.subresource) self.subresource = options.subresource;
  const selfId = entryId(self);
  const out: ManagedEntry[] = [];
  let mine: ManagedEntry | undefined;
  for (const e of entries) {
    const fields = e.fields.difference(removed);
    if (entryId(e) === selfId) {
      mine = { ...e, fields };
      continue;
    }
    // An update takes the fields it changed from their other owners (SMD's update with force).
    const kept = fields.difference(changed);
    if (!kept.isEmpty()) out.push({ ...e, fields: kept });
  }
  if (!changed.isEmpty()) {
    mine = { ...(mine ?? self), fields: (mine?.fields ?? new FieldSet()).union(changed), time: options.time, apiVersion: options.apiVersion };
  }
  if (mine && !mine.fields.isEmpty()) out.push(mine);
  return encodeManagedFields(out);
}
