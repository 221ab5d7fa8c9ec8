// POST pods/{name}/binding: the Binding body read and handed to the write service's bind.
// A pod already bound elsewhere is a 409, as upstream answers.
import { readObjectBody } from "../body";
import type { ApiContext } from "../context";
import { respondJson } from "../respond";
import { badRequest } from "../../../shared/status-error";
import { writeContextOf } from "../write/context";
import { bindPod } from "../write/bind";
import { keyOf } from "../write/store-writes";

export async function bindingVerb(ctx: ApiContext): Promise<Response> {
  const { def, namespace, name } = ctx.target;
  if (!name) throw badRequest("bindings are served only on pods/{name}/binding");
  const body = await readObjectBody(ctx);
  const target = body.target as { kind?: string; name?: string } | undefined;
  if (!target?.name || (target.kind && target.kind !== "Node")) throw badRequest("target: a Node name is required");
  await bindPod(writeContextOf(ctx), def, keyOf(def, namespace, name), target.name);
  return respondJson({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
}
