// One Durable Object per node: holds the WebSocket the node's agent opened outbound, and relays
// logs, exec, attach and port-forward streams between API clients and that agent.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class NodeTunnel extends DurableObject<Env> {
  override async fetch(_request: Request): Promise<Response> {
    return new Response("tunnel not implemented", { status: 503 });
  }
}
