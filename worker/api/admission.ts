// What a write request says about itself besides its body: a dry run, and the field manager.
// (NamespaceLifecycle is namespace-lifecycle.ts.)
import type { ApiContext } from "./context";
import { query } from "./context";
import { badRequest } from "../../shared/status-error";

/** `dryRun=All` runs the whole request but writes nothing. */
export function isDryRun(ctx: ApiContext): boolean {
  const values = ctx.url.searchParams.getAll("dryRun");
  for (const v of values) if (v !== "All") throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

export function fieldManagerOf(ctx: ApiContext, fallback: string): string {
  const m = query(ctx, "fieldManager");
  if (m !== undefined && (m.length === 0 || m.length > 128)) throw badRequest("fieldManager: Invalid value: must be between 1 and 128 characters");
  return m ?? fallback;
}
