// Each kind's JSON Schema, derived once from its zod schema: the patch engines read
// merge keys from it and the OpenAPI document is built from it.
import { z } from "zod";
import type { ResourceDef } from "./types";

const cache = new WeakMap<ResourceDef, Record<string, unknown>>();

export function jsonSchemaOf(def: ResourceDef): Record<string, unknown> {
  let schema = cache.get(def);
  if (!schema) {
    // "input" keeps fields with defaults optional; unrepresentable parts become `{}` (any).
    schema = z.toJSONSchema(def.schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    cache.set(def, schema);
  }
  return schema;
}
