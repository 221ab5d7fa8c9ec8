// Helpers every controller shares: resource refs,
// conditions, timestamps and quantities. (JSON narrowing is in shared/json.ts.)
import { isRecord, rec, records, str, type Json } from "../../shared/json";
import { timestamp } from "../../shared/time";
import { parseQuantity } from "../../shared/quantity";
import type { KubeObject } from "../resources/types";
import type { ResourceRef } from "./types";

export const PODS: ResourceRef = { group: "", resource: "pods" };
export const NODES: ResourceRef = { group: "", resource: "nodes" };
export const SERVICES: ResourceRef = { group: "", resource: "services" };
export const ENDPOINTS: ResourceRef = { group: "", resource: "endpoints" };
export const ENDPOINT_SLICES: ResourceRef = { group: "discovery.k8s.io", resource: "endpointslices" };
export const NAMESPACES: ResourceRef = { group: "", resource: "namespaces" };
export const SERVICE_ACCOUNTS: ResourceRef = { group: "", resource: "serviceaccounts" };
export const LEASES: ResourceRef = { group: "coordination.k8s.io", resource: "leases" };
export const PVS: ResourceRef = { group: "", resource: "persistentvolumes" };
export const PVCS: ResourceRef = { group: "", resource: "persistentvolumeclaims" };
export const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", resource: "storageclasses" };

export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(rec(v))) if (typeof x === "string") out[k] = x;
  return out;
}

/** JSON with sorted keys and undefined members dropped: the stable form compared to avoid no-op writes. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonicalJson(x))).join(",")}]`;
  if (isRecord(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}



export function timeMs(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

export function isDeleting(o: KubeObject): boolean {
  return typeof o.metadata.deletionTimestamp === "string" && o.metadata.deletionTimestamp !== "";
}

export function podPhase(pod: KubeObject): string {
  return str(rec(pod.status).phase) ?? "Pending";
}

export function isTerminal(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === "Succeeded" || phase === "Failed";
}

export function conditionOf(obj: KubeObject, type: string): Json | undefined {
  return records(rec(obj.status).conditions).find((c) => c.type === type);
}

/**
 * The object's status.conditions with `next` merged in, or undefined when nothing changes.
 * lastTransitionTime moves only when status does (apimachinery meta.SetStatusCondition).
 */
export function withCondition(obj: KubeObject, next: Json, now: Date): Json[] | undefined {
  const conditions = records(rec(obj.status).conditions);
  const i = conditions.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? conditions[i] : undefined;
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return undefined;
  const merged: Json = { ...old, ...next };
  if (!old || old.status !== next.status) merged.lastTransitionTime = timestamp(now);
  const out = [...conditions];
  if (i >= 0) out[i] = merged;
  else out.push(merged);
  return out;
}

/** A quantity in its base unit (cores, bytes); 0 when absent or malformed. */
export function quantity(q: unknown): number {
  return parseQuantity(q) ?? 0;
}


export function nsName(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}

export function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
