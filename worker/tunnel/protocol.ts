// What the Worker and the NodeTunnel Durable Object agree on: the internal headers that carry a
// request to the DO and the hibernation tags. (The frames and the Status shape an agent reports
// errors in are shared with the agent: shared/tunnel/ and shared/status.ts.)
import type { NodeTunnelRpc } from "../durable/rpc";
import type { Env } from "../env";
import { protocolsWithoutBearer } from "../api/websocket-bearer";

/** "agent" (a node's tunnel connection) or "stream" (a client's log/exec/attach/portforward). */
export const TUNNEL_OP_HEADER = "x-edgeplane-tunnel-op";
/** JSON StreamOpen for a stream request. */
export const TUNNEL_OPEN_HEADER = "x-edgeplane-tunnel-open";
export const TUNNEL_NODE_HEADER = "x-edgeplane-node";
/** On a log answer from the DO: the stream's id, by which the Worker releases it (NodeTunnelRpc.cancelLog). */
export const TUNNEL_STREAM_HEADER = "x-edgeplane-tunnel-stream";

export const AGENT_TAG = "agent";

export function streamTag(id: number): string {
  return `stream:${id}`;
}

export function tunnelStub(env: Env, node: string): DurableObjectStub<NodeTunnelRpc> {
  return env.NODE_TUNNEL.get(env.NODE_TUNNEL.idFromName(node));
}

/**
 * Internal headers a client must never be able to set: stripped before the DO sees a request. Its
 * credentials go no further either: the Authorization header, and a bearer-token subprotocol.
 */
export function internalHeaders(source: Headers, op: "agent" | "stream", node: string): Headers {
  const headers = new Headers(source);
  headers.delete("authorization");
  const protocols = protocolsWithoutBearer(source.get("sec-websocket-protocol"));
  if (protocols === null) headers.delete("sec-websocket-protocol");
  else headers.set("sec-websocket-protocol", protocols);
  headers.set(TUNNEL_OP_HEADER, op);
  headers.set(TUNNEL_NODE_HEADER, node);
  headers.delete(TUNNEL_OPEN_HEADER);
  return headers;
}
