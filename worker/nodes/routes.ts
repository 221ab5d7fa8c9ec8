// Routes for joining nodes: the install script, the bundled agent and the join-token exchange.
// Mounted before the API's auth middleware: the script and the bundle are public (they hold no
// secret), the exchange authenticates with the join token itself.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { decodeBody, readBodyText } from "../api/negotiate";
import { StatusError } from "../../shared/status-error";
import { openStore, prepareStore } from "../store/open";
import { agentBundle } from "./assets";
import { installScript } from "./install-script";
import { exchangeJoinToken } from "./join";
import { nodeCredentialTtlMs } from "./node-credential";
import { watchHub } from "../api/write/store-writes";
import type { Registry } from "../resources/registry";

export const AGENT_BUNDLE_PATH = "/edgeplane/v1/agent.mjs";

export function nodeRoutes(registry: Registry): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/install.sh", (c) => {
    const origin = new URL(c.req.url).origin;
    return new Response(installScript(origin), {
      headers: { "content-type": "text/x-shellscript; charset=utf-8", "cache-control": "no-store" },
    });
  });

  app.get(AGENT_BUNDLE_PATH, (c) => agentBundle(c.env, c.req.raw));

  app.post("/edgeplane/v1/join", async (c) => {
    await prepareStore(c.env);
    const store = openStore(c.env, registry);
    const text = await readBodyText(c.req.raw);
    const body: unknown = text.trim() === "" ? {} : decodeBody(text, "json");
    const credential = await exchangeJoinToken(store, c.req.header("authorization") ?? null, body, new Date(), (event) =>
      watchHub(c.env, "", "secrets").publish([event]).catch(() => undefined),
      nodeCredentialTtlMs(c.env),
    );
    return c.json(credential);
  });

  app.all("/edgeplane/v1/join", () => {
    throw new StatusError(405, "MethodNotAllowed", "POST /edgeplane/v1/join exchanges a join token for a node credential");
  });
  return app;
}
