// The one place controller actions become writes. Every write goes through the API's code
// (same defaults, validation and watch fan-out as kubectl's), with the object's resourceVersion
// as precondition; a conflict just means "run that controller again". Runs of creates and
// bindings take the bulk path when one is given; events are queued and written after a
// controller's other writes, a capped number per flush, as client-go's recorder is asynchronous.
import { timestamp } from "../../shared/time";
import type { Registry } from "../resources/registry";
import type { KubeObject, ResourceDef } from "../resources/types";
import type { Action, EventType, ResourceRef } from "./types";

export type ApiCaller = (method: string, path: string, body?: unknown, contentType?: string) => Promise<{ status: number; body: string }>;

/** One object's fate in a bulk call, as the API request for it would have answered. */
export interface BulkResult {
  status: number;
  object?: KubeObject;
  message?: string;
}

/** Many writes of one kind in one store batch (worker/api/bulk-writes.ts), each admitted as its verb would. */
export interface BulkWriter {
  create(ref: ResourceRef, objects: KubeObject[]): Promise<BulkResult[]>;
  bind(binds: { pod: KubeObject; nodeName: string }[]): Promise<BulkResult[]>;
  /** Whole rewrites of objects this client wrote (Event recounts), CAS on their resourceVersion. */
  rewrite(ref: ResourceRef, objects: KubeObject[]): Promise<BulkResult[]>;
}

export interface ApplierOptions {
  now?: () => Date;
  bulk?: BulkWriter;
  /** Events written per flush; the rest wait for the next one (default MAX_EVENTS_PER_FLUSH). */
  maxEventsPerFlush?: number;
  /** apply() only queues events; the caller flushes them (the loop: once at the end of a pass). */
  deferEvents?: boolean;
}

export interface ApplyOutcome {
  applied: number;
  conflicts: number;
  failures: { action: Action; status: number; message: string }[];
}

/** Upstream's recorder drops events when its queue (1,000) is full; we keep more, then drop the oldest. */
export const MAX_QUEUED_EVENTS = 10_000;
/** Events written after each controller's writes; with the bulk path these are one batch. */
export const MAX_EVENTS_PER_FLUSH = 500;

interface QueuedEvent {
  regarding: KubeObject;
  eventType: EventType;
  reason: string;
  message: string;
}

const EVENTS: ResourceRef = { group: "", resource: "events" };

export function apiPath(def: ResourceDef | undefined, ref: ResourceRef, namespace: string | undefined, name?: string, subresource?: string): string {
  const version = def?.version ?? "v1";
  let path = ref.group ? `/apis/${ref.group}/${version}` : `/api/${version}`;
  if (def?.namespaced !== false && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${ref.resource}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

/** Event aggregation as client-go's recorder does: the same event again bumps count. */
interface RecordedEvent {
  name: string;
  namespace: string;
  count: number;
  /** The stored Event (bulk path: recounts rewrite it with its resourceVersion as precondition). */
  object?: KubeObject;
}

const EVENT_CACHE_MAX = 4_096;

export class ActionApplier {
  private readonly events = new Map<string, RecordedEvent>();
  private readonly queue: QueuedEvent[] = [];
  private dropped = 0;
  /** Keeps event names unique within a millisecond (a bulk flush names many at once). */
  private sequence = 0;
  private readonly now: () => Date;
  private readonly bulk: BulkWriter | undefined;
  private readonly maxEventsPerFlush: number;
  private readonly deferEvents: boolean;

  constructor(
    private readonly call: ApiCaller,
    private readonly component: string,
    private readonly registry: Registry,
    options: ApplierOptions | (() => Date) = {},
  ) {
    const o = typeof options === "function" ? { now: options } : options;
    this.now = o.now ?? (() => new Date());
    this.bulk = o.bulk;
    this.maxEventsPerFlush = o.maxEventsPerFlush ?? MAX_EVENTS_PER_FLUSH;
    this.deferEvents = o.deferEvents ?? false;
  }

  private path(ref: ResourceRef, namespace: string | undefined, name?: string, subresource?: string): string {
    return apiPath(this.registry.byPlural(ref.group, ref.resource), ref, namespace, name, subresource);
  }

  /** Events queued and not yet written. */
  get pendingEvents(): number {
    return this.queue.length;
  }

  /** The writes (runs of creates and binds in bulk), then, unless deferred, a flush of queued events. */
  async apply(actions: readonly Action[]): Promise<ApplyOutcome> {
    const outcome: ApplyOutcome = { applied: 0, conflicts: 0, failures: [] };
    const count = (action: Action, res: { status: number; body?: string; message?: string }) => {
      if (res.status >= 200 && res.status < 300) outcome.applied++;
      else if (res.status === 409 || res.status === 404) outcome.conflicts++;
      else outcome.failures.push({ action, status: res.status, message: (res.body ?? res.message ?? "").slice(0, 500) });
    };
    for (let i = 0; i < actions.length; ) {
      const action = actions[i]!;
      if (action.type === "event") {
        this.enqueue(action);
        i++;
        continue;
      }
      if (this.bulk && (action.type === "bind" || action.type === "create")) {
        const run: Action[] = [];
        for (; i < actions.length && sameRun(action, actions[i]!); i++) {
          const next = actions[i]!;
          if (next.type === "event") this.enqueue(next);
          else run.push(next);
        }
        const results = await this.applyRun(this.bulk, run);
        results.forEach((res, k) => count(run[k]!, res));
        continue;
      }
      const res = await this.applyOne(action);
      count(action, res);
      if (action.type === "create" && action.event && res.status === 201) this.enqueueCreated(action, createdName(action.object, res.body));
      i++;
    }
    if (!this.deferEvents) for (const res of await this.flushEvents()) count(res.action, res);
    return outcome;
  }

  private async applyRun(bulk: BulkWriter, run: Action[]): Promise<BulkResult[]> {
    const first = run[0]!;
    if (first.type === "bind") {
      const binds = run.flatMap((a) => (a.type === "bind" ? [{ pod: a.pod, nodeName: a.nodeName }] : []));
      return bulk.bind(binds);
    }
    const creates = run.flatMap((a) => (a.type === "create" ? [a] : []));
    if (first.type !== "create") return [];
    const results = await bulk.create(first.ref, creates.map((a) => a.object));
    creates.forEach((a, k) => {
      const res = results[k];
      if (a.event && res?.status === 201) this.enqueueCreated(a, res.object?.metadata.name ?? a.object.metadata.name ?? "");
    });
    return results;
  }

  private enqueueCreated(action: Extract<Action, { type: "create" }>, name: string): void {
    const event = action.event;
    if (event) this.enqueue({ ...event, message: event.message.replaceAll("{name}", name) });
  }

  private enqueue(event: QueuedEvent): void {
    this.queue.push({ regarding: event.regarding, eventType: event.eventType, reason: event.reason, message: event.message });
    if (this.queue.length > MAX_QUEUED_EVENTS) {
      this.queue.shift();
      this.dropped++;
    }
  }

  /** Writes up to `limit` (default maxEventsPerFlush) queued events, the oldest first. */
  async flushEvents(limit = this.maxEventsPerFlush): Promise<({ action: Action; status: number; message?: string })[]> {
    if (this.dropped > 0) {
      console.warn(`${this.component}: event queue full, dropped ${this.dropped} events`);
      this.dropped = 0;
    }
    const batch = this.queue.splice(0, Math.min(limit, this.maxEventsPerFlush));
    if (batch.length === 0) return [];
    const asAction = (e: QueuedEvent): Action => ({ type: "event", ...e });
    if (!this.bulk) {
      const out = [];
      for (const e of batch) {
        const res = await this.recordEvent(e.regarding, e.eventType, e.reason, e.message);
        out.push({ action: asAction(e), status: res.status, message: res.body });
      }
      return out;
    }
    return this.recordEventsInBulk(this.bulk, batch.map(asAction));
  }

  /** New events in one create batch, repeats as one rewrite batch (count + 1, lastTimestamp). */
  private async recordEventsInBulk(bulk: BulkWriter, actions: Action[]) {
    const ts = timestamp(this.now());
    const fresh: { key: string; action: Action; object: KubeObject }[] = [];
    const repeats: { key: string; action: Action; seen: RecordedEvent; object: KubeObject }[] = [];
    const pending = new Map<string, KubeObject>();
    for (const action of actions) {
      if (action.type !== "event") continue;
      const key = `${action.regarding.metadata.uid}/${action.reason}/${action.message}`;
      const seen = this.events.get(key);
      const inBatch = pending.get(key);
      if (inBatch) {
        // The same event twice in one flush: one write with the summed count.
        inBatch.count = Number(inBatch.count ?? 1) + 1;
        continue;
      }
      if (seen?.object) {
        const object: KubeObject = { ...seen.object, count: seen.count + 1, lastTimestamp: ts };
        pending.set(key, object);
        repeats.push({ key, action, seen, object });
      } else {
        const object = this.eventObject(action.regarding, action.eventType, action.reason, action.message, ts);
        pending.set(key, object);
        fresh.push({ key, action, object });
      }
    }
    const out: { action: Action; status: number; message?: string }[] = [];
    if (repeats.length > 0) {
      const results = await bulk.rewrite(EVENTS, repeats.map((r) => r.object));
      repeats.forEach((r, k) => {
        const res = results[k] ?? { status: 500 };
        if (res.status === 200 && res.object) this.events.set(r.key, { ...r.seen, count: Number(res.object.count ?? r.seen.count + 1), object: res.object });
        else this.events.delete(r.key);
        out.push({ action: r.action, status: res.status, message: res.message });
      });
    }
    if (fresh.length > 0) {
      const results = await bulk.create(EVENTS, fresh.map((f) => f.object));
      fresh.forEach((f, k) => {
        const res = results[k] ?? { status: 500 };
        if (res.status === 201 && res.object) this.remember(f.key, { name: res.object.metadata.name ?? "", namespace: res.object.metadata.namespace ?? "", count: Number(res.object.count ?? 1), object: res.object });
        out.push({ action: f.action, status: res.status, message: res.message });
      });
    }
    return out;
  }

  private remember(key: string, recorded: RecordedEvent): void {
    if (this.events.size >= EVENT_CACHE_MAX) this.events.clear();
    this.events.set(key, recorded);
  }

  private applyOne(action: Exclude<Action, { type: "event" }>): Promise<{ status: number; body: string }> {
    switch (action.type) {
      case "create":
        return this.call("POST", this.path(action.ref, action.object.metadata.namespace), action.object);
      case "update": {
        const o = action.object;
        // Finalizers a kind keeps in spec (a terminating Namespace's) change only through /finalize.
        const finalize = Boolean(o.metadata.deletionTimestamp && this.registry.byPlural(action.ref.group, action.ref.resource)?.specFinalizers);
        return this.call("PUT", this.path(action.ref, o.metadata.namespace, o.metadata.name, finalize ? "finalize" : undefined), o);
      }
      case "bind": {
        const pod = action.pod;
        return this.call("POST", this.path({ group: "", resource: "pods" }, pod.metadata.namespace, pod.metadata.name, "binding"), {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
          target: { apiVersion: "v1", kind: "Node", name: action.nodeName },
        });
      }
      case "updateStatus": {
        const o = action.object;
        return this.call("PUT", this.path(action.ref, o.metadata.namespace, o.metadata.name, "status"), o);
      }
      case "delete": {
        const options: Record<string, unknown> = { kind: "DeleteOptions", apiVersion: "v1" };
        if (action.uid) options.preconditions = { uid: action.uid };
        if (action.propagationPolicy) options.propagationPolicy = action.propagationPolicy;
        if (action.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = action.gracePeriodSeconds;
        return this.call("DELETE", this.path(action.ref, action.namespace, action.name), options);
      }
    }
  }

  private async recordEvent(regarding: KubeObject, type: string, reason: string, message: string) {
    const namespace = regarding.metadata.namespace ?? "default";
    const key = `${regarding.metadata.uid}/${reason}/${message}`;
    const ts = timestamp(this.now());
    const seen = this.events.get(key);
    if (seen) {
      seen.count++;
      const res = await this.call("PATCH", this.path(EVENTS, seen.namespace, seen.name), { count: seen.count, lastTimestamp: ts }, "application/merge-patch+json");
      if (res.status !== 404) return res;
      this.events.delete(key);
    }
    const event = this.eventObject(regarding, type, reason, message, ts);
    const res = await this.call("POST", this.path(EVENTS, namespace), event);
    if (res.status === 201) this.remember(key, { name: event.metadata.name ?? "", namespace, count: 1 });
    return res;
  }

  private eventObject(regarding: KubeObject, type: string, reason: string, message: string, ts: string): KubeObject {
    const namespace = regarding.metadata.namespace ?? "default";
    this.sequence = (this.sequence + 1) % 0x1000;
    const name = `${regarding.metadata.name}.${Date.now().toString(16)}${this.sequence.toString(16).padStart(3, "0")}`;
    return {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.metadata.name,
        namespace: regarding.metadata.namespace,
        uid: regarding.metadata.uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
    };
  }
}

/** A bulk run: consecutive binds, or consecutive creates of one kind; events in between are queued. */
function sameRun(first: Action, next: Action): boolean {
  if (next.type === "event") return true;
  if (first.type === "bind") return next.type === "bind";
  return first.type === "create" && next.type === "create" && next.ref.group === first.ref.group && next.ref.resource === first.ref.resource;
}

function createdName(requested: KubeObject, body: string): string {
  try {
    return (JSON.parse(body) as KubeObject).metadata.name ?? requested.metadata.name ?? "";
  } catch {
    return requested.metadata.name ?? "";
  }
}
