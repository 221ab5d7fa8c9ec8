// The controller contract (DESIGN decision 4, STYLE rule 3): a controller is a pure
// function from a snapshot of the cluster to the writes that move it toward the spec.
// Only the controller loop (worker/durable/controller-loop.ts) performs I/O.
import { CLUSTER_CIDR, NODE_CIDR_MASK_SIZE, NODE_PORT_RANGE, SERVICE_CIDR } from "../../shared/cluster-network";
import type { Registry } from "../resources/registry";
import type { KubeObject } from "../resources/types";

export interface ResourceRef {
  group: string;
  /** Lower-case plural: `pods`. */
  resource: string;
}

/** A kind as the registry describes it: what the garbage collector and namespace deletion walk. */
export interface KindInfo {
  ref: ResourceRef;
  kind: string;
  namespaced: boolean;
}

/** A read-only view of the cluster as the loop's informer cache holds it. */
export interface Snapshot {
  /** All objects of a kind, optionally in one namespace, in (namespace, name) order. */
  list(ref: ResourceRef, namespace?: string): readonly KubeObject[];
  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Objects whose ownerReferences name this uid (the garbage collector's graph). */
  ownedBy(uid: string): readonly { ref: ResourceRef; object: KubeObject }[];
  /** The object with this uid, when the snapshot indexes them (the informer does). */
  byUid?(uid: string): { ref: ResourceRef; object: KubeObject } | undefined;
}

export type EventType = "Normal" | "Warning";

/**
 * What a reconcile asks for. Updates carry the resourceVersion they were computed
 * from: the loop writes them with that precondition and re-runs the controller on conflict.
 */
export type Action =
  | {
      type: "create";
      ref: ResourceRef;
      object: KubeObject;
      /** Recorded once the create succeeds; `{name}` in the message becomes the created name (generateName). */
      event?: { regarding: KubeObject; eventType: EventType; reason: string; message: string };
    }
  /** "finalize": the finalizers a kind keeps in spec (a terminating Namespace's), writable only there. */
  | {
      type: "update";
      ref: ResourceRef;
      object: KubeObject;
      subresource?: "finalize";
      /**
       * Only `object.metadata`'s ownerReferences and finalizers are written, onto the stored object
       * at the same resourceVersion (the garbage collector's patch): what a metadata-only cache
       * holds is enough to compute it.
       */
      metadataOnly?: boolean;
    }
  | { type: "updateStatus"; ref: ResourceRef; object: KubeObject }
  /** The scheduler's decision, written through pods/binding (spec.nodeName is otherwise immutable). */
  | { type: "bind"; pod: KubeObject; nodeName: string }
  | {
      type: "delete";
      ref: ResourceRef;
      namespace?: string;
      name: string;
      /** Delete only this incarnation (DeleteOptions.preconditions.uid). */
      uid?: string;
      propagationPolicy?: "Background" | "Foreground" | "Orphan";
      gracePeriodSeconds?: number;
    }
  | {
      type: "event";
      /** The object the event is about (involvedObject). */
      regarding: KubeObject;
      eventType: EventType;
      reason: string;
      message: string;
    };

export interface ReconcileResult {
  actions: Action[];
  /** Run again after this long even if nothing changes (timers: minReadySeconds, grace periods). */
  requeueAfterMs?: number;
  /** It stopped at its write budget with more to do at once: the loop puts these writes before events. */
  backlog?: boolean;
}

export interface ControllerConfig {
  /** Node lifecycle: a node whose Lease is older than this is NotReady/Unknown. */
  nodeMonitorGracePeriodMs: number;
  /** Node lifecycle: pods on an unreachable node are evicted after this long. */
  podEvictionTimeoutMs: number;
  serviceClusterIpCidr: string;
  /** Pod addresses (kube-controller-manager's --cluster-cidr); each node gets a block of it. */
  clusterCidr: string;
  /** The prefix length of each node's block (--node-cidr-mask-size): /24 is 254 pods a node. */
  nodeCidrMaskSize: number;
  nodePortRange: { min: number; max: number };
  /** Most objects one controller creates in one pass (STYLE rule 3: creates are capped per pass). */
  maxCreatesPerPass: number;
  /** Most pods the scheduler binds in one pass: one bulk write, a fraction of a millisecond each. */
  maxBindsPerPass: number;
}

export const DEFAULT_CONTROLLER_CONFIG: ControllerConfig = {
  nodeMonitorGracePeriodMs: 40_000,
  podEvictionTimeoutMs: 300_000,
  serviceClusterIpCidr: SERVICE_CIDR,
  clusterCidr: CLUSTER_CIDR,
  nodeCidrMaskSize: NODE_CIDR_MASK_SIZE,
  nodePortRange: NODE_PORT_RANGE,
  maxCreatesPerPass: 500,
  maxBindsPerPass: 5000,
};

/** One object's change as the cache saw it: `previous` absent for a create, `current` absent for a delete. */
export interface CacheChange {
  ref: ResourceRef;
  previous?: KubeObject;
  current?: KubeObject;
}

/**
 * Lease renewals as the NodeLeases Durable Object saw them (node name → ms): renewals are not SQL
 * writes, so the snapshot's Lease rows carry a stale renewTime (DESIGN decision 9).
 */
export type LeaseHeartbeats = Readonly<Record<string, number>>;

/** Everything a reconcile reads (controller-runtime's Reconcile(ctx, req), for a whole pass). */
export interface ReconcileInput {
  snapshot: Snapshot;
  /**
   * What changed since this controller's last pass was applied, for controllers that say they are
   * `incremental`; "all" when it must look at everything (its first pass, after a re-list, a
   * journal overflow, or the periodic resync), and always "all" for the others.
   */
  changes: readonly CacheChange[] | "all";
  now: Date;
  config: ControllerConfig;
  /** Every kind the registry serves, custom kinds included. */
  kinds: readonly KindInfo[];
  /** Node heartbeats, when the loop could read them (undefined: the stored Leases are all there is). */
  heartbeats?: LeaseHeartbeats;
}

export interface Controller {
  name: string;
  /** Kinds whose changes should re-run this controller; "every kind" follows the registry. */
  watches: readonly ResourceRef[] | "every kind";
  /** It reads `changes`: the loop keeps a journal cursor for it, moved only once its actions are applied. */
  incremental?: boolean;
  /** It reads `heartbeats`: the loop fetches them for its pass, and runs it when a Lease runs out. */
  usesHeartbeats?: boolean;
  reconcile(input: ReconcileInput): ReconcileResult;
}

/** The kinds `controller` watches, given every kind the registry serves. */
export function watchedRefs(controller: Controller, kinds: readonly KindInfo[]): readonly ResourceRef[] {
  return controller.watches === "every kind" ? kinds.map((k) => k.ref) : controller.watches;
}

/** The registry's kinds as controllers see them. */
export function kindsOf(registry: Registry): KindInfo[] {
  return registry.all.map((def) => ({ ref: { group: def.group, resource: def.plural }, kind: def.kind, namespaced: def.namespaced }));
}
