// Swagger 2.0 JSON → gnostic's openapi_v2.Document protobuf, the encoding kubectl 1.27 and 1.28
// ask /openapi/v2 for (and never fall back from). Field numbers follow gnostic-models'
// OpenAPIv2.proto; written with protobufjs/minimal's Writer because workerd forbids the codegen
// that protobufjs' reflection builds use. Values gnostic holds as `Any` carry YAML text, which is
// what kube-openapi parses vendor extensions from; JSON text is valid YAML, so we write JSON.
import { Writer } from "protobufjs/minimal.js";
import { isRecord, type Json } from "../../shared/json";

type Encode = (w: Writer, value: unknown) => void;
type Scalar = "string" | "bool" | "double" | "int64" | "strings" | "any" | "anys";
/** A field: its number, its JSON key, and how it is written. */
type Field = readonly [no: number, key: string, kind: Scalar | Encode | { repeated: Encode }];

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;

const tag = (no: number, wire: number) => (no << 3) | wire;

function writeMessage(w: Writer, no: number, encode: Encode, value: unknown): void {
  w.uint32(tag(no, WIRE_BYTES)).fork();
  encode(w, value);
  w.ldelim();
}

function writeString(w: Writer, no: number, value: string): void {
  if (value !== "") w.uint32(tag(no, WIRE_BYTES)).string(value);
}

/** gnostic's Any: field 2 holds the value as YAML (field 1, a protobuf Any, stays empty). */
const encodeAny: Encode = (w, v) => writeString(w, 2, JSON.stringify(v) ?? "null");

const encodeNamed = (valueEncode: Encode) => (w: Writer, pair: unknown): void => {
  const [name, value] = pair as [string, unknown];
  writeString(w, 1, name);
  writeMessage(w, 2, valueEncode, value);
};

function writeField(w: Writer, [no, , kind]: Field, v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof kind === "function") return writeMessage(w, no, kind, v);
  if (typeof kind === "object") {
    for (const item of Array.isArray(v) ? v : []) writeMessage(w, no, kind.repeated, item);
    return;
  }
  switch (kind) {
    case "string":
      if (typeof v === "string") writeString(w, no, v);
      return;
    case "bool":
      if (v === true) w.uint32(tag(no, WIRE_VARINT)).bool(true);
      return;
    case "double":
      if (typeof v === "number" && v !== 0) w.uint32(tag(no, WIRE_FIXED64)).double(v);
      return;
    case "int64":
      if (typeof v === "number" && Number.isInteger(v) && v !== 0) w.uint32(tag(no, WIRE_VARINT)).int64(v);
      return;
    case "strings":
      for (const s of Array.isArray(v) ? v : [v]) if (typeof s === "string") w.uint32(tag(no, WIRE_BYTES)).string(s);
      return;
    case "any":
      return writeMessage(w, no, encodeAny, v);
    case "anys":
      for (const item of Array.isArray(v) ? v : []) writeMessage(w, no, encodeAny, item);
      return;
  }
}

/**
 * A message encoder from its field list. `vendorNo` is the field holding `x-*` keys as
 * NamedAny, as gnostic's `vendor_extension`.
 */
function message(fields: readonly Field[], vendorNo?: number): Encode {
  return (w, value) => {
    if (!isRecord(value)) return;
    for (const field of fields) writeField(w, field, value[field[1]]);
    if (vendorNo === undefined) return;
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith("x-")) writeMessage(w, vendorNo, encodeNamed(encodeAny), [k, v]);
    }
  };
}

/** A oneof wrapper: picks the member field for a value (or none). */
function oneof(choose: (value: Json) => [no: number, encode: Encode] | undefined): Encode {
  return (w, value) => {
    if (!isRecord(value)) return;
    const choice = choose(value);
    if (choice) writeMessage(w, choice[0], choice[1], value);
  };
}
/** gnostic's map messages (Properties, Definitions, …): field 1 repeats Named{name, value}. */
const mapOf = (valueEncode: Encode): Encode => (w, v) => {
  if (!isRecord(v)) return;
  for (const pair of Object.entries(v)) writeMessage(w, 1, encodeNamed(valueEncode), pair);
};

// Lazily bound so the recursive Schema ↔ AdditionalPropertiesItem ↔ ItemsItem references resolve.
const schemaRef: Encode = (w, v) => encodeSchema(w, v);

const encodeXml = message([[1, "name", "string"], [2, "namespace", "string"], [3, "prefix", "string"], [4, "attribute", "bool"], [5, "wrapped", "bool"]], 6);
const encodeExternalDocs = message([[1, "description", "string"], [2, "url", "string"]], 3);

/** additionalProperties: a schema or a boolean. */
const encodeAdditionalProperties: Encode = (w, v) => {
  if (typeof v === "boolean") w.uint32(tag(2, WIRE_VARINT)).bool(v);
  else writeMessage(w, 1, schemaRef, v);
};
/** type: one name or a list of them. */
const encodeTypeItem: Encode = (w, v) => writeField(w, [1, "", "strings"], v);
/** items: one schema or a list of them. */
const encodeItemsItem: Encode = (w, v) => {
  for (const s of Array.isArray(v) ? v : [v]) writeMessage(w, 1, schemaRef, s);
};

const encodeSchema: Encode = message([
  [1, "$ref", "string"], [2, "format", "string"], [3, "title", "string"], [4, "description", "string"],
  [5, "default", "any"], [6, "multipleOf", "double"], [7, "maximum", "double"], [8, "exclusiveMaximum", "bool"],
  [9, "minimum", "double"], [10, "exclusiveMinimum", "bool"], [11, "maxLength", "int64"], [12, "minLength", "int64"],
  [13, "pattern", "string"], [14, "maxItems", "int64"], [15, "minItems", "int64"], [16, "uniqueItems", "bool"],
  [17, "maxProperties", "int64"], [18, "minProperties", "int64"], [19, "required", "strings"], [20, "enum", "anys"],
  [21, "additionalProperties", encodeAdditionalProperties], [22, "type", encodeTypeItem], [23, "items", encodeItemsItem],
  [24, "allOf", { repeated: schemaRef }], [25, "properties", mapOf(schemaRef)],
  [26, "discriminator", "string"], [27, "readOnly", "bool"], [28, "xml", encodeXml], [29, "externalDocs", encodeExternalDocs],
  [30, "example", "any"],
], 31);

/** The primitive-parameter fields shared by query, path, header and form parameters and their items, from `type` on. */
function primitiveFields(first: number, items: Encode): Field[] {
  const keys: Array<[string, Field[2]]> = [
    ["type", "string"], ["format", "string"], ["items", items], ["collectionFormat", "string"], ["default", "any"],
    ["maximum", "double"], ["exclusiveMaximum", "bool"], ["minimum", "double"], ["exclusiveMinimum", "bool"],
    ["maxLength", "int64"], ["minLength", "int64"], ["pattern", "string"], ["maxItems", "int64"], ["minItems", "int64"],
    ["uniqueItems", "bool"], ["enum", "anys"], ["multipleOf", "double"],
  ];
  return keys.map(([key, kind], i) => [first + i, key, kind] as const);
}

const primitivesItemsRef: Encode = (w, v) => encodePrimitivesItems(w, v);
const encodePrimitivesItems: Encode = message(primitiveFields(1, primitivesItemsRef), 18);

const PARAMETER_HEAD: Field[] = [[1, "required", "bool"], [2, "in", "string"], [3, "description", "string"], [4, "name", "string"]];
/** Query and formData parameters have allowEmptyValue at 5; path and header ones do not. */
const encodeQueryLike = message([...PARAMETER_HEAD, [5, "allowEmptyValue", "bool"], ...primitiveFields(6, encodePrimitivesItems)], 23);
const encodePathLike = message([...PARAMETER_HEAD, ...primitiveFields(5, encodePrimitivesItems)], 22);

const NON_BODY_MEMBER: Record<string, [number, Encode]> = {
  header: [1, encodePathLike],
  formData: [2, encodeQueryLike],
  query: [3, encodeQueryLike],
  path: [4, encodePathLike],
};
const encodeBodyParameter = message([[1, "description", "string"], [2, "name", "string"], [3, "in", "string"], [4, "required", "bool"], [5, "schema", encodeSchema]], 6);
const encodeParameter = oneof((p) =>
  p.in === "body" ? [1, encodeBodyParameter] : [2, oneof((q) => NON_BODY_MEMBER[String(q.in)])],
);
const encodeJsonReference = message([[1, "$ref", "string"], [2, "description", "string"]]);
const encodeParametersItem = oneof((p) => (typeof p.$ref === "string" ? [2, encodeJsonReference] : [1, encodeParameter]));

const encodeResponse = message([[1, "description", "string"], [2, "schema", oneof(() => [1, encodeSchema])]], 5);
const encodeResponseValue = oneof((r) => (typeof r.$ref === "string" ? [2, encodeJsonReference] : [1, encodeResponse]));
const encodeResponses: Encode = (w, v) => {
  if (!isRecord(v)) return;
  for (const [code, r] of Object.entries(v)) {
    if (code.startsWith("x-")) writeMessage(w, 2, encodeNamed(encodeAny), [code, r]);
    else writeMessage(w, 1, encodeNamed(encodeResponseValue), [code, r]);
  }
};

const encodeOperation = message([
  [1, "tags", "strings"], [2, "summary", "string"], [3, "description", "string"], [4, "externalDocs", encodeExternalDocs],
  [5, "operationId", "string"], [6, "produces", "strings"], [7, "consumes", "strings"],
  [8, "parameters", { repeated: encodeParametersItem }], [9, "responses", encodeResponses], [10, "schemes", "strings"],
  [11, "deprecated", "bool"],
], 13);
const encodePathItem = message([
  [1, "$ref", "string"], [2, "get", encodeOperation], [3, "put", encodeOperation], [4, "post", encodeOperation],
  [5, "delete", encodeOperation], [6, "options", encodeOperation], [7, "head", encodeOperation], [8, "patch", encodeOperation],
  [9, "parameters", { repeated: encodeParametersItem }],
], 10);
const encodePaths: Encode = (w, v) => {
  if (!isRecord(v)) return;
  for (const [path, item] of Object.entries(v)) {
    if (path.startsWith("x-")) writeMessage(w, 1, encodeNamed(encodeAny), [path, item]);
    else writeMessage(w, 2, encodeNamed(encodePathItem), [path, item]);
  }
};

const encodeSecurityRequirement: Encode = (w, v) => {
  if (!isRecord(v)) return;
  for (const pair of Object.entries(v)) writeMessage(w, 1, encodeNamed(message([[1, "value", "strings"]])), [pair[0], { value: pair[1] }]);
};
const SECURITY_MEMBER: Record<string, [number, Encode]> = {
  basic: [1, message([[1, "type", "string"], [2, "description", "string"]], 3)],
  apiKey: [2, message([[1, "type", "string"], [2, "name", "string"], [3, "in", "string"], [4, "description", "string"]], 5)],
};
const encodeSecurityDefinitionsItem = oneof((s) => SECURITY_MEMBER[String(s.type)]);

const encodeInfo = message([[1, "title", "string"], [2, "version", "string"], [3, "description", "string"], [4, "termsOfService", "string"]], 7);

const encodeDocument = message([
  [1, "swagger", "string"], [2, "info", encodeInfo], [3, "host", "string"], [4, "basePath", "string"],
  [5, "schemes", "strings"], [6, "consumes", "strings"], [7, "produces", "strings"], [8, "paths", encodePaths],
  [9, "definitions", mapOf(encodeSchema)], [12, "security", { repeated: encodeSecurityRequirement }],
  [13, "securityDefinitions", mapOf(encodeSecurityDefinitionsItem)], [15, "externalDocs", encodeExternalDocs],
], 16);

/** The gnostic protobuf encoding of a Swagger 2.0 document. */
export function encodeOpenApiV2(document: Json): Uint8Array {
  // Not Writer.create(): under workerd's Node compatibility it picks the Buffer writer, whose
  // string writes fail there ("The value of \"length\" is out of range").
  const w = new Writer();
  encodeDocument(w, document);
  return w.finish();
}
