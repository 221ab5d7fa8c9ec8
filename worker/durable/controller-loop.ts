// The controller manager as a Durable Object (DESIGN decision 4): every API write nudges it,
// its alarm runs each pure controller over an informer cache and applies their actions
// through the API, and a periodic resync catches anything missed. Alarms are serial, so two
// passes never overlap, and the schedule survives restarts of the control plane.
import { DurableObject } from "cloudflare:workers";
import { createApp } from "../app";
import { ActionApplier, type ApiCaller } from "../controllers/apply-actions";
import { CONTROLLERS } from "../controllers";
import { Informer } from "../controllers/informer";
import { DEFAULT_CONTROLLER_CONFIG, type ControllerConfig } from "../controllers/types";
import type { Env } from "../env";
import { openStore, prepareStore } from "../store/open";
import { CONTROLLER_USER } from "../api/writes";

/**
 * A write nudges the loop this soon. Each pass reconciles the whole cache, so a burst of
 * writes must become one pass, not one per write (they would compete with the API for
 * the database and the CPU).
 */
export const NUDGE_DELAY_MS = 100;
/** After a pass that changed something, look again this soon: its writes are the next input. */
export const ACTIVE_REQUEUE_MS = 20;
/** With nothing to do, re-run at least this often (a level-triggered full resync). */
export const RESYNC_INTERVAL_MS = 5 * 60_000;
/** A pass that failed (store outage) is retried after this, doubling up to the resync interval. */
export const ERROR_BACKOFF_MS = 1_000;

const CONTROLLER_PRINCIPAL = { user: CONTROLLER_USER, kind: "admin", scope: "" } as const;

export function controllerConfig(env: Env): ControllerConfig {
  const seconds = (v: string | undefined, fallbackMs: number) => (v && Number(v) > 0 ? Number(v) * 1000 : fallbackMs);
  return {
    ...DEFAULT_CONTROLLER_CONFIG,
    nodeMonitorGracePeriodMs: seconds(env.NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_CONTROLLER_CONFIG.nodeMonitorGracePeriodMs),
    podEvictionTimeoutMs: seconds(env.POD_EVICTION_TIMEOUT_SECONDS, DEFAULT_CONTROLLER_CONFIG.podEvictionTimeoutMs),
  };
}

export class ControllerLoop extends DurableObject<Env> {
  private readonly informer = new Informer(CONTROLLERS.flatMap((c) => c.watches));
  private readonly applier: ActionApplier;
  private failures = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const app = createApp({ trustedPrincipal: CONTROLLER_PRINCIPAL });
    const executionCtx = { waitUntil: (p: Promise<unknown>) => ctx.waitUntil(p), passThroughOnException() {}, props: {} };
    const call: ApiCaller = async (method, path, body, contentType = "application/json") => {
      const init: RequestInit = { method, headers: { accept: "application/json" } };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] = contentType;
      }
      const res = await app.fetch(new Request(`https://controller-manager.internal${path}`, init), env, executionCtx as ExecutionContext);
      return { status: res.status, body: await res.text() };
    };
    this.applier = new ActionApplier(call, "edgeplane-controller-manager");
  }

  /** RPC from the Worker after each write: run a pass soon, unless one is already due sooner. */
  async nudge(): Promise<void> {
    const due = Date.now() + NUDGE_DELAY_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  override async alarm(): Promise<void> {
    let next: number;
    try {
      next = await this.pass();
      this.failures = 0;
    } catch (e) {
      this.failures++;
      next = Math.min(ERROR_BACKOFF_MS * 2 ** (this.failures - 1), RESYNC_INTERVAL_MS);
      console.error(`controller pass failed (${this.failures}): ${e instanceof Error ? e.stack : String(e)}`);
    }
    // A nudge that arrived during the pass may already have set an earlier alarm.
    const due = Date.now() + next;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  /** One reconcile pass over every controller; returns how long until the next. */
  private async pass(): Promise<number> {
    await prepareStore(this.env);
    await this.informer.sync(openStore(this.env));
    const config = controllerConfig(this.env);
    let wrote = false;
    let requeue = RESYNC_INTERVAL_MS;
    for (const controller of CONTROLLERS) {
      const result = controller.reconcile(this.informer, new Date(), config);
      if (result.requeueAfterMs !== undefined) requeue = Math.min(requeue, Math.max(result.requeueAfterMs, ACTIVE_REQUEUE_MS));
      if (result.actions.length === 0) continue;
      const outcome = await this.applier.apply(result.actions);
      if (outcome.applied > 0 || outcome.conflicts > 0) wrote = true;
      for (const f of outcome.failures) {
        console.error(`${controller.name}: ${f.action.type} failed with ${f.status}: ${f.message}`);
      }
      // Later controllers should see this one's writes (e.g. pods the ReplicaSet just made).
      await this.informer.sync(openStore(this.env));
    }
    return wrote ? ACTIVE_REQUEUE_MS : requeue;
  }
}
