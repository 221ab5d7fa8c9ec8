// The one place controller actions become writes: typed calls of the API's write service (same
// defaults, validation, admission and watch fan-out as kubectl's), with the object's
// resourceVersion as precondition; a conflict just means "run that controller again". Runs of
// creates and bindings are one batch each; events are queued and written after a controller's
// other writes, a capped number per flush, as client-go's recorder is asynchronous.
import { timestamp } from "../../shared/time";
import type { KubeObject } from "../resources/types";
import type { Action, EventType, ResourceRef } from "./types";

/** One write's outcome, as the API request for it would have answered. */
export interface WriteResult {
  status: number;
  object?: KubeObject;
  message?: string;
}

export interface DeleteRequest {
  namespace?: string;
  name: string;
  /** Delete only this incarnation (DeleteOptions.preconditions.uid). */
  uid?: string;
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  gracePeriodSeconds?: number;
}

/**
 * The API's write service as controllers call it (the loop binds it: worker/durable/controller-writes.ts).
 * Typed calls, each admitted, validated and published as the equivalent API request; the "many"
 * forms commit one kind's objects in one store batch, a conflicting row failing alone.
 */
export interface ControllerWrites {
  /** PUT semantics: the object's resourceVersion is the precondition; "status" and "finalize" write only that part. */
  update(ref: ResourceRef, object: KubeObject, subresource?: "status" | "finalize", metadataOnly?: boolean): Promise<WriteResult>;
  delete(ref: ResourceRef, request: DeleteRequest): Promise<WriteResult>;
  createMany(ref: ResourceRef, objects: KubeObject[]): Promise<WriteResult[]>;
  /** Status writes of objects as the loop's cache holds them (CAS on each one's resourceVersion). */
  updateStatusMany(ref: ResourceRef, objects: KubeObject[]): Promise<WriteResult[]>;
  /** pods/binding for each pod as the scheduler saw it (CAS on its resourceVersion). */
  bindMany(binds: { pod: KubeObject; nodeName: string }[]): Promise<WriteResult[]>;
  /** Whole rewrites of objects this client wrote (Event recounts), CAS on their resourceVersion. */
  rewriteMany(ref: ResourceRef, objects: KubeObject[]): Promise<WriteResult[]>;
}

export interface ApplierOptions {
  now?: () => Date;
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
/** Events written after each controller's writes, as one batch. */
export const MAX_EVENTS_PER_FLUSH = 500;

interface QueuedEvent {
  regarding: KubeObject;
  eventType: EventType;
  reason: string;
  message: string;
}

const EVENTS: ResourceRef = { group: "", resource: "events" };

/** Event aggregation as client-go's recorder does: the same event again bumps count. */
interface RecordedEvent {
  name: string;
  namespace: string;
  count: number;
  /** The stored Event: recounts rewrite it with its resourceVersion as precondition. */
  object: KubeObject;
}

const EVENT_CACHE_MAX = 4_096;

export class ActionApplier {
  private readonly events = new Map<string, RecordedEvent>();
  private readonly queue: QueuedEvent[] = [];
  private dropped = 0;
  /** Keeps event names unique within a millisecond (a bulk flush names many at once). */
  private sequence = 0;
  private readonly now: () => Date;
  private readonly maxEventsPerFlush: number;
  private readonly deferEvents: boolean;

  constructor(
    private readonly writes: ControllerWrites,
    private readonly component: string,
    options: ApplierOptions = {},
  ) {
    const o = options;
    this.now = o.now ?? (() => new Date());
    this.maxEventsPerFlush = o.maxEventsPerFlush ?? MAX_EVENTS_PER_FLUSH;
    this.deferEvents = o.deferEvents ?? false;
  }

  /** Events queued and not yet written. */
  get pendingEvents(): number {
    return this.queue.length;
  }

  /** The writes (runs of creates and of binds as one batch each), then, unless deferred, a flush of queued events. */
  async apply(actions: readonly Action[]): Promise<ApplyOutcome> {
    const outcome: ApplyOutcome = { applied: 0, conflicts: 0, failures: [] };
    const count = (action: Action, res: WriteResult) => {
      if (res.status >= 200 && res.status < 300) outcome.applied++;
      else if (res.status === 409 || res.status === 404) outcome.conflicts++;
      else outcome.failures.push({ action, status: res.status, message: (res.message ?? "").slice(0, 500) });
    };
    for (let i = 0; i < actions.length; ) {
      const action = actions[i]!;
      if (action.type === "event") {
        this.enqueue(action);
        i++;
        continue;
      }
      if (action.type === "bind" || action.type === "create" || action.type === "updateStatus") {
        const run: Action[] = [];
        for (; i < actions.length && sameRun(action, actions[i]!); i++) {
          const next = actions[i]!;
          if (next.type === "event") this.enqueue(next);
          else run.push(next);
        }
        const results = await this.applyRun(run);
        results.forEach((res, k) => count(run[k]!, res));
        continue;
      }
      count(action, await this.applyOne(action));
      i++;
    }
    if (!this.deferEvents) for (const res of await this.flushEvents()) count(res.action, res);
    return outcome;
  }

  private async applyRun(run: Action[]): Promise<WriteResult[]> {
    const first = run[0]!;
    if (first.type === "bind") {
      const binds = run.flatMap((a) => (a.type === "bind" ? [{ pod: a.pod, nodeName: a.nodeName }] : []));
      return this.writes.bindMany(binds);
    }
    if (first.type === "updateStatus") return this.writes.updateStatusMany(first.ref, run.flatMap((a) => (a.type === "updateStatus" ? [a.object] : [])));
    const creates = run.flatMap((a) => (a.type === "create" ? [a] : []));
    if (first.type !== "create") return [];
    const results = await this.writes.createMany(first.ref, creates.map((a) => a.object));
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
    return this.recordEvents(batch.map(asAction));
  }

  /** New events in one create batch, repeats as one rewrite batch (count + 1, lastTimestamp). */
  private async recordEvents(actions: Action[]) {
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
      const results = await this.writes.rewriteMany(EVENTS, repeats.map((r) => r.object));
      repeats.forEach((r, k) => {
        const res = results[k] ?? { status: 500 };
        if (res.status === 200 && res.object) this.events.set(r.key, { ...r.seen, count: Number(res.object.count ?? r.seen.count + 1), object: res.object });
        else this.events.delete(r.key);
        out.push({ action: r.action, status: res.status, message: res.message });
      });
    }
    if (fresh.length > 0) {
      const results = await this.writes.createMany(EVENTS, fresh.map((f) => f.object));
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

  private applyOne(action: Extract<Action, { type: "update" | "delete" }>): Promise<WriteResult> {
    switch (action.type) {
      case "update":
        return this.writes.update(action.ref, action.object, action.subresource, action.metadataOnly);
      case "delete":
        return this.writes.delete(action.ref, action);
    }
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

/** A bulk run: consecutive binds, or consecutive creates or status writes of one kind; events in between are queued. */
function sameRun(first: Action, next: Action): boolean {
  if (next.type === "event") return true;
  if (first.type === "bind") return next.type === "bind";
  if ((first.type === "create" || first.type === "updateStatus") && next.type === first.type) return next.ref.group === first.ref.group && next.ref.resource === first.ref.resource;
  return false;
}
