// RFC 7386 JSON Merge Patch: objects merge recursively, `null` deletes a key, anything
// else (lists included) replaces. kube-apiserver uses it for application/merge-patch+json.
import { PatchError } from "./errors";
import { isRecord } from "../../../shared/json";
import { clone } from "./json-value";

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) {
    if (patch === undefined) throw new PatchError("the request body is empty", 400);
    return clone(patch);
  }
  const out: Record<string, unknown> = isRecord(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
