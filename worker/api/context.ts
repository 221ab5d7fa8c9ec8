// What every verb handler receives: the authenticated caller, the store, the clock,
// and how to hand work to the runtime after the response (watch fan-out, controller nudges).
import type { Env } from "../env";
import type { Registry } from "../resources/registry";
import type { Store } from "../store/types";
import type { Principal } from "./access";
import type { OutputFormat } from "./negotiate";
import type { ResourceRequest } from "./request-info";

export interface ApiContext {
  env: Env;
  store: Store;
  /** The kinds this server serves (what an object's references resolve against). */
  registry: Registry;
  principal: Principal;
  now: Date;
  url: URL;
  request: Request;
  output: OutputFormat;
  target: ResourceRequest;
  waitUntil(promise: Promise<unknown>): void;
}


export function query(ctx: ApiContext, name: string): string | undefined {
  const v = ctx.url.searchParams.get(name);
  return v === null ? undefined : v;
}
