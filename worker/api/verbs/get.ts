// GET of one object (and its status subresource, which reads the same object).
import type { ApiContext } from "../context";
import { query } from "../context";
import { respondJson, respondObject } from "../respond";
import { badRequest } from "../../../shared/status-error";
import { parseIncludeObject, toTable } from "../table";
import { getObject, keyOf } from "../write/store-writes";

export async function getVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name, subresource } = ctx.target;
  if (!name) throw badRequest("a name is required");
  if (subresource && subresource !== "status") throw badRequest(`the server does not support subresource "${subresource}" for get`);
  const stored = await getObject(ctx, def, keyOf(def, namespace, name));
  if (ctx.output.type === "table") {
    return respondJson(
      toTable(def, [stored.value], {
        now: ctx.now,
        include: parseIncludeObject(query(ctx, "includeObject")),
        version: ctx.output.version,
        resourceVersion: stored.value.metadata.resourceVersion,
      }),
    );
  }
  if (ctx.output.type === "meta") {
    return respondJson({ kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${ctx.output.version}`, metadata: stored.value.metadata });
  }
  return respondObject(ctx, stored.value);
}
