// The controller manager as a Durable Object (DESIGN decision 4): every API write nudges it,
// its alarm runs each pure controller over an informer cache and applies their actions through
// the API's code (creates, bindings and events in bulk), and a periodic resync catches anything
// missed. Alarms are serial, so two passes never overlap; the schedule survives restarts.
import { DurableObject } from "cloudflare:workers";
import { ActionApplier } from "../controllers/apply-actions";
import type { Registry } from "../resources/registry";
import { CONTROLLERS } from "../controllers";
import { Informer } from "../controllers/informer";
import { DEFAULT_CONTROLLER_CONFIG, kindsOf, watchedRefs, type Action, type ControllerConfig, type KindInfo, type LeaseHeartbeats } from "../controllers/types";
import type { Env } from "../env";
import type { ControllerLoopRpc } from "./rpc";
import { openStore, prepareStore } from "../store/open";
import type { Store, UnreadableRow } from "../store/types";
import { apiVersionOf } from "../resources/meta";
import { controllerWrites } from "./controller-writes";
import { nodeLeases } from "./node-leases";
import { EventExpiry, eventTtlMs } from "./event-expiry";
import { watchHub } from "../api/write/store-writes";

/**
 * A write nudges the loop twice the last pass's duration later, within these bounds: a lone
 * `kubectl create` on a small cluster is acted on at once, while on a large one (a pass walks
 * the whole cache) a burst of writes becomes one pass and the loop keeps to about a third of
 * the CPU, leaving the rest to the API.
 */
export const NUDGE_DELAY_MIN_MS = 5;
export const NUDGE_DELAY_MAX_MS = 100;

export function nudgeDelayMs(lastPassMs: number): number {
  return Math.min(NUDGE_DELAY_MAX_MS, Math.max(NUDGE_DELAY_MIN_MS, 2 * lastPassMs));
}
/**
 * Events written in a pass that left a controller at its write budget (a scheduling backlog, a
 * big scale-up): bindings and pods first, as upstream's asynchronous event recorder allows;
 * the queue drains at the full rate once the backlog is gone.
 */
export const EVENTS_PER_BUSY_PASS = 50;
/** After a pass that changed something, look again this soon: its writes are the next input. */
export const ACTIVE_REQUEUE_MS = 20;
/** With nothing to do, re-run at least this often (a level-triggered full resync). */
export const RESYNC_INTERVAL_MS = 5 * 60_000;
/** A pass that failed (store outage) is retried after this, doubling up to the resync interval. */
export const ERROR_BACKOFF_MS = 1_000;
/** How often lapsed tokens are deleted: they fail authentication anyway, this only frees rows. */
export const TOKEN_PURGE_INTERVAL_MS = 3_600_000;

export function controllerConfig(env: Env): ControllerConfig {
  const seconds = (v: string | undefined, fallbackMs: number) => (v && Number(v) > 0 ? Number(v) * 1000 : fallbackMs);
  return {
    ...DEFAULT_CONTROLLER_CONFIG,
    nodeMonitorGracePeriodMs: seconds(env.NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_CONTROLLER_CONFIG.nodeMonitorGracePeriodMs),
    podEvictionTimeoutMs: seconds(env.POD_EVICTION_TIMEOUT_SECONDS, DEFAULT_CONTROLLER_CONFIG.podEvictionTimeoutMs),
  };
}

/** CONTROLLER_TRACE: one line per pass, the milliseconds of each step (informer sync, each controller, its writes). */
class PassTrace {
  private readonly started = performance.now();
  private last = this.started;
  private readonly steps: string[] = [];

  mark(step: string): void {
    const now = performance.now();
    const ms = now - this.last;
    this.last = now;
    if (ms >= 1 || step.startsWith("apply")) this.steps.push(`${step} ${ms.toFixed(0)}`);
  }

  log(): void {
    const total = performance.now() - this.started;
    // warn: shown also when wrangler logs only warnings (a benchmark without its request log)
    if (total >= 5) console.warn(`controller pass ${total.toFixed(0)} ms: ${this.steps.join(", ")}`);
  }
}

export class ControllerLoop extends DurableObject<Env> implements ControllerLoopRpc {
  private readonly informer = new Informer([]);
  /** The registry generation `kinds` and the informer's kinds were taken at. */
  private kindsGeneration = -1;
  private kinds: readonly KindInfo[] = [];
  private readonly applier: ActionApplier;
  private failures = 0;
  /** When each controller asked to run again (requeueAfterMs), by name. */
  private readonly dueAt = new Map<string, number>();
  /** Controllers a change has touched since they last ran (including changes made mid-pass). */
  private readonly dirty = new Set<string>();
  private lastFullPassAt = 0;
  /** How long the last pass took: sets how soon a nudge runs the next. */
  private lastPassMs = 0;
  /** The revision seen at the previous full resync: the next one compacts the change log to it. */
  private compactTo = 0;
  private readonly eventExpiry: EventExpiry;
  private tokensPurgedAt = 0;

  /** `registry`: the kinds of this isolate (the Worker's entry passes the one it serves). */
  constructor(
    ctx: DurableObjectState,
    env: Env,
    private readonly registry: Registry,
  ) {
    super(ctx, env);
    this.followRegistry();
    this.eventExpiry = new EventExpiry(ctx.storage, eventTtlMs(env.EVENT_TTL_SECONDS));
    const writes = controllerWrites({
      env,
      registry,
      waitUntil: (p) => ctx.waitUntil(p),
      wrote: (objects) => this.informer.wrote(objects),
      cached: (ref, namespace, name) => this.informer.get(ref, namespace, name),
    });
    this.applier = new ActionApplier(writes, "edgeplane-controller-manager", { deferEvents: true });
  }

  /**
   * Caches every kind some controller watches: whole where a controller names it, metadata only
   * where only "every kind" controllers (garbage collector, namespace) do. A kind added or removed
   * since means a re-list.
   */
  private followRegistry(): void {
    if (this.kindsGeneration === this.registry.generation) return;
    this.kindsGeneration = this.registry.generation;
    this.kinds = kindsOf(this.registry);
    const named = new Set(CONTROLLERS.flatMap((c) => (c.watches === "every kind" ? [] : c.watches)).map((r) => `${r.group}/${r.resource}`));
    const all = CONTROLLERS.flatMap((c) => watchedRefs(c, this.kinds));
    this.informer.watch(all, all.filter((r) => !named.has(`${r.group}/${r.resource}`)));
  }

  /** RPC from the Worker after each write: run a pass soon, unless one is already due sooner. */
  async nudge(): Promise<void> {
    const due = Date.now() + nudgeDelayMs(this.lastPassMs);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  /**
   * RPC from NodeLeases: a node's Lease ran out (or one that had came back). Renewals are
   * not writes, so this, not a requeue per node, is how node lifecycle learns of it in time.
   */
  async leasesChanged(): Promise<void> {
    for (const controller of CONTROLLERS) if (controller.usesHeartbeats) this.dirty.add(controller.name);
    await this.nudge();
  }

  /** Renewals from NodeLeases: the snapshot's Lease rows lag behind them (renewals are not writes). */
  private async heartbeats(): Promise<LeaseHeartbeats | undefined> {
    try {
      return await nodeLeases(this.env).heartbeats();
    } catch (e) {
      console.error(`NodeLeases unreachable, node health from the stored Leases: ${String(e)}`);
      return undefined;
    }
  }

  override async alarm(): Promise<void> {
    let next: number;
    const started = Date.now();
    try {
      next = await this.pass();
      this.lastPassMs = Date.now() - started;
      this.failures = 0;
    } catch (e) {
      this.failures++;
      next = Math.min(ERROR_BACKOFF_MS * 2 ** (this.failures - 1), RESYNC_INTERVAL_MS);
      // What the failed pass was doing is not done: every controller runs on the retry.
      for (const controller of CONTROLLERS) this.dirty.add(controller.name);
      console.error(`controller pass failed (${this.failures}): ${e instanceof Error ? e.stack : String(e)}`);
    }
    // A nudge that arrived during the pass may already have set an earlier alarm.
    const due = Date.now() + next;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  /**
   * kube-apiserver compacts etcd every 5 minutes to the revision of 5 minutes before; so do
   * we, at each full resync. Watches from before it get 410 Expired and re-list. Nothing
   * is written when nothing changed since the last compaction.
   */
  private async compact(store: Store): Promise<void> {
    if (this.compactTo > (await store.compactedRevision())) await store.compact(this.compactTo);
    this.compactTo = this.informer.revision;
  }

  private markDirty(changedKinds: Set<string>): void {
    for (const controller of CONTROLLERS) {
      if (watchedRefs(controller, this.kinds).some((w) => changedKinds.has(`${w.group}/${w.resource}`))) this.dirty.add(controller.name);
    }
  }

  /**
   * One reconcile pass; returns how long until the next. A controller runs when a kind it
   * watches changed, when its requeue time came, or on the periodic full resync: a write
   * to a ConfigMap does not make the scheduler walk every pod.
   */
  private async pass(): Promise<number> {
    const trace = this.env.CONTROLLER_TRACE === "true" ? new PassTrace() : undefined;
    await prepareStore(this.env);
    const store = openStore(this.env, this.registry);
    this.followRegistry();
    this.markDirty(await this.informer.sync(store));
    trace?.mark("sync");
    const config = controllerConfig(this.env);
    const now = Date.now();
    const full = now - this.lastFullPassAt >= RESYNC_INTERVAL_MS;
    if (full) {
      this.lastFullPassAt = now;
      await this.compact(store);
    }
    let wrote = false;
    let backlog = false;
    for (const controller of CONTROLLERS) {
      const due = this.dueAt.get(controller.name);
      if (!full && !this.dirty.has(controller.name) && (due === undefined || due > now)) continue;
      this.dueAt.delete(controller.name);
      this.dirty.delete(controller.name);
      const started = new Date();
      // An incremental controller's journal cursor moves only once its actions are applied.
      const pending = controller.incremental ? this.informer.pendingChanges(controller.name, started.getTime()) : undefined;
      const heartbeats = controller.usesHeartbeats ? await this.heartbeats() : undefined;
      const result = controller.reconcile({ snapshot: this.informer, changes: pending?.changes ?? "all", now: started, config, kinds: this.kinds, heartbeats });
      trace?.mark(controller.name);
      if (result.requeueAfterMs !== undefined) this.dueAt.set(controller.name, now + Math.max(result.requeueAfterMs, ACTIVE_REQUEUE_MS));
      if (result.backlog) backlog = true;
      // A pass cut short by its write budget has not acted on all it was shown (a node that
      // joined makes every waiting pod worth another try): it sees those changes again.
      const consumed = pending && !result.backlog ? pending : undefined;
      if (result.actions.length === 0) {
        if (consumed) this.informer.commitChanges(controller.name, consumed, started.getTime());
        continue;
      }
      const outcome = await this.applier.apply(result.actions);
      trace?.mark(`apply ${result.actions.length}`);
      if (outcome.applied > 0 || outcome.conflicts > 0) wrote = true;
      for (const f of outcome.failures) {
        console.error(`${controller.name}: ${f.action.type} failed with ${f.status}: ${f.message}`);
      }
      if (consumed) this.informer.commitChanges(controller.name, consumed, started.getTime());
      // Later controllers see this one's writes (e.g. the pods a ReplicaSet just made), and
      // every controller watching what it wrote runs again.
      this.markDirty(await this.informer.sync(store));
      trace?.mark("sync");
    }
    // Rows the informer met that cannot be read: a Warning Event on each such object.
    const unreadable = this.informer.takeUnreadable();
    if (unreadable.length > 0) await this.applier.apply(unreadable.map((row) => unreadableEvent(this.registry, row)));
    // Events after every controller's writes (a pod's Scheduled event never holds back the next
    // binding), a capped number per pass; what is left goes in the next, requeued at once.
    if (this.applier.pendingEvents > 0) {
      for (const f of await this.applier.flushEvents(backlog ? EVENTS_PER_BUSY_PASS : undefined)) {
        if (f.status >= 300 && f.status !== 409) console.error(`events: ${f.status}: ${f.message ?? ""}`.slice(0, 500));
      }
      trace?.mark("events");
    }
    const expiry = await this.eventExpiry.run(store, Date.now(), this.informer.revision, (deleted) =>
      watchHub(this.env, "", "events").publish(deleted).catch(() => undefined),
    );
    trace?.mark("event expiry");
    // Lapsed credentials (TokenRequests, renewed node credentials) would otherwise pile up.
    if (now - this.tokensPurgedAt >= TOKEN_PURGE_INTERVAL_MS) {
      this.tokensPurgedAt = now;
      await store.purgeExpiredTokens(now).catch((error: unknown) => console.error(`purging expired tokens: ${String(error)}`));
    }
    trace?.log();
    if (wrote || this.dirty.size > 0 || this.applier.pendingEvents > 0) return ACTIVE_REQUEUE_MS;
    let next = this.lastFullPassAt + RESYNC_INTERVAL_MS - now;
    if (expiry !== undefined) next = Math.min(next, Date.now() + expiry - now);
    for (const due of this.dueAt.values()) next = Math.min(next, due - now);
    return Math.max(next, ACTIVE_REQUEUE_MS);
  }
}

/** The Warning Event for a stored row that cannot be read (a Secret no configured key opens). */
function unreadableEvent(registry: Registry, row: UnreadableRow): Action {
  const def = registry.byPlural(row.key.group, row.key.resource);
  const what = row.key.group ? `${row.key.resource}.${row.key.group}` : row.key.resource;
  return {
    type: "event",
    regarding: {
      apiVersion: def ? apiVersionOf(def) : "v1",
      kind: def?.kind ?? row.key.resource,
      metadata: { name: row.key.name, ...(row.key.namespace ? { namespace: row.key.namespace } : {}), resourceVersion: String(row.revision) },
    },
    eventType: "Warning",
    reason: "StorageReadFailed",
    message: `${what} "${row.key.namespace ? `${row.key.namespace}/` : ""}${row.key.name}" cannot be read from storage (${row.reason}): it is left out of lists, watches and controllers, and can only be deleted`,
  };
}
