// The watch hub: one Durable Object per resource type (idFromName(`${group}/${resource}`))
// that receives every write's change events and streams them to that type's watchers from
// memory (DESIGN decision 9). The logic lives in WatchFanOut; this is the thin DO shell.
import { DurableObject } from "cloudflare:workers";
import { StatusError, badRequest } from "../../shared/status-error";
import type { Env } from "../env";
import type { WatchHubRpc } from "./rpc";
import type { Registry } from "../resources/registry";
import { openStore } from "../store/open";
import type { ChangeEvent, Store } from "../store/types";
import { CATCH_UP_INTERVAL_MS, WatchFanOut } from "./watch-fanout";
import type { WatchSpec } from "./watch-fanout";
import { watchParamsFromUrl, watchSpecFrom } from "./watch-params";
import { streamSink } from "./watch-stream";

/** Without timeoutSeconds, kube-apiserver ends a watch after minRequestTimeout (30 min); clients re-watch. */
export const DEFAULT_WATCH_TIMEOUT_MS = 30 * 60_000;

function statusResponse(err: StatusError): Response {
  return new Response(JSON.stringify(err.toStatus()), { status: err.code, headers: { "content-type": "application/json" } });
}

export class WatchHub extends DurableObject<Env> implements WatchHubRpc {
  private fanout: WatchFanOut | undefined;
  private store: Promise<Store> | undefined;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();

  /** `registry`: the kinds of this isolate (the Worker's entry passes the one it serves). */
  constructor(
    ctx: DurableObjectState,
    env: Env,
    private readonly registry: Registry,
  ) {
    super(ctx, env);
  }

  private fanoutFor(group: string, resource: string): WatchFanOut {
    this.fanout ??= new WatchFanOut({
      group,
      resource,
      store: () => (this.store ??= Promise.resolve(openStore(this.env, this.registry))),
      onClose: (id) => this.clearTimer(id),
    });
    return this.fanout;
  }

  /** RPC from the Worker after each successful write (usually via waitUntil). */
  async publish(events: ChangeEvent[]): Promise<void> {
    // No watcher has ever connected to this instance: nothing to deliver, nothing to remember.
    this.fanout?.publish(events);
  }

  /** Opens one watch stream; the Worker has already authenticated and authorized the request. */
  override async fetch(request: Request): Promise<Response> {
    let fanout: WatchFanOut;
    let spec: WatchSpec;
    let timeoutMs: number;
    try {
      const params = watchParamsFromUrl(request.url);
      const def = this.registry.byPlural(params.group, params.resource);
      spec = watchSpecFrom(params, def ?? {});
      fanout = this.fanoutFor(params.group, params.resource);
      timeoutMs = params.timeoutSeconds ? params.timeoutSeconds * 1000 : DEFAULT_WATCH_TIMEOUT_MS;
    } catch (err) {
      if (err instanceof StatusError) return statusResponse(err);
      return statusResponse(badRequest(err instanceof Error ? err.message : String(err)));
    }
    let id = 0;
    const { stream, sink } = streamSink(() => this.closeWatcher(id));
    id = fanout.open(spec, sink).id;
    this.timers.set(id, setTimeout(() => this.closeWatcher(id), timeoutMs));
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + CATCH_UP_INTERVAL_MS);
    return new Response(stream, { status: 200, headers: { "content-type": "application/json" } });
  }

  /** While watchers exist: catch up on missed publishes, send bookmarks. None: stay asleep. */
  override async alarm(): Promise<void> {
    const fanout = this.fanout;
    if (!fanout || fanout.watcherCount === 0) return;
    try {
      await fanout.tick();
    } catch {
      // A failed read (store outage) is retried by the next interval, not by the runtime's
      // alarm retries; watchers keep their live feed meanwhile.
    }
    if (fanout.watcherCount > 0) await this.ctx.storage.setAlarm(Date.now() + CATCH_UP_INTERVAL_MS);
  }

  private closeWatcher(id: number): void {
    this.clearTimer(id);
    this.fanout?.close(id);
  }

  private clearTimer(id: number): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
  }
}
