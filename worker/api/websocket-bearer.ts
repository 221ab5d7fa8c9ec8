// The bearer token a browser gives a WebSocket (it cannot set Authorization on one): a subprotocol
// `base64url.bearer.authorization.k8s.io.<token, base64url without padding>`, read as kube-apiserver
// reads it (k8s.io/apiserver/pkg/authentication/request/websocket/protocol.go). Pure, for tests.
import { BEARER_PROTOCOL_PREFIX } from "../../shared/bearer-protocol";

export type WebSocketBearer =
  /** Not a WebSocket upgrade, or no token entry: the protocol authenticator has nothing to say. */
  | { kind: "none" }
  | { kind: "token"; token: string }
  /** A token entry that can authenticate no one (kube-apiserver answers 401). */
  | { kind: "invalid"; reason: string };

/** wsstream.IsWebSocketRequest: Connection names upgrade, and Upgrade is websocket. */
export function isWebSocketRequest(headers: Headers): boolean {
  const connection = (headers.get("connection") ?? "").toLowerCase();
  return /(^|,)\s*upgrade\s*($|,)/.test(connection) && (headers.get("upgrade") ?? "").trim().toLowerCase() === "websocket";
}

/** The entries of Sec-WebSocket-Protocol; Headers joins repeated fields with ", ", one list (RFC 6455 11.3.4). */
function protocolsOf(headers: Headers): string[] {
  return (headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Go's base64.RawURLEncoding: the URL alphabet, no padding (an "=" is an illegal byte); null if malformed. */
function decodeRawBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "="));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The token the request's subprotocols carry, with kube-apiserver's checks and their wording. */
export function webSocketBearer(headers: Headers): WebSocketBearer {
  if (!isWebSocketRequest(headers)) return { kind: "none" };
  const protocols = protocolsOf(headers);
  const entries = protocols.filter((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  if (entries.length === 0) return { kind: "none" };
  if (entries.length > 1) return { kind: "invalid", reason: "multiple base64.bearer.authorization tokens specified" };
  const bytes = decodeRawBase64Url(entries[0]!.slice(BEARER_PROTOCOL_PREFIX.length));
  if (!bytes) return { kind: "invalid", reason: "invalid base64.bearer.authorization token encoding" };
  let token: string;
  try {
    token = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { kind: "invalid", reason: "invalid base64.bearer.authorization token" };
  }
  // kube-apiserver's authenticator passes on an empty token, and with no other credential that is
  // its 401; here it is refused outright, so the entry cannot be mistaken for a credential.
  if (token === "") return { kind: "invalid", reason: "empty base64.bearer.authorization token" };
  // Another protocol must remain, to be chosen and echoed: the token's never is.
  if (protocols.length === entries.length) return { kind: "invalid", reason: "missing additional subprotocol" };
  return { kind: "token", token };
}

/**
 * The Sec-WebSocket-Protocol value to pass on: the token entry removed (kube-apiserver sets the
 * header to the rest), so the token goes no further than authentication; null when nothing is left.
 */
export function protocolsWithoutBearer(value: string | null): string | null {
  const rest = (value ?? "").split(",").map((p) => p.trim()).filter((p) => p.length > 0 && !p.startsWith(BEARER_PROTOCOL_PREFIX));
  return rest.length > 0 ? rest.join(", ") : null;
}
