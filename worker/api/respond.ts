// Encodes a response body in the negotiated representation (JSON, YAML or Table).
import { stringify as toYaml } from "yaml";
import type { KubeObject, ResourceDef } from "../resources/types";
import type { ApiContext } from "./context";

export function respondJson(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** The object in the API version the client addressed (an older served version is converted out). */
export function presentAs(def: ResourceDef, version: string, obj: KubeObject): KubeObject {
  if (version === def.version || !def.convertOut || obj.kind !== def.kind) return obj;
  return def.convertOut(obj, version);
}

/** An object or list in JSON or YAML as the client asked (Table handling happens before this). */
export function respondObject(ctx: ApiContext, body: unknown, status = 200): Response {
  const { def, version } = ctx.target;
  if (version !== def.version && typeof body === "object" && body !== null && (body as KubeObject).kind === def.kind) {
    body = presentAs(def, version, body as KubeObject);
  }
  if (ctx.output.type === "yaml") {
    return new Response(toYaml(body), { status, headers: { "content-type": "application/yaml" } });
  }
  return respondJson(body, status);
}
