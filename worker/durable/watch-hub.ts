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
import { WATCH_CLIENT_HEADER, WATCH_KEY_HEADER, watchParamsFromUrl, watchSpecFrom } from "./watch-params";
import { streamSink } from "./watch-stream";

/**
 * Watches of one kind a client may hold open at once. Each costs the hub a stream and a place in
 * its fan-out; a client that leaks or sprays watches is refused (429, as API Priority and Fairness
 * refuses what is over its share) instead of growing the hub. system:masters is exempt, as APF
 * exempts it: benchmarks and the console's admin hold many.
 */
export const DEFAULT_WATCHES_PER_CLIENT = 1_000;

/** WATCHES_PER_CLIENT, or the default. High enough for a node: kubelet-style, it watches each Secret and ConfigMap its pods use on its own. */
export function watchesPerClient(env: Pick<Env, "WATCHES_PER_CLIENT">): number {
  const n = Number(env.WATCHES_PER_CLIENT);
  return env.WATCHES_PER_CLIENT && Number.isInteger(n) && n > 0 ? n : DEFAULT_WATCHES_PER_CLIENT;
}

/** Without timeoutSeconds, kube-apiserver ends a watch after minRequestTimeout (30 min); clients re-watch. */
export const DEFAULT_WATCH_TIMEOUT_MS = 30 * 60_000;

function statusResponse(err: StatusError): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  // client-go waits as long as Retry-After says before it tries again.
  if (err.details?.retryAfterSeconds !== undefined) headers["retry-after"] = String(err.details.retryAfterSeconds);
  return new Response(JSON.stringify(err.toStatus()), { status: err.code, headers });
}

export class WatchHub extends DurableObject<Env> implements WatchHubRpc {
  private fanout: WatchFanOut | undefined;
  private store: Promise<Store> | undefined;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** Open watches by client, and each counted watch's client. */
  private readonly perClient = new Map<string, number>();
  private readonly clientOf = new Map<number, string>();
  /** Each watch's key (in its response's WATCH_KEY_HEADER), by which the Worker cancels it. */
  private readonly idOfKey = new Map<string, number>();
  private readonly keyOf = new Map<number, string>();

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
      onClose: (id) => {
        this.clearTimer(id);
        this.uncount(id);
        const key = this.keyOf.get(id);
        this.keyOf.delete(id);
        if (key !== undefined) this.idOfKey.delete(key);
      },
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
    let resource: string;
    try {
      const params = watchParamsFromUrl(request.url);
      resource = params.group ? `${params.resource}.${params.group}` : params.resource;
      const def = this.registry.byPlural(params.group, params.resource);
      spec = watchSpecFrom(params, def ?? {});
      fanout = this.fanoutFor(params.group, params.resource);
      timeoutMs = params.timeoutSeconds ? params.timeoutSeconds * 1000 : DEFAULT_WATCH_TIMEOUT_MS;
    } catch (err) {
      if (err instanceof StatusError) return statusResponse(err);
      return statusResponse(badRequest(err instanceof Error ? err.message : String(err)));
    }
    const client = request.headers.get(WATCH_CLIENT_HEADER);
    const open = client ? (this.perClient.get(client) ?? 0) : 0;
    const limit = watchesPerClient(this.env);
    if (client && open >= limit) {
      return statusResponse(
        new StatusError(429, "TooManyRequests", `too many watches of ${resource} open by "${client}" (at most ${limit}); close some and try again`, {
          retryAfterSeconds: 1,
        }),
      );
    }
    let id = 0;
    const { stream, sink } = streamSink(() => this.closeWatcher(id));
    id = fanout.open(spec, sink).id;
    if (client) {
      this.clientOf.set(id, client);
      this.perClient.set(client, open + 1);
    }
    this.timers.set(id, setTimeout(() => this.closeWatcher(id), timeoutMs));
    // Random, not the id: a key from before a restart of this object names no one's watch now.
    const key = crypto.randomUUID();
    this.idOfKey.set(key, id);
    this.keyOf.set(id, key);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + CATCH_UP_INTERVAL_MS);
    return new Response(stream, { status: 200, headers: { "content-type": "application/json", [WATCH_KEY_HEADER]: key } });
  }

  /**
   * RPC from the Worker when a watch's client is gone (its WebSocket closed): a cancelled body
   * reaches this object only at its next write, which a quiet kind may not make for minutes, and
   * until then the watch would hold its client's place.
   */
  async cancel(key: string): Promise<void> {
    const id = this.idOfKey.get(key);
    if (id !== undefined) this.closeWatcher(id);
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

  private uncount(id: number): void {
    const client = this.clientOf.get(id);
    if (client === undefined) return;
    this.clientOf.delete(id);
    const left = (this.perClient.get(client) ?? 1) - 1;
    if (left > 0) this.perClient.set(client, left);
    else this.perClient.delete(client);
  }

  private clearTimer(id: number): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
  }
}
