// The agent bundle (dist/assets/agent.mjs, built by scripts/build-agent.ts) served from the
// Worker's static assets through the ASSETS binding (wrangler.toml [assets]).
import type { Env } from "../env";
import { StatusError } from "../../shared/status-error";

/** The binding wrangler.toml's [assets] section declares; worker/env.ts gains it as `ASSETS?: Fetcher`. */
export interface AssetsEnv {
  ASSETS?: Fetcher;
}

/** The file under the assets directory that holds the agent. */
export const AGENT_ASSET = "/agent.mjs";

export async function agentBundle(env: Env, request: Request): Promise<Response> {
  const assets = (env as Env & AssetsEnv).ASSETS;
  const missing = () =>
    new StatusError(404, "NotFound", "the node agent bundle is not built (run `npm run build:agent`, then restart the Worker)");
  if (!assets) throw missing();
  const found = await assets.fetch(new Request(new URL(AGENT_ASSET, request.url), { method: "GET" }));
  if (!found.ok || !found.body) throw missing();
  return new Response(found.body, {
    headers: {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-cache",
      ...(found.headers.get("etag") ? { etag: found.headers.get("etag") as string } : {}),
    },
  });
}
