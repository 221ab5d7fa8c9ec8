// Converts zod's JSON Schema (2020-12: `$defs`, `type: [T, "null"]`, numeric exclusive bounds)
// into OpenAPI 3.0 schemas as kube-openapi serves them, replacing the shared meta types by
// `$ref: "#/components/schemas/io.k8s.apimachinery…"` so kubectl resolves them by name.
import { isRecord, type Json } from "../../shared/json";

export const REF_PREFIX = "#/components/schemas/";

/** zod's bounds for a safe integer: noise in a Kubernetes schema, dropped. */
const SAFE_INT = 9007199254740991;

/** JSON Schema keywords OpenAPI 3.0 does not know; kube-openapi would ignore or choke on them. */
const DROPPED = new Set(["$schema", "$id", "$defs", "definitions", "propertyNames", "prefixItems", "contentEncoding", "contentMediaType", "id"]);

/** Stable serialisation (sorted keys), used to recognise a shared type wherever it appears. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Named shapes (ObjectMeta, LabelSelector, …): a converted subschema equal to one becomes a
 * `$ref`. Only objects whose property names match are serialised and compared, so a large
 * kind is not re-serialised at every node.
 */
export class SharedShapes {
  private readonly byKeys = new Map<string, Map<string, string>>();

  private static keysOf(schema: Json): string | undefined {
    return isRecord(schema.properties) ? Object.keys(schema.properties).sort().join(",") : undefined;
  }

  add(schema: Json, name: string): void {
    const keys = SharedShapes.keysOf(schema);
    if (keys === undefined) return;
    const shapes = this.byKeys.get(keys) ?? new Map<string, string>();
    shapes.set(canonical(schema), name);
    this.byKeys.set(keys, shapes);
  }

  match(schema: Json): string | undefined {
    const keys = SharedShapes.keysOf(schema);
    const shapes = keys === undefined ? undefined : this.byKeys.get(keys);
    return shapes?.get(canonical(schema));
  }
}

export interface ConvertOptions {
  shared: SharedShapes;
  /** How a `$defs` name of this document is named in components.schemas. */
  defName(local: string): string;
  /** Component name for schemas marked `x-kubernetes-int-or-string`. */
  intOrString?: string;
}

function rewriteRef(ref: string, opts: ConvertOptions): string {
  const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
  return m ? REF_PREFIX + opts.defName(decodeURIComponent(m[1]!)) : ref;
}

function nonNullBranches(list: unknown[]): { rest: unknown[]; hadNull: boolean } {
  const rest = list.filter((s) => !(isRecord(s) && s.type === "null"));
  return { rest, hadNull: rest.length !== list.length };
}

/** Rewrites one schema node (and everything under it) into OpenAPI 3.0 form. */
export function toOpenApi(schema: unknown, opts: ConvertOptions): Json {
  if (!isRecord(schema)) return {};
  if (schema["x-kubernetes-int-or-string"] === true && opts.intOrString) return { $ref: REF_PREFIX + opts.intOrString };
  let out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    switch (key) {
      case "$ref":
        out.$ref = rewriteRef(String(value), opts);
        break;
      case "type":
        if (Array.isArray(value)) {
          const types = value.filter((t) => t !== "null");
          if (types.length !== value.length) out.nullable = true;
          if (types.length === 1) out.type = types[0];
          // Several non-null types have no OpenAPI 3.0 form: leave the type open.
        } else if (value !== "null") out.type = value;
        break;
      case "const":
        out.enum = [value];
        break;
      case "examples":
        if (Array.isArray(value) && value.length > 0) out.example = value[0];
        break;
      case "exclusiveMinimum":
      case "exclusiveMaximum":
        // 2020-12 puts the bound here; OpenAPI 3.0 wants minimum/maximum plus a boolean.
        if (typeof value === "number") {
          out[key === "exclusiveMinimum" ? "minimum" : "maximum"] = value;
          out[key] = true;
        } else out[key] = value;
        break;
      case "minimum":
      case "maximum":
        if (typeof value === "number" && Math.abs(value) === SAFE_INT) break;
        if (out[key] === undefined) out[key] = value;
        break;
      case "properties":
        if (isRecord(value)) {
          const props: Json = {};
          for (const [name, sub] of Object.entries(value)) props[name] = toOpenApi(sub, opts);
          out.properties = props;
        }
        break;
      case "items":
        out.items = Array.isArray(value) ? toOpenApi(value[0], opts) : toOpenApi(value, opts);
        break;
      case "additionalProperties":
      case "not":
        out[key] = typeof value === "boolean" ? value : toOpenApi(value, opts);
        break;
      case "anyOf":
      case "oneOf":
      case "allOf":
        if (Array.isArray(value)) {
          const { rest, hadNull } = nonNullBranches(value);
          if (hadNull) out.nullable = true;
          const converted = rest.map((s) => toOpenApi(s, opts));
          // `X | null` collapses to X with nullable, so kubectl can walk into X's properties.
          if (converted.length === 1 && key !== "allOf") out = { ...converted[0], ...out };
          else if (converted.length > 0) out[key] = converted;
        }
        break;
      default:
        out[key] = value;
    }
  }
  const name = opts.shared.match(out);
  return name ? { $ref: REF_PREFIX + name } : out;
}

/**
 * A whole zod JSON Schema document as components: the root under `name`, each `$defs` entry
 * (zod's home for recursive or id'd schemas) lifted beside it as `name.local`.
 */
export function convertRoot(json: unknown, name: string, opts: Omit<ConvertOptions, "defName">): Record<string, Json> {
  const full: ConvertOptions = { ...opts, defName: (local) => `${name}.${local}` };
  const out: Record<string, Json> = {};
  const defs = isRecord(json) ? (json.$defs ?? json.definitions) : undefined;
  if (isRecord(defs)) for (const [local, sub] of Object.entries(defs)) out[full.defName(local)] = toOpenApi(sub, full);
  out[name] = toOpenApi(json, full);
  return out;
}

/** A property that points at a component, keeping its own description as upstream does (allOf wrapper). */
export function refTo(name: string, extra: Json = {}): Json {
  return Object.keys(extra).length === 0 ? { $ref: REF_PREFIX + name } : { allOf: [{ $ref: REF_PREFIX + name }], ...extra };
}

/** Every `$ref` target used under a schema (to check a document is closed). */
export function refsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, found);
  else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith(REF_PREFIX)) found.add(v.slice(REF_PREFIX.length));
      else refsIn(v, found);
    }
  }
  return found;
}
