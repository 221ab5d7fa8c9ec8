// What every write needs, whoever asks: the verbs (from an HTTP request), the bulk path and the
// controller loop (typed calls, no request). The write service takes this, never a Request.
import type { Env } from "../../env";
import type { Registry } from "../../resources/registry";
import type { Store } from "../../store/types";
import type { Principal } from "../access";
import { isDryRun } from "../admission";
import type { ApiContext } from "../context";

export interface WriteContext {
  env: Env;
  store: Store;
  registry: Registry;
  principal: Principal;
  now: Date;
  /** Runs after the response: the watch publish and the controller nudge. */
  waitUntil(promise: Promise<unknown>): void;
  /** dryRun=All: admitted and validated, never stored. */
  dryRun: boolean;
  /** Admission's warnings for the client (`Warning:` headers); a controller's go nowhere. */
  warnings: string[];
}

/** A verb's write context; a bad dryRun value is the verb's 400. */
export function writeContextOf(ctx: ApiContext): WriteContext {
  return {
    env: ctx.env,
    store: ctx.store,
    registry: ctx.registry,
    principal: ctx.principal,
    now: ctx.now,
    waitUntil: ctx.waitUntil,
    dryRun: isDryRun(ctx),
    warnings: [],
  };
}
