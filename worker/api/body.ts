// Request bodies for create/update: decoded (JSON or YAML), checked to be one object,
// and compared against the schema for unknown fields (`fieldValidation`).
import type { KubeObject, ResourceDef } from "../resources/types";
import type { ApiContext } from "./context";
import { query } from "./context";
import { bodyTypeOf, decodeBody, decodeProtobufBody, isPlainObject, readBodyBytes, readBodyText } from "./negotiate";
import { badRequest } from "../../shared/status-error";
import { fieldPath, validateObject, withoutNulls } from "./validate";

export async function readObjectBody(ctx: ApiContext): Promise<KubeObject> {
  const type = bodyTypeOf(ctx.request.headers.get("content-type") ?? undefined);
  if (type !== "json" && type !== "yaml" && type !== "protobuf") {
    throw badRequest(`the content type ${ctx.request.headers.get("content-type")} is only accepted by PATCH`);
  }
  const decoded =
    type === "protobuf"
      ? decodeProtobufBody(await readBodyBytes(ctx.request))
      : decodeBody(await readBodyText(ctx.request), type);
  // `metadata: null`, `limits:` with nothing after it: not set, as kube-apiserver decodes them.
  const value = withoutNulls(decoded);
  if (!isPlainObject(value)) throw badRequest("the request body must be a single JSON or YAML object");
  if (value.metadata !== undefined && !isPlainObject(value.metadata)) {
    throw badRequest("metadata: must be an object");
  }
  return { ...value, metadata: { ...((value.metadata as Record<string, unknown>) ?? {}) } } as KubeObject;
}

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export function fieldValidationOf(ctx: ApiContext): FieldValidation {
  const v = query(ctx, "fieldValidation");
  if (v === undefined || v === "") return "Warn";
  if (v === "Strict" || v === "Warn" || v === "Ignore") return v;
  throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Warn", "Strict"`);
}

/** Paths present in `input` that the schema dropped from `parsed`: the unknown fields. */
export function droppedFields(input: unknown, parsed: unknown, path: (string | number)[] = [], out: string[] = []): string[] {
  if (Array.isArray(input) && Array.isArray(parsed)) {
    input.forEach((v, i) => droppedFields(v, parsed[i], [...path, i], out));
  } else if (isPlainObject(input) && isPlainObject(parsed)) {
    for (const [k, v] of Object.entries(input)) {
      if (!(k in parsed)) out.push(fieldPath([...path, k]));
      else droppedFields(v, parsed[k], [...path, k], out);
    }
  }
  return out;
}

/**
 * The decode step: the body is checked against the kind's schema before any defaulting
 * (a wrong type is a 422 naming the field) and unknown fields are handled per
 * `fieldValidation`: Strict rejects them (400), Warn reports them as `Warning` headers,
 * Ignore drops them silently. Returns the decoded object (unknown fields dropped).
 */
export function decodeObject(ctx: ApiContext, def: ResourceDef, input: KubeObject): { obj: KubeObject; warnings: string[] } {
  const mode = fieldValidationOf(ctx);
  input = withoutNulls(input);
  const obj = validateObject(def, input, undefined, { schemaOnly: true });
  if (mode === "Ignore") return { obj, warnings: [] };
  const unknown = droppedFields(input, obj);
  if (unknown.length === 0) return { obj, warnings: [] };
  const messages = unknown.map((f) => `unknown field "${f}"`);
  if (mode === "Strict") throw badRequest(`strict decoding error: ${messages.join(", ")}`);
  return { obj, warnings: messages };
}

/** Adds `Warning: 299 - "…"` headers, which kubectl prints as `Warning: …`. */
export function withWarnings(response: Response, warnings: string[]): Response {
  if (warnings.length === 0) return response;
  const headers = new Headers(response.headers);
  for (const w of warnings) headers.append("Warning", `299 - ${JSON.stringify(w)}`);
  return new Response(response.body, { status: response.status, headers });
}
