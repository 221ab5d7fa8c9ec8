// The WebSocket subprotocol that carries a bearer token, since a browser cannot set Authorization
// on a WebSocket: kube-apiserver's k8s.io/apiserver/pkg/authentication/request/websocket.
export const BEARER_PROTOCOL_PREFIX = "base64url.bearer.authorization.k8s.io.";

/** The subprotocol for a token: base64url without padding (a subprotocol cannot hold "+", "/" or "="). */
export function bearerProtocol(token: string): string {
  const binary = String.fromCharCode(...new TextEncoder().encode(token));
  return BEARER_PROTOCOL_PREFIX + btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
