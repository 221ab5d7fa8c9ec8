// Pod streaming subresources (log, exec, attach, portforward): relayed to the node's tunnel.
import type { ApiContext } from "../context";
import { StatusError } from "../status-error";

export const POD_STREAM_SUBRESOURCES: ReadonlySet<string> = new Set(["log", "exec", "attach", "portforward"]);

export async function podStreamVerb(ctx: ApiContext): Promise<Response> {
  throw new StatusError(503, "ServiceUnavailable", `pods/${ctx.target.subresource} is not served yet`);
}
