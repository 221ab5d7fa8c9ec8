// How a node Lease is read and what counts as a renewal: the NodeLeases view (renewTime,
// resourceVersion) laid over the SQL row, and the test that a PUT changes nothing but renewTime.
import { deepEqual } from "../../shared/deep-equal";
import type { KubeObject } from "../resources/types";
import type { ObjectKey, StoredObject } from "../store/types";
import type { LeaseView } from "./lease-table";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";
export const LEASE_GROUP = "coordination.k8s.io";

/**
 * The node heartbeats: Leases in kube-node-lease. One of the few kind names outside
 * worker/resources on purpose: where these live (a Durable Object, DESIGN decision 9) is a storage
 * decision for one namespace's Leases, not a strategy of the Lease kind.
 */
export function isNodeLeaseKey(key: Pick<ObjectKey, "group" | "resource" | "namespace">): boolean {
  return key.group === LEASE_GROUP && key.resource === "leases" && key.namespace === NODE_LEASE_NAMESPACE;
}

function specOf(obj: KubeObject): Record<string, unknown> {
  const spec = (obj as { spec?: unknown }).spec;
  return typeof spec === "object" && spec !== null && !Array.isArray(spec) ? (spec as Record<string, unknown>) : {};
}

export function renewTimeOf(obj: KubeObject): string | undefined {
  const t = specOf(obj).renewTime;
  return typeof t === "string" ? t : undefined;
}

/**
 * The row as clients see it: the view's renewTime and resourceVersion, while the view
 * belongs to this revision of the row (a write that did not pass through NodeLeases makes it stale).
 */
export function mergeLease(stored: StoredObject, view: LeaseView | undefined): StoredObject {
  if (!view || view.sqlRevision !== stored.revision) return stored;
  const spec = { ...specOf(stored.value) };
  if (view.renewTime !== undefined) spec.renewTime = view.renewTime;
  const value = { ...stored.value, spec, metadata: { ...stored.value.metadata, resourceVersion: String(view.resourceVersion) } } as KubeObject;
  return { key: stored.key, revision: view.resourceVersion, value };
}

const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && v !== null && Object.keys(v).length === 0);
const same = (a: unknown, b: unknown) => (empty(a) && empty(b)) || deepEqual(a, b);
/** Metadata a client may change; the rest is the server's (kept from the stored object on update). */
const CLIENT_METADATA = ["labels", "annotations", "ownerReferences", "finalizers"] as const;

/**
 * The new renewTime when `body` differs from `current` in spec.renewTime alone (a kubelet
 * heartbeat), else undefined: anything else is a real change and goes to SQL.
 */
export function renewalOf(body: KubeObject, current: KubeObject): string | undefined {
  const renewTime = renewTimeOf(body);
  if (renewTime === undefined) return undefined;
  const { renewTime: _b, ...bodySpec } = specOf(body);
  const { renewTime: _c, ...currentSpec } = specOf(current);
  if (!deepEqual(bodySpec, currentSpec)) return undefined;
  for (const field of CLIENT_METADATA) {
    if (!same(body.metadata[field], current.metadata[field])) return undefined;
  }
  return renewTime;
}
