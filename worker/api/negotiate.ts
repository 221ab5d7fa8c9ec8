// Content negotiation: which representation the client asked for (JSON, YAML, a
// meta.k8s.io Table, or PartialObjectMetadata) and how to read its request body.
import { parse as parseYaml } from "yaml";
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF, ProtobufDecodeError } from "./protobuf/decode";
import { badRequest, notAcceptable, tooLarge, unsupportedMediaType } from "../../shared/status-error";

export type OutputFormat =
  | { type: "json" }
  | { type: "yaml" }
  | { type: "table"; version: "v1" | "v1beta1" }
  | { type: "meta"; version: "v1" | "v1beta1" };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(",")
    .map((part) => {
      const [type, ...params] = part.split(";").map((s) => s.trim());
      const record: Record<string, string> = {};
      for (const p of params) {
        const eq = p.indexOf("=");
        if (eq > 0) record[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
      }
      return { type: (type ?? "").toLowerCase(), params: record };
    })
    .filter((m) => m.type.length > 0);
}

/** First acceptable representation in the client's order, as kube-apiserver picks. */
export function negotiateOutput(accept: string | undefined): OutputFormat {
  if (!accept) return { type: "json" };
  const ranges = parseAccept(accept);
  for (const m of ranges) {
    const isJson = m.type === "application/json" || m.type === "application/*" || m.type === "*/*";
    if (m.params.as) {
      if (!isJson || m.params.g !== "meta.k8s.io") continue;
      const version = m.params.v === "v1beta1" ? "v1beta1" : m.params.v === "v1" ? "v1" : undefined;
      if (!version) continue;
      if (m.params.as === "Table") return { type: "table", version };
      if (m.params.as === "PartialObjectMetadata" || m.params.as === "PartialObjectMetadataList")
        return { type: "meta", version };
      continue;
    }
    if (isJson) return { type: "json" };
    if (m.type === "application/yaml" || m.type === "application/x-yaml" || m.type === "text/yaml") return { type: "yaml" };
  }
  throw notAcceptable(accept);
}

/** kube-apiserver's default request body limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export type BodyType = "json" | "yaml" | "protobuf" | "json-patch" | "merge-patch" | "strategic-merge-patch" | "apply-patch";

export function bodyTypeOf(contentType: string | undefined): BodyType {
  const media = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
  switch (media) {
    case "application/json":
    case "":
      return "json";
    case "application/yaml":
    case "application/x-yaml":
    case "text/yaml":
      return "yaml";
    case KUBERNETES_PROTOBUF:
      return "protobuf";
    case "application/json-patch+json":
      return "json-patch";
    case "application/merge-patch+json":
      return "merge-patch";
    case "application/strategic-merge-patch+json":
      return "strategic-merge-patch";
    case "application/apply-patch+yaml":
    case "application/apply-patch+json":
      return "apply-patch";
    default:
      throw unsupportedMediaType(media);
  }
}

export async function readBodyText(request: Request): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(request));
}

/** Reads at most MAX_BODY_BYTES, stopping early instead of buffering an oversized body. */
export async function readBodyBytes(request: Request): Promise<Uint8Array> {
  const length = request.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge(MAX_BODY_BYTES);
  if (!request.body) return new Uint8Array();
  // A declared length is held to by the runtime: one read, no chunk copying.
  if (length !== null && /^\d+$/.test(length.trim())) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge(MAX_BODY_BYTES);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return all;
}

/** A protobuf body (what client-go's typed clients send) as the equivalent JSON value. */
export function decodeProtobufBody(bytes: Uint8Array): Record<string, unknown> {
  try {
    return decodeKubernetesProtobuf(bytes);
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw badRequest(`error decoding protobuf body: ${e.message}`);
    throw e;
  }
}

/** Decodes a JSON or YAML body into a plain value; malformed input is a 400, never a crash. */
export function decodeBody(text: string, type: BodyType): unknown {
  if (text.trim() === "") throw badRequest("the request body is empty");
  const yamlish = type === "yaml" || type === "apply-patch";
  try {
    return yamlish ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw badRequest(
      yamlish ? `error converting YAML to JSON: ${why}` : `couldn't get version/kind; json parse error: ${why}`,
    );
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
