// POST: a new object from the request body, through the write service's create.
import { fieldManagerOf } from "../admission";
import { decodeObject, readObjectBody, withWarnings } from "../body";
import type { ApiContext } from "../context";
import { checkTypeMeta } from "../object-meta";
import { respondObject } from "../respond";
import { badRequest } from "../../../shared/status-error";
import { writeContextOf } from "../write/context";
import { createNew } from "../write/create";

export async function createVerb(ctx: ApiContext): Promise<Response> {
  const { def, version, name, subresource, namespace } = ctx.target;
  if (name || subresource) throw badRequest("POST is served only on a collection");
  const write = writeContextOf(ctx);
  const { obj: input, warnings } = decodeObject(ctx, def, checkTypeMeta(def, version, await readObjectBody(ctx)));
  const created = await createNew(write, def, input, fieldManagerOf(ctx, userAgentManager(ctx)), namespace);
  return withWarnings(respondObject(ctx, created, 201), [...warnings, ...write.warnings]);
}

/** kube-apiserver names the manager after the client's user agent when none is given. */
export function userAgentManager(ctx: ApiContext): string {
  const ua = ctx.request.headers.get("user-agent") ?? "unknown";
  return ua.split("/")[0]!.slice(0, 128) || "unknown";
}
