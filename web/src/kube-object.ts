// The shape of an object as the detail page and its parts read it: metadata in full, spec and
// status only in the fields every kind's page shares (each part narrows to its kind's own).
import { humanDuration } from "../../shared/human-duration";
import type { OwnerReference } from "./label-selector";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  ownerReferences?: OwnerReference[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { replicas?: number; containers?: { name: string }[]; unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** kubectl's AGE column (apimachinery's HumanDuration, as the server's Table rows print it). */
export function age(timestamp: string | undefined, now = Date.now()): string {
  return timestamp ? humanDuration(now - Date.parse(timestamp)) : "";
}

/** A refusal's or a failure's message. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
