// Drives a ResourceDef the way the create/update verbs do (type meta, metadata, strategy,
// schema, kind rules), without a store, so tests see exactly what the API would store.
import { parse } from "yaml";
import { checkNamespace, checkTypeMeta, initCreateMeta, keepSystemMeta } from "../../../worker/api/object-meta";
import { StatusError, type StatusCause } from "../../../shared/status-error";
import { validateObject } from "../../../worker/api/validate";
import type { KubeObject, ResourceDef } from "../../../worker/resources/types";

export const NOW = new Date("2025-01-01T00:00:00Z");
const CTX = { now: NOW, user: "admin" };

/** YAML text to an object; tabs used as indentation in the course notes become two spaces. */
export function manifest(text: string): KubeObject {
  return parse(text.replace(/^\t+/gm, (tabs) => "  ".repeat(tabs.length))) as KubeObject;
}

function versionOf(def: ResourceDef, obj: KubeObject): string {
  const apiVersion = obj.apiVersion ?? def.version;
  return apiVersion.includes("/") ? apiVersion.split("/")[1]! : apiVersion;
}

export function create(def: ResourceDef, input: KubeObject, namespace?: string): KubeObject {
  const obj = checkTypeMeta(def, versionOf(def, input), structuredClone(input));
  checkNamespace(def, obj, namespace ?? obj.metadata.namespace);
  initCreateMeta(def, obj, NOW);
  def.prepareForCreate?.(obj, CTX);
  const stored = validateObject(def, obj);
  stored.metadata.resourceVersion = "1";
  return stored;
}

export function update(def: ResourceDef, old: KubeObject, next: KubeObject): KubeObject {
  const candidate = checkTypeMeta(def, versionOf(def, next), structuredClone(next));
  candidate.metadata = { ...candidate.metadata, name: old.metadata.name, namespace: old.metadata.namespace };
  keepSystemMeta(def, candidate, old);
  if (def.subresources.status) {
    if (old.status === undefined) delete candidate.status;
    else candidate.status = structuredClone(old.status);
  }
  def.prepareForUpdate?.(candidate, old, CTX);
  return validateObject(def, candidate, old);
}

/** The causes of the 422 a write fails with (fails the test when it succeeds). */
export function causesOf(write: () => unknown): StatusCause[] {
  try {
    write();
  } catch (e) {
    if (e instanceof StatusError && e.code === 422) return e.details?.causes ?? [];
    throw e;
  }
  throw new Error("expected the write to be rejected with 422");
}
