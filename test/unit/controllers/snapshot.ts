// In-memory Snapshot for controller tests (snapshotOf), plus a tiny fake cluster that applies
// actions the way the loop's applier would (names from generateName, uids, resourceVersion checks).
import { Informer } from "../../../worker/controllers/informer";
import { DEFAULT_CONTROLLER_CONFIG, kindsOf, watchedRefs, type Action, type Controller, type ControllerConfig, type KindInfo, type ReconcileResult, type ResourceRef, type Snapshot } from "../../../worker/controllers/types";
import { builtInRegistry } from "../../../worker/resources/registry";
import type { KubeObject } from "../../../worker/resources/types";

/** Every built-in kind, as the loop passes them to a reconcile. */
export const BUILT_IN_KIND_INFOS: readonly KindInfo[] = kindsOf(builtInRegistry());

/** The kinds an informer caches for `controller` (its watches, "every kind" resolved). */
export function informerFor(controller: Controller): Informer {
  return new Informer(watchedRefs(controller, BUILT_IN_KIND_INFOS));
}

export interface SnapshotEntry {
  ref: ResourceRef;
  object: KubeObject;
}

function refKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.resource}`;
}

function sortKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}

export function snapshotOf(objects: readonly SnapshotEntry[]): Snapshot {
  const entries = [...objects].sort((a, b) => (sortKey(a.object) < sortKey(b.object) ? -1 : sortKey(a.object) > sortKey(b.object) ? 1 : 0));
  return {
    list(ref, namespace) {
      return entries
        .filter((e) => refKey(e.ref) === refKey(ref) && (namespace === undefined || (e.object.metadata.namespace ?? "") === namespace))
        .map((e) => e.object);
    },
    get(ref, namespace, name) {
      return entries.find(
        (e) => refKey(e.ref) === refKey(ref) && e.object.metadata.name === name && (e.object.metadata.namespace ?? undefined) === (namespace || undefined),
      )?.object;
    },
    ownedBy(uid) {
      return entries.filter((e) => e.object.metadata.ownerReferences?.some((r) => r.uid === uid));
    },
  };
}

export interface RecordedEvent {
  reason: string;
  message: string;
  eventType: string;
  regarding: string;
}

const APPS_KINDS = new Set(["deployments", "replicasets", "statefulsets"]);

/** A mutable cluster that applies controller actions; pods are deleted at once unless `graceful`. */
export class FakeCluster {
  private readonly objects = new Map<string, SnapshotEntry>();
  private rv = 100;
  private seq = 0;
  readonly events: RecordedEvent[] = [];
  conflicts = 0;
  /** Pod deletes leave a terminating pod (deletionTimestamp) until `finishDeletes()`. */
  graceful = false;

  constructor(objects: readonly SnapshotEntry[] = []) {
    for (const e of objects) this.put(e.ref, structuredClone(e.object));
  }

  private key(ref: ResourceRef, namespace: string | undefined, name: string): string {
    return `${refKey(ref)}|${namespace ?? ""}|${name}`;
  }

  private put(ref: ResourceRef, o: KubeObject): void {
    this.objects.set(this.key(ref, o.metadata.namespace, o.metadata.name ?? ""), { ref, object: o });
  }

  snapshot(): Snapshot {
    return snapshotOf([...this.objects.values()]);
  }

  list(resource: string): KubeObject[] {
    return this.snapshot().list({ group: resource === "pods" || resource === "persistentvolumeclaims" ? "" : "apps", resource }) as KubeObject[];
  }

  get(resource: string, name: string, namespace = "default"): KubeObject | undefined {
    return [...this.objects.values()].find((e) => e.ref.resource === resource && e.object.metadata.name === name && e.object.metadata.namespace === namespace)?.object;
  }

  /** Runs a mutation on a stored object (a kubelet or a user), bumping resourceVersion. */
  mutate(resource: string, name: string, fn: (o: KubeObject) => void, namespace = "default"): void {
    const o = this.get(resource, name, namespace);
    if (!o) throw new Error(`no ${resource} ${name}`);
    const before = JSON.stringify(o.spec);
    fn(o);
    if (APPS_KINDS.has(resource) && JSON.stringify(o.spec) !== before) o.metadata.generation = (o.metadata.generation ?? 1) + 1;
    o.metadata.resourceVersion = String(++this.rv);
  }

  /** The kubelet: every pending pod starts and turns Ready at `now`. */
  runPods(now: Date): void {
    for (const pod of this.list("pods")) {
      const status = (pod.status ?? {}) as Record<string, unknown>;
      if (status.phase === "Running" || pod.metadata.deletionTimestamp) continue;
      this.mutate("pods", pod.metadata.name ?? "", (p) => {
        p.spec = { ...(p.spec as object), nodeName: "node-1" };
        p.status = { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now.toISOString() }] };
      }, pod.metadata.namespace);
    }
  }

  finishDeletes(): void {
    for (const [k, e] of this.objects) if (e.object.metadata.deletionTimestamp) this.objects.delete(k);
  }

  apply(actions: readonly Action[], now: Date): void {
    for (const a of actions) this.applyOne(a, now);
  }

  private applyOne(a: Action, now: Date): void {
    switch (a.type) {
      case "create": {
        const o = structuredClone(a.object);
        if (!o.metadata.name) o.metadata.name = `${o.metadata.generateName ?? ""}${(++this.seq).toString(36).padStart(5, "x")}`;
        if (this.objects.has(this.key(a.ref, o.metadata.namespace, o.metadata.name))) {
          this.conflicts++;
          return;
        }
        o.metadata.uid = `uid-${o.metadata.name}`;
        o.metadata.resourceVersion = String(++this.rv);
        o.metadata.creationTimestamp = new Date(now.getTime() + this.seq).toISOString();
        if (APPS_KINDS.has(a.ref.resource)) o.metadata.generation = 1;
        if (a.ref.resource === "pods") o.status = { phase: "Pending" };
        this.put(a.ref, o);
        return;
      }
      case "update":
      case "updateStatus": {
        const key = this.key(a.ref, a.object.metadata.namespace, a.object.metadata.name ?? "");
        const old = this.objects.get(key)?.object;
        // No resourceVersion is an unconditional write, as the API server allows.
        if (!old || (a.object.metadata.resourceVersion !== undefined && old.metadata.resourceVersion !== a.object.metadata.resourceVersion)) {
          this.conflicts++;
          return;
        }
        const o = structuredClone(a.object);
        if (a.type === "updateStatus") {
          const next = { ...structuredClone(old), status: o.status };
          next.metadata.resourceVersion = String(++this.rv);
          this.put(a.ref, next);
          return;
        }
        if ("status" in old) o.status = structuredClone(old.status);
        if (APPS_KINDS.has(a.ref.resource) && JSON.stringify(o.spec) !== JSON.stringify(old.spec)) o.metadata.generation = (old.metadata.generation ?? 1) + 1;
        o.metadata.resourceVersion = String(++this.rv);
        this.put(a.ref, o);
        return;
      }
      case "delete": {
        const key = this.key(a.ref, a.namespace, a.name);
        const old = this.objects.get(key)?.object;
        if (!old || (a.uid && old.metadata.uid !== a.uid)) {
          this.conflicts++;
          return;
        }
        if (this.graceful && a.ref.resource === "pods") {
          old.metadata.deletionTimestamp = now.toISOString();
          old.metadata.resourceVersion = String(++this.rv);
        } else {
          this.objects.delete(key);
        }
        return;
      }
      case "event":
        this.events.push({ reason: a.reason, message: a.message, eventType: a.eventType, regarding: a.regarding.metadata.name ?? "" });
        return;
      case "bind":
        return;
    }
  }
}

/**
 * One pass of a controller as the loop runs it: an incremental controller over an Informer gets the
 * journal's changes, and its cursor moves after the pass; any other gets "all".
 */
export function reconcileOnce(controller: Controller, snapshot: Snapshot, now: Date, config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG): ReconcileResult {
  const pending = controller.incremental && snapshot instanceof Informer ? snapshot.pendingChanges(controller.name, now.getTime()) : undefined;
  const result = controller.reconcile({ snapshot, changes: pending?.changes ?? "all", now, config, kinds: BUILT_IN_KIND_INFOS });
  if (pending && !result.backlog && snapshot instanceof Informer) snapshot.commitChanges(controller.name, pending, now.getTime());
  return result;
}
