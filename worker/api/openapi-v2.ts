// The Swagger 2.0 form of the group-version documents, for /openapi/v2 as JSON: same
// definitions (refs moved to #/definitions), operations with body parameters, no nullable.
import { REF_PREFIX } from "./openapi-schema";
import { isRecord, type Json } from "../../shared/json";

const V2_PREFIX = "#/definitions/";

/**
 * OpenAPI 3.0 schema → Swagger 2.0 schema (no nullable, no anyOf/oneOf, refs re-rooted). A
 * lone `allOf: [{$ref}]` (v3's way to give a reference its own description) becomes `$ref`
 * beside the description, as kube-apiserver's v2 document has it: kubectl's v2 parser reads
 * only `$ref` and would take the allOf field for an untyped one, losing its patch strategy.
 */
function schemaV2(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(schemaV2);
  if (!isRecord(value)) return value;
  const out: Json = {};
  const allOf = value.allOf;
  if (Array.isArray(allOf) && allOf.length === 1 && isRecord(allOf[0]) && typeof allOf[0].$ref === "string" && value.$ref === undefined) {
    const { allOf: _wrapped, ...rest } = value;
    return schemaV2({ ...rest, $ref: allOf[0].$ref });
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === "nullable" || k === "anyOf" || k === "oneOf") continue;
    if (k === "$ref" && typeof v === "string") out.$ref = v.startsWith(REF_PREFIX) ? V2_PREFIX + v.slice(REF_PREFIX.length) : v;
    else out[k] = schemaV2(v);
  }
  return out;
}

function firstSchema(content: unknown): unknown {
  if (!isRecord(content)) return undefined;
  const first = Object.values(content)[0];
  return isRecord(first) ? schemaV2(first.schema) : undefined;
}

function parameterV2(p: unknown): unknown {
  if (!isRecord(p)) return p;
  const { schema, ...rest } = p;
  return isRecord(schema) ? { ...rest, ...schema } : rest;
}

function operationV2(op: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(op)) {
    if (k === "requestBody" || k === "responses" || k === "parameters") continue;
    out[k] = v;
  }
  const params = Array.isArray(op.parameters) ? op.parameters.map(parameterV2) : [];
  const body = isRecord(op.requestBody) ? op.requestBody : undefined;
  if (body) {
    params.unshift({ name: "body", in: "body", required: body.required === true, schema: firstSchema(body.content) });
    if (isRecord(body.content)) out.consumes = Object.keys(body.content);
  }
  if (params.length) out.parameters = params;
  out.produces = ["application/json", "application/yaml"];
  out.schemes = ["https"];
  const responses: Json = {};
  if (isRecord(op.responses)) {
    for (const [code, r] of Object.entries(op.responses)) {
      if (!isRecord(r)) continue;
      const schema = firstSchema(r.content);
      responses[code] = schema ? { description: r.description, schema } : { description: r.description };
    }
  }
  out.responses = responses;
  return out;
}

export function swaggerV2(documents: Json[]): Json {
  const paths: Json = {};
  const definitions: Json = {};
  let version = "";
  for (const doc of documents) {
    if (isRecord(doc.info) && typeof doc.info.version === "string") version = doc.info.version;
    for (const [path, item] of Object.entries(isRecord(doc.paths) ? doc.paths : {})) {
      if (!isRecord(item)) continue;
      const v2: Json = {};
      for (const [k, v] of Object.entries(item)) {
        if (k === "parameters" && Array.isArray(v)) v2.parameters = v.map(parameterV2);
        else if (isRecord(v)) v2[k] = operationV2(v);
      }
      paths[path] = v2;
    }
    const schemas = isRecord(doc.components) && isRecord(doc.components.schemas) ? doc.components.schemas : {};
    for (const [name, s] of Object.entries(schemas)) definitions[name] ??= schemaV2(s);
  }
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version },
    paths,
    definitions: Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]])),
    securityDefinitions: { BearerToken: { type: "apiKey", description: "Bearer Token authentication", name: "authorization", in: "header" } },
    security: [{ BearerToken: [] }],
  };
}
