// Field ownership on every write (kube-apiserver's managedFields): non-apply writes give
// the fields they changed to their manager, so a later server-side apply can detect conflicts.
import { timestamp } from "../../shared/time";
import { jsonSchemaOf } from "../resources/json-schema";
import type { KubeObject, ResourceDef } from "../resources/types";
import { updateManagedFields } from "./patch";

export interface ManagedOptions {
  manager: string;
  operation: "Apply" | "Update";
  now: Date;
  subresource?: string;
}

/** Sets obj.metadata.managedFields from old → obj; `old` null for a create. */
export function recordManagedFields(def: ResourceDef, old: KubeObject | null, obj: KubeObject, options: ManagedOptions): void {
  obj.metadata.managedFields = updateManagedFields(old, obj, {
    manager: options.manager,
    operation: options.operation,
    apiVersion: obj.apiVersion,
    time: timestamp(options.now),
    subresource: options.subresource === "status" || options.subresource === "scale" ? options.subresource : undefined,
    schema: jsonSchemaOf(def),
  });
}
