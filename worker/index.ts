// The Worker's entry and composition root: the one registry of this isolate's kinds, the API
// app over it, and the Durable Object classes it binds (those that read kinds get the registry).
import { createApp } from "./app";
import { ControllerLoop as ControllerLoopObject } from "./durable/controller-loop";
import { WatchHub as WatchHubObject } from "./durable/watch-hub";
import type { Env } from "./env";
import { builtInRegistry } from "./resources/registry";

export { NodeLeases } from "./durable/node-leases";
export { NodeTunnel } from "./durable/node-tunnel";

/** Exported for entries that wrap this one (a test's kinds added at run time). */
export const registry = builtInRegistry();

export class ControllerLoop extends ControllerLoopObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, registry);
  }
}

export class WatchHub extends WatchHubObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, registry);
  }
}

export default createApp({ registry });
