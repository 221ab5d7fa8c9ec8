// Encodes a response body in the negotiated representation (JSON, YAML or Table).
import { stringify as toYaml } from "yaml";
import type { ApiContext } from "./context";

export function respondJson(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** An object or list in JSON or YAML as the client asked (Table handling happens before this). */
export function respondObject(ctx: ApiContext, body: unknown, status = 200): Response {
  if (ctx.output.type === "yaml") {
    return new Response(toYaml(body), { status, headers: { "content-type": "application/yaml" } });
  }
  return respondJson(body, status);
}
