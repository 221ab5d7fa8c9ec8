// Checks kube-apiserver's admission chain makes before any write: the namespace exists
// and is not terminating (NamespaceLifecycle), and dry runs are recognised.
import type { ResourceDef } from "../resources/types";
import type { Store } from "../store/types";
import type { ApiContext } from "./context";
import { query } from "./context";
import { badRequest, notFound, StatusError } from "../../shared/status-error";

export async function requireActiveNamespace(ctx: { store: Store }, def: ResourceDef, namespace: string | undefined, name = ""): Promise<void> {
  if (!def.namespaced || !namespace) return;
  const ns = await ctx.store.get({ group: "", resource: "namespaces", namespace: "", name: namespace });
  if (!ns) throw notFound({ group: "", resource: "namespaces" }, namespace);
  if (ns.value.metadata.deletionTimestamp) {
    throw new StatusError(
      403,
      "Forbidden",
      `${def.plural} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      { group: def.group, kind: def.plural, causes: [{ reason: "NamespaceTerminating", message: `namespace ${namespace} is being terminated`, field: "metadata.namespace" }] },
    );
  }
}

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
