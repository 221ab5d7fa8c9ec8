// Node Lease requests (kube-node-lease) are served from the NodeLeases Durable Object, so a
// renewal is not a SQL write (DESIGN decision 9). Returns null to fall through to the generic verbs.
import { isDryRun } from "../api/admission";
import { readObjectBody } from "../api/body";
import type { ApiContext } from "../api/context";
import { checkTypeMeta } from "../api/object-meta";
import { respondObject } from "../api/respond";
import { badRequest, conflict } from "../../shared/status-error";
import { validateObject } from "../api/validate";
import { createVerb } from "../api/verbs/create";
import { deleteVerb } from "../api/verbs/delete";
import { getVerb } from "../api/verbs/get";
import { listVerb } from "../api/verbs/list";
import { patchVerb } from "../api/verbs/patch";
import { updateVerb } from "../api/verbs/update";
import { keyOf, revisionOf } from "../api/write/store-writes";
import { nodeLeases } from "../durable/node-leases";
import type { KubeObject } from "../resources/types";
import { mergeLease, renewalOf } from "./lease-merge";
import { nodeLeaseStore, type LeaseAuthority } from "./lease-store";

function authority(ctx: ApiContext): LeaseAuthority {
  const stub = nodeLeases(ctx.env);
  return {
    view: (name) => stub.view(name),
    views: () => stub.views(),
    renew: (name, expected, sqlRevision, renewTime) => stub.renew(name, expected, sqlRevision, renewTime),
    beginWrite: (name, expected, sqlRevision) => stub.beginWrite(name, expected, sqlRevision),
    written: (name, sqlRevision, renewTime) => stub.written(name, sqlRevision, renewTime),
    abortWrite: (name) => stub.abortWrite(name),
    forget: (name) => stub.forget(name),
  };
}

/**
 * PUT of a Lease that changes only spec.renewTime: recorded in NodeLeases, answered like
 * an update (a new resourceVersion, 409 on a stale one), with no SQL write and no watch
 * event. Returns null when the PUT is anything else.
 */
async function renewal(ctx: ApiContext, leases: LeaseAuthority): Promise<Response | null> {
  const { def, version, namespace, name } = ctx.target;
  if (!name || ctx.target.subresource) return null;
  const row = await ctx.store.get(keyOf(def, namespace, name));
  if (!row) return null;
  const body = checkTypeMeta(def, version, await readObjectBody({ ...ctx, request: ctx.request.clone() as Request }));
  if (body.metadata.name !== undefined && body.metadata.name !== name) return null; // the generic verb says why
  const current = mergeLease(row, await leases.view(name));
  const renewTime = renewalOf(body, current.value);
  if (renewTime === undefined) return null;
  const wanted = revisionOf(body);
  if (wanted === -1) throw badRequest(`metadata.resourceVersion: Invalid value: "${body.metadata.resourceVersion}": must be a positive integer`);
  // NodeLeases decides staleness (it may have been reloaded and know more than its view says);
  // a dry run has only the view to go by.
  if (isDryRun(ctx) && wanted !== undefined && wanted !== current.revision) throw conflict({ group: def.group, resource: def.plural }, name);
  const next = { ...current.value, spec: { ...(current.value.spec as object), renewTime } } as KubeObject;
  validateObject(def, next, current.value); // a malformed renewTime is a 422 naming spec.renewTime
  if (isDryRun(ctx)) return respondObject(ctx, next);
  const outcome = await leases.renew(name, wanted, row.revision, renewTime);
  if (!outcome.ok) throw conflict({ group: def.group, resource: def.plural }, name);
  return respondObject(ctx, { ...next, metadata: { ...next.metadata, resourceVersion: String(outcome.resourceVersion) } });
}

export async function nodeLeaseVerb(ctx: ApiContext): Promise<Response | null> {
  const leases = authority(ctx);
  const merged: ApiContext = { ...ctx, store: nodeLeaseStore(ctx.store, leases) };
  const named = Boolean(ctx.target.name);
  const watch = ["1", "true"].includes(ctx.url.searchParams.get("watch") ?? "");
  switch (ctx.request.method) {
    case "GET":
      // Watchers see only the SQL writes (creation, holder changes…), not renewals: a renewal
      // is not a change anyone needs pushed, and each would otherwise be a change-log row.
      if (watch) return null;
      return named ? getVerb(merged) : listVerb(merged);
    case "PUT":
      return (await renewal(ctx, leases)) ?? updateVerb(merged);
    case "PATCH":
      return patchVerb(merged);
    case "POST":
      return createVerb(merged);
    case "DELETE":
      return named ? deleteVerb(merged) : null;
    default:
      return null;
  }
}
