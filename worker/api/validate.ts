// Schema and kind-specific validation, reported as kube-apiserver does: one 422 cause
// per bad field, with paths like `spec.containers[0].image`.
import type { z } from "zod";
import type { KubeObject, ResourceDef } from "../resources/types";
import { metadataErrors } from "./meta-validation";
import { yamlValueAsJson } from "./patch/json-value";
import { badRequest, invalid, type StatusCause } from "../../shared/status-error";

/**
 * JSON null for a field is "not set", as Go's decoder makes it (a nil map, slice or pointer):
 * object keys whose value is null go, at every depth. A null list element stays, and fails the
 * schema at its index, as its zero value fails upstream validation. A YAML body's values that
 * JSON lacks (`!!binary`, `!!timestamp`, …) become their JSON forms on the same walk.
 */
export function withoutNulls<T>(given: T, depth = 0): T {
  // A few kilobytes of brackets would otherwise exhaust the stack here (and in the schema walk).
  if (depth > MAX_NESTING) throw badRequest(`the object is nested more than ${MAX_NESTING} levels deep`);
  const value = yamlValueAsJson(given);
  if (Array.isArray(value)) return value.map((v) => withoutNulls(v, depth + 1)) as T;
  if (value === null || typeof value !== "object") return value as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // Defined, not assigned: a `__proto__` key stays an unknown field (Go ignores it) instead of
    // becoming the object's prototype, whose fields the schema would then read as the client's.
    if (v !== null) Object.defineProperty(out, k, { value: withoutNulls(v, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out as T;
}

/** Deeper than any Kubernetes object: a body nested further is refused with a 400. */
export const MAX_NESTING = 500;

/** `["spec","containers",0,"image"]` → `spec.containers[0].image` */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "null";
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function issueToCause(issue: z.core.$ZodIssue, input: unknown): StatusCause {
  const field = fieldPath(issue.path);
  const value = valueAt(input, issue.path);
  if (issue.code === "invalid_type" && value === undefined) {
    return { reason: "FieldValueRequired", message: "Required value", field };
  }
  if (issue.code === "invalid_value") {
    const supported = issue.values.map((v) => JSON.stringify(v)).join(", ");
    return {
      reason: "FieldValueNotSupported",
      message: `Unsupported value: ${describeValue(value)}: supported values: ${supported}`,
      field,
    };
  }
  if (issue.code === "invalid_type") {
    return {
      reason: "FieldValueInvalid",
      message: `Invalid value: ${describeValue(value)}: must be of type ${issue.expected}`,
      field,
    };
  }
  return { reason: "FieldValueInvalid", message: `Invalid value: ${describeValue(value)}: ${issue.message}`, field };
}

/**
 * Parses `obj` with the kind's schema (unknown fields drop out, as Kubernetes drops
 * them) and runs the kind's own rules. Throws 422 Invalid; returns the parsed object.
 */
export function validateObject(def: ResourceDef, obj: KubeObject, old?: KubeObject, options: { schemaOnly?: boolean } = {}): KubeObject {
  const name = obj.metadata?.name ?? "";
  const ref = { group: def.group, resource: def.plural, kind: def.kind };
  const parsed = def.schema.safeParse(obj);
  if (!parsed.success) {
    throw invalid(ref, name, parsed.error.issues.map((i) => issueToCause(i, obj)));
  }
  const value = parsed.data as KubeObject;
  const metaCauses = metadataErrors(value);
  if (metaCauses.length > 0) throw invalid(ref, name, metaCauses);
  if (options.schemaOnly) return value;
  const causes = def.validate?.(value, old) ?? [];
  if (causes.length > 0) throw invalid(ref, name, causes);
  return value;
}
