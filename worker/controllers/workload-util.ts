// Helpers shared by the deployment, replicaset and statefulset reconcilers: template hashing
// (pkg/controller/controller_utils.go ComputeHash), pod readiness and availability, controller
// ownerReferences and claiming (ControllerRefManager), and the "least valuable pod first" order.
import { labelSelectorFromSpec, matchLabels, type LabelSelector, type LabelSelectorSpec } from "../../shared/selectors";
import type { KubeObject, OwnerReference } from "../resources/types";
import type { Action, ResourceRef, Snapshot } from "./types";
import { PODS, PVCS, canonicalJson, timeMs } from "./controller-util";
import { isRecord, num, rec, str, type Json } from "../../shared/json";

/** The basics every controller shares live in controller-util. */
export { PODS, PVCS, canonicalJson };

export const REPLICA_SETS: ResourceRef = { group: "apps", resource: "replicasets" };
export const DEPLOYMENTS: ResourceRef = { group: "apps", resource: "deployments" };
export const STATEFUL_SETS: ResourceRef = { group: "apps", resource: "statefulsets" };
export const CONTROLLER_REVISIONS: ResourceRef = { group: "apps", resource: "controllerrevisions" };


export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** FNV-1a, 32 bits, over bytes. */
function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** apimachinery rand.SafeEncodeString: each byte mapped into an alphabet without vowels or 0/1/3. */
export function safeEncodeString(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * controller.ComputeHash: FNV-32a of the template (here its canonical JSON), then the collision
 * count as four little-endian bytes, rendered as the decimal string through SafeEncodeString.
 */
export function computeHash(value: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(value)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const c = collisionCount >>> 0;
    h = fnv32a(new Uint8Array([c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff]), h);
  }
  return safeEncodeString(String(h));
}

export function creationMs(o: KubeObject): number {
  return timeMs(o.metadata.creationTimestamp) ?? 0;
}


export function podPhase(pod: KubeObject): string {
  return str(rec(pod.status).phase) ?? "";
}

export function isTerminating(o: KubeObject): boolean {
  return typeof o.metadata.deletionTimestamp === "string";
}

/** controller.FilterActivePods: not Succeeded, not Failed, not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== "Succeeded" && phase !== "Failed" && !isTerminating(pod);
}

function readyCondition(pod: KubeObject): Json | undefined {
  const conditions = rec(pod.status).conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c): c is Json => isRecord(c) && c.type === "Ready");
}

export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === "True";
}

export function isPodRunningAndReady(pod: KubeObject): boolean {
  return podPhase(pod) === "Running" && isPodReady(pod);
}

function readySinceMs(pod: KubeObject): number | undefined {
  const c = readyCondition(pod);
  return c?.status === "True" ? timeMs(c.lastTransitionTime) : undefined;
}

/** podutil.IsPodAvailable: ready, and ready for longer than minReadySeconds. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readySinceMs(pod);
  return since !== undefined && since + minReadySeconds * 1000 < now.getTime();
}

/** How long until a ready pod becomes available; undefined when not waiting on one. */
export function msUntilAvailable(pod: KubeObject, minReadySeconds: number, now: Date): number | undefined {
  if (minReadySeconds <= 0 || !isPodReady(pod)) return undefined;
  const since = readySinceMs(pod);
  if (since === undefined) return undefined;
  const due = since + minReadySeconds * 1000 + 1 - now.getTime();
  return due > 0 ? due : undefined;
}

function maxRestarts(pod: KubeObject): number {
  const statuses = rec(pod.status).containerStatuses;
  if (!Array.isArray(statuses)) return 0;
  return statuses.reduce((m: number, s) => Math.max(m, num(rec(s).restartCount)), 0);
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * controller.ActivePodsWithRanks (without the logarithmic buckets): sorts the least valuable
 * pod first. rank = how many of the set's pods share the pod's node (doubled-up pods go first).
 */
export function leastValuableFirst(pods: readonly KubeObject[]): KubeObject[] {
  const perNode = new Map<string, number>();
  const nodeOf = (p: KubeObject) => str(rec(p.spec).nodeName) ?? "";
  for (const p of pods) perNode.set(nodeOf(p), (perNode.get(nodeOf(p)) ?? 0) + 1);
  const rank = (p: KubeObject) => (nodeOf(p) ? (perNode.get(nodeOf(p)) ?? 0) : 0);
  return [...pods].sort((a, b) => {
    const na = nodeOf(a);
    const nb = nodeOf(b);
    if (na !== nb && (na === "" || nb === "")) return na === "" ? -1 : 1;
    const pa = PHASE_ORDER[podPhase(a)] ?? 0;
    const pb = PHASE_ORDER[podPhase(b)] ?? 0;
    if (pa !== pb) return pa - pb;
    const ra = isPodReady(a);
    const rb = isPodReady(b);
    if (ra !== rb) return ra ? 1 : -1;
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (ra && rb) {
      const ta = readySinceMs(a) ?? Number.MAX_SAFE_INTEGER;
      const tb = readySinceMs(b) ?? Number.MAX_SAFE_INTEGER;
      if (ta !== tb) return tb - ta;
    }
    if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(b) - maxRestarts(a);
    const ca = timeMs(a.metadata.creationTimestamp) ?? Number.MAX_SAFE_INTEGER;
    const cb = timeMs(b.metadata.creationTimestamp) ?? Number.MAX_SAFE_INTEGER;
    return cb - ca;
  });
}


export function controllerRefOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? "",
    uid: owner.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** metav1.LabelSelectorAsSelector, with an unparsable selector treated as matching nothing. */
export function selectorOf(spec: unknown): LabelSelector {
  try {
    return labelSelectorFromSpec(isRecord(spec) ? (spec as LabelSelectorSpec) : null);
  } catch {
    return null;
  }
}

export interface Claimed {
  /** Objects this owner controls after adoption and release (adopted ones carry the new ref). */
  owned: KubeObject[];
  /** Updates for adoptions and releases. */
  actions: Action[];
}

/**
 * ControllerRefManager.Claim: owned objects that still match stay; owned ones that no longer
 * match are released; orphans that match are adopted (unless the owner is being deleted).
 * Objects being deleted are never adopted nor released.
 */
export function claimObjects(
  owner: KubeObject,
  ref: ResourceRef,
  candidates: readonly KubeObject[],
  selector: LabelSelector,
  extraFilter: (o: KubeObject) => boolean = () => true,
): Claimed {
  const uid = owner.metadata.uid;
  const owned: KubeObject[] = [];
  const actions: Action[] = [];
  for (const o of candidates) {
    const cref = controllerRefOf(o);
    const matches = matchLabels(selector, o.metadata.labels) && extraFilter(o);
    if (cref) {
      if (cref.uid !== uid) continue;
      if (matches || isTerminating(o)) {
        owned.push(o);
        continue;
      }
      if (isTerminating(owner)) continue;
      const released = clone(o);
      released.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      actions.push({ type: "update", ref, object: released });
      continue;
    }
    if (!matches || isTerminating(o) || isTerminating(owner)) continue;
    const adopted = clone(o);
    adopted.metadata.ownerReferences = [...(o.metadata.ownerReferences ?? []), newControllerRef(owner)];
    actions.push({ type: "update", ref, object: adopted });
    owned.push(adopted);
  }
  return { owned, actions };
}

/** Objects of a kind in a namespace (the candidates to claim). */
export function inNamespace(snapshot: Snapshot, ref: ResourceRef, namespace: string | undefined): readonly KubeObject[] {
  return snapshot.list(ref, namespace ?? "");
}


/** intstr.GetScaledValueFromIntOrPercent; undefined for a malformed value. */
export function scaledValue(v: unknown, total: number, roundUp: boolean): number | undefined {
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v !== "string") return undefined;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return /^\d+$/.test(v) ? Number(v) : undefined;
  const raw = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/** Creates left this pass, shared by every object one controller reconciles (STYLE rule 3). */
export interface CreateBudget {
  creates: number;
}

/** The smaller of two requeue delays, either of which may be absent. */
export function minDelay(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
