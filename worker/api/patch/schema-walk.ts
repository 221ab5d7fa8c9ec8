// Navigating a kind's JSON Schema (as z.toJSONSchema emits it) to read the Kubernetes
// patch extensions at a path: `$ref` into `$defs`, `anyOf` for nullable/unions and
// `allOf` wrappers are looked through; a missing or loose node yields "unknown".

/** One node of a JSON Schema, with the Kubernetes OpenAPI extensions the engines obey. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  "x-kubernetes-patch-merge-key"?: string;
  "x-kubernetes-patch-strategy"?: string;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: string;
  [key: string]: unknown;
}

const EXTENSION_PREFIX = "x-kubernetes-";
const MAX_REF_DEPTH = 32;

/** A schema node together with the document root its `$ref`s resolve against. */
export class SchemaNode {
  private constructor(
    readonly root: JsonSchema,
    readonly node: JsonSchema,
  ) {}

  /** The root of a kind's schema; `undefined`/`{}` gives a node that knows nothing. */
  static of(root: JsonSchema | Record<string, unknown> | undefined): SchemaNode {
    const r = (root ?? {}) as JsonSchema;
    return new SchemaNode(r, resolve(r, r));
  }

  private child(node: JsonSchema | undefined): SchemaNode | undefined {
    return node === undefined ? undefined : new SchemaNode(this.root, resolve(this.root, node));
  }

  /** The schema of field `name` of this object (named property, else additionalProperties). */
  field(name: string): SchemaNode | undefined {
    const props = this.node.properties;
    if (props && Object.hasOwn(props, name)) return this.child(props[name]);
    const extra = this.node.additionalProperties;
    if (extra && typeof extra === "object") return this.child(extra);
    return undefined;
  }

  /** The schema of this list's items. */
  items(): SchemaNode | undefined {
    return this.child(this.node.items);
  }

  /** True when the node names its fields (a struct), false for a map or unknown. */
  get isStruct(): boolean {
    return this.node.properties !== undefined && !this.node.additionalProperties;
  }

  get patchStrategy(): string[] {
    const s = this.node["x-kubernetes-patch-strategy"];
    return typeof s === "string" ? s.split(",").map((p) => p.trim()).filter(Boolean) : [];
  }

  get mergeKey(): string | undefined {
    const k = this.node["x-kubernetes-patch-merge-key"];
    return typeof k === "string" ? k : undefined;
  }

  get listType(): "atomic" | "set" | "map" | undefined {
    const t = this.node["x-kubernetes-list-type"];
    return t === "atomic" || t === "set" || t === "map" ? t : undefined;
  }

  /** list-map-keys, falling back to the SMP merge key as structured-merge-diff does for built-ins. */
  get listMapKeys(): string[] {
    const keys = this.node["x-kubernetes-list-map-keys"];
    if (Array.isArray(keys) && keys.every((k) => typeof k === "string")) return keys;
    const mk = this.mergeKey;
    return mk ? [mk] : [];
  }

  get mapType(): "atomic" | "granular" | undefined {
    const t = this.node["x-kubernetes-map-type"];
    return t === "atomic" || t === "granular" ? t : undefined;
  }
}

/** Follows `$ref` and flattens unions to the branch that says most (object/array); extensions on wrappers win. */
export function resolve(root: JsonSchema, node: JsonSchema, depth = 0): JsonSchema {
  if (depth > MAX_REF_DEPTH) return node;
  let out: JsonSchema = node;
  if (typeof node.$ref === "string") {
    const target = lookupRef(root, node.$ref);
    if (target) out = mergeNodes(resolve(root, target, depth + 1), node);
  }
  for (const key of ["allOf", "anyOf", "oneOf"] as const) {
    const branches = out[key];
    if (!Array.isArray(branches) || branches.length === 0) continue;
    const resolved = branches.map((b) => resolve(root, b, depth + 1));
    const best = resolved.find((b) => b.properties || b.additionalProperties || b.items) ?? resolved.find((b) => !isNullOnly(b));
    if (best) {
      const rest: JsonSchema = { ...out };
      delete rest[key];
      out = mergeNodes(best, rest);
    }
  }
  return out;
}

function isNullOnly(node: JsonSchema): boolean {
  return node.type === "null";
}

/** `over`'s own keys (extensions, properties) take precedence over `base`'s. */
function mergeNodes(base: JsonSchema, over: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === "$ref") continue;
    if (k.startsWith(EXTENSION_PREFIX) || out[k] === undefined) out[k] = v;
  }
  return out;
}

function lookupRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === "object" && cur !== null ? (cur as JsonSchema) : undefined;
}
