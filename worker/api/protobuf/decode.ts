// Decodes a Kubernetes protobuf request body (application/vnd.kubernetes.protobuf: `k8s\0` +
// runtime.Unknown) into the JSON object kube-apiserver would have read. Table-driven over our own
// descriptor with protobufjs/minimal's Reader: protobufjs' Type.decode generates code with
// `Function`, which workerd forbids, so the full/light builds cannot be used here.
import { type Json } from "../../../shared/json";
import { Reader, util } from "protobufjs/minimal.js";
import { fieldsOf, messageForKind } from "./descriptor";
import type { FieldDef } from "./descriptor-types";

export const KUBERNETES_PROTOBUF = "application/vnd.kubernetes.protobuf";
const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"
/** Deeper nesting than any Kubernetes object has means a hostile or corrupt body. */
const MAX_DEPTH = 64;

export class ProtobufDecodeError extends Error {
  override readonly name = "ProtobufDecodeError";
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const VARINT_TYPES = new Set(["int32", "int64", "bool"]);
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Decode a whole body: magic, envelope, then the object chosen by the envelope's TypeMeta. */
export function decodeKubernetesProtobuf(bytes: Uint8Array): Json {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new ProtobufDecodeError("protobuf body does not start with the Kubernetes magic prefix \"k8s\\0\"");
  }
  const envelope = decodeMessageBytes(bytes.subarray(MAGIC.length), "Unknown", "runtime.Unknown");
  const typeMeta = (envelope.typeMeta ?? {}) as Json;
  const apiVersion = typeof typeMeta.apiVersion === "string" ? typeMeta.apiVersion : "";
  const kind = typeof typeMeta.kind === "string" ? typeMeta.kind : "";
  if (envelope.contentEncoding) {
    throw new ProtobufDecodeError(`unsupported protobuf contentEncoding "${String(envelope.contentEncoding)}"`);
  }
  const message = messageForKind(apiVersion, kind);
  if (!message) {
    throw new ProtobufDecodeError(`protobuf decoding of ${kind || "(no kind)"} in ${apiVersion || "(no apiVersion)"} is not supported; send JSON`);
  }
  const raw = envelope.raw instanceof Uint8Array ? envelope.raw : new Uint8Array(0);
  return { apiVersion, kind, ...decodeMessageBytes(raw, message, kind) };
}

function decodeMessageBytes(bytes: Uint8Array, message: string, what: string): Json {
  const reader = Reader.create(bytes);
  try {
    return decodeMessage(reader, bytes.length, message, 0, message === "Unknown");
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw err;
    throw new ProtobufDecodeError(`invalid protobuf ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `raw` keeps the envelope's bytes as a Uint8Array instead of base64 (it is only the top level). */
function decodeMessage(r: Reader, end: number, message: string, depth: number, raw = false): Json {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError("protobuf message nested too deeply");
  const fields = fieldsOf(message);
  if (!fields) throw new ProtobufDecodeError(`internal: no protobuf descriptor for ${message}`);
  const out: Json = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    const field = fields.get(tag >>> 3);
    if (!field) {
      r.skipType(wire); // unknown field: skipped, as kube-apiserver's protobuf decoder does
      continue;
    }
    readField(r, wire, field, out, message, depth, raw);
  }
  if (r.pos !== end) throw new ProtobufDecodeError(`truncated protobuf ${message}`);
  return out;
}

function readField(r: Reader, wire: number, f: FieldDef, out: Json, message: string, depth: number, raw: boolean): void {
  const where = `${message}.${f.name} (field ${f.no})`;
  if (f.mapValue !== undefined) {
    expectWire(wire, WIRE_BYTES, where);
    const [key, value] = readMapEntry(r, f.mapValue, depth);
    const map = (out[f.name] ??= {}) as Json;
    map[key] = value;
    return;
  }
  if (f.repeated && wire === WIRE_BYTES && VARINT_TYPES.has(f.type)) {
    const end = r.uint32() + r.pos; // packed repeated scalars
    const list = (out[f.name] ??= []) as unknown[];
    while (r.pos < end) list.push(readScalar(r, f.type));
    return;
  }
  const value = readValue(r, wire, f.type, where, depth, raw && f.type === "bytes");
  if (f.inline) {
    Object.assign(out, value as Json);
  } else if (f.repeated) {
    ((out[f.name] ??= []) as unknown[]).push(value);
  } else if (f.pointer || !isZero(value)) {
    out[f.name] = value;
  }
}

/** Go's JSON omits these for non-pointer `omitempty` fields; the generated protobuf writes them anyway. */
function isZero(value: unknown): boolean {
  return value === "" || value === 0 || value === false || value === undefined;
}

function readValue(r: Reader, wire: number, type: string, where: string, depth: number, keepBytes = false): unknown {
  if (type === "double") {
    expectWire(wire, WIRE_FIXED64, where);
    return r.double();
  }
  if (VARINT_TYPES.has(type)) {
    expectWire(wire, WIRE_VARINT, where);
    return readScalar(r, type);
  }
  expectWire(wire, WIRE_BYTES, where);
  if (type === "string") return utf8(r.bytes());
  if (type === "bytes") {
    const b = r.bytes();
    return keepBytes ? b : util.base64.encode(b, 0, b.length);
  }
  const end = r.uint32() + r.pos;
  if (end > r.len) throw new ProtobufDecodeError(`truncated protobuf at ${where}`);
  switch (type) {
    case "Time":
      return readTime(r, end, false);
    case "MicroTime":
      return readTime(r, end, true);
    case "Quantity":
      return String(decodeSpecial(r, end, ["1 string string"]).string ?? "");
    case "IntOrString": {
      const v = decodeSpecial(r, end, ["1 type int64", "2 intVal int32", "3 strVal string"]);
      return v.type === 1 ? (v.strVal ?? "") : (v.intVal ?? 0);
    }
    case "FieldsV1":
      return readFieldsV1(r, end, where);
    default:
      return decodeMessage(r, end, type, depth + 1);
  }
}

function readScalar(r: Reader, type: string): number | boolean {
  if (type === "bool") return r.bool();
  if (type === "int32") return r.int32();
  const v: unknown = r.int64();
  return typeof v === "number" ? v : Number(String(v)); // a Long when long.js is present
}

function readMapEntry(r: Reader, valueType: string, depth: number): [string, unknown] {
  const end = r.uint32() + r.pos;
  let key = "";
  let value: unknown = valueType === "string" || valueType === "bytes" || valueType === "Quantity" ? "" : {};
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    if (tag >>> 3 === 1) key = String(readValue(r, wire, "string", "map key", depth));
    else if (tag >>> 3 === 2) value = readValue(r, wire, valueType, `map value of ${key}`, depth);
    else r.skipType(wire);
  }
  if (r.pos !== end) throw new ProtobufDecodeError("truncated protobuf map entry");
  return [key, value];
}

/** A tiny inline message (Quantity, IntOrString, Time): decoded with ad-hoc field lines. */
function decodeSpecial(r: Reader, end: number, lines: string[]): Json {
  const out: Json = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    const line = lines.find((l) => l.startsWith(`${tag >>> 3} `));
    if (!line) {
      r.skipType(wire);
      continue;
    }
    const [, name = "", type = ""] = line.split(" ");
    out[name] = readValue(r, wire, type, name, 0, true);
  }
  if (r.pos !== end) throw new ProtobufDecodeError("truncated protobuf value");
  return out;
}

/** metav1.Time {1: seconds, 2: nanos} → RFC 3339 (seconds precision); MicroTime keeps microseconds. Zero → omitted. */
function readTime(r: Reader, end: number, micro: boolean): string | undefined {
  const v = decodeSpecial(r, end, ["1 seconds int64", "2 nanos int32"]);
  const seconds = Number(v.seconds ?? 0);
  const nanos = Number(v.nanos ?? 0);
  if (seconds === 0 && nanos === 0) return undefined;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new ProtobufDecodeError(`timestamp out of range: ${seconds}s`);
  const base = date.toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z` : `${base}Z`;
}

/** FieldsV1 {1: raw} holds the JSON of the managed-fields set. */
function readFieldsV1(r: Reader, end: number, where: string): unknown {
  const v = decodeSpecial(r, end, ["1 raw bytes"]);
  if (!(v.raw instanceof Uint8Array) || v.raw.length === 0) return {};
  try {
    return JSON.parse(utf8(v.raw)) as unknown;
  } catch {
    throw new ProtobufDecodeError(`${where}: fieldsV1 is not valid JSON`);
  }
}

function utf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new ProtobufDecodeError("protobuf string is not valid UTF-8");
  }
}

function expectWire(actual: number, expected: number, where: string): void {
  if (actual !== expected) {
    throw new ProtobufDecodeError(`protobuf wire type ${actual} where ${expected} was expected at ${where}`);
  }
}
