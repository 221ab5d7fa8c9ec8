// The PATCH engines behind one dispatcher: `applyPatch(contentType, live, patch, schema)`
// picks JSON patch, merge patch or strategic merge patch; server-side apply has its own
// entry point because it also rewrites managedFields and needs the manager.
import { PatchError } from "./errors";
import { applyJsonPatch } from "./json-patch";
import { applyMergePatch } from "./merge-patch";
import type { JsonSchema } from "./schema-walk";
import { applyServerSide, type ApplyOptions } from "./server-side-apply";
import { applyStrategicMergePatch } from "./strategic-merge";

export { PatchError } from "./errors";
export { applyJsonPatch } from "./json-patch";
export { applyMergePatch } from "./merge-patch";
export { applyStrategicMergePatch } from "./strategic-merge";
export { applyServerSide, type ApplyOptions } from "./server-side-apply";
export { updateManagedFields, decodeManagedFields, encodeManagedFields, type UpdateManagedFieldsOptions } from "./managed-fields";
export { FieldSet, pathToString } from "./field-set";
export { SchemaNode, type JsonSchema } from "./schema-walk";

export type PatchType = "json-patch" | "merge-patch" | "strategic-merge-patch" | "apply-patch";

const MEDIA_TYPES: Record<string, PatchType> = {
  "application/json-patch+json": "json-patch",
  "application/merge-patch+json": "merge-patch",
  "application/strategic-merge-patch+json": "strategic-merge-patch",
  "application/apply-patch+yaml": "apply-patch",
  "application/apply-patch+cbor": "apply-patch",
};

/** A Content-Type header or a short name (`merge-patch`) to the patch type, or undefined. */
export function patchTypeOf(contentType: string): PatchType | undefined {
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  if (Object.hasOwn(MEDIA_TYPES, media)) return MEDIA_TYPES[media];
  return (Object.values(MEDIA_TYPES) as string[]).includes(media) ? (media as PatchType) : undefined;
}

export interface PatchOptions {
  /** Needed for apply-patch only. */
  apply?: ApplyOptions;
}

/**
 * Applies a decoded patch body to a copy of `live` (inputs are never mutated). Throws
 * PatchError: 400 for a malformed patch, 422 for one that cannot apply, 409 for an apply conflict.
 */
export function applyPatch(
  contentType: string,
  live: unknown,
  patch: unknown,
  schema: JsonSchema | Record<string, unknown> | undefined,
  options: PatchOptions = {},
): unknown {
  const type = patchTypeOf(contentType);
  switch (type) {
    case "json-patch":
      return applyJsonPatch(live, patch);
    case "merge-patch":
      return applyMergePatch(live, patch);
    case "strategic-merge-patch":
      return applyStrategicMergePatch(live, patch, schema as JsonSchema | undefined);
    case "apply-patch": {
      if (!options.apply) throw new PatchError("server-side apply needs a field manager", 400);
      const current = live === null || live === undefined ? null : (live as Parameters<typeof applyServerSide>[0]);
      return applyServerSide(current, patch, { ...options.apply, schema: options.apply.schema ?? schema });
    }
    default:
      throw new PatchError(`unsupported patch type: ${contentType}`, 400);
  }
}
