// The route a node agent opens its outbound tunnel on (logs, exec, attach, port-forward):
// authenticated here (the node's own credential, or the admin), then handed to that node's DO.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../api/auth";
import { badRequest, forbidden } from "../../shared/status-error";
import { openStore, prepareStore } from "../store/open";
import { internalHeaders, tunnelStub } from "./protocol";
import type { Registry } from "../resources/registry";

export function tunnelRoutes(registry: Registry): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/edgeplane/v1/nodes/:node/tunnel", async (c) => {
    await prepareStore(c.env);
    const principal = await authenticate(c.req.raw, c.env, openStore(c.env, registry));
    const node = c.req.param("node");
    const allowed = principal.kind === "admin" || (principal.kind === "node" && principal.scope === node);
    if (!allowed) throw forbidden(principal.user, "get", { group: "", resource: "nodes/tunnel" }, undefined, node);
    if ((c.req.header("upgrade") ?? "").toLowerCase() !== "websocket") {
      throw badRequest("the node tunnel is a WebSocket: send Upgrade: websocket");
    }
    const request = new Request(c.req.raw, { headers: internalHeaders(c.req.raw.headers, "agent", node) });
    return tunnelStub(c.env, node).fetch(request);
  });
  return app;
}
