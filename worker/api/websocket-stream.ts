// A read-only stream served over a WebSocket, as kube-apiserver serves watches (handlers/watch.go
// HandleWS) and logs (wsstream.Reader) to browsers, which cannot set Authorization and hold only 6
// HTTP/1.1 connections per host: the subprotocol it answers, and the relay from a source stream.
import { StatusError, badRequest } from "../../shared/status-error";
import { protocolsWithoutBearer } from "./websocket-bearer";

/** wsstream.NewDefaultReaderProtocols: "" (none offered) and binary.k8s.io send bytes, base64.binary.k8s.io base64 text. */
export const READER_PROTOCOLS = ["", "binary.k8s.io", "base64.binary.k8s.io"] as const;
export type ReaderProtocol = (typeof READER_PROTOCOLS)[number];

/** The offered subprotocols in order, the bearer-token entry removed (kube-apiserver's authenticator rewrites the header so). */
function offered(headers: Headers): string[] {
  return (protocolsWithoutBearer(headers.get("sec-websocket-protocol")) ?? "").split(",").map((p) => p.trim()).filter((p) => p.length > 0);
}

/**
 * A watch's answer (golang.org/x/net/websocket's server, no handshake hook): the one protocol left
 * is echoed whatever it is (a browser fails a handshake that echoes none of its offers); none
 * offered, none echoed; more than one is its ErrBadWebSocketProtocol, a 400.
 */
export function watchSubprotocol(headers: Headers): string | undefined {
  const protocols = offered(headers);
  if (protocols.length > 1) throw badRequest(`bad WebSocket protocol: a watch echoes one subprotocol, ${protocols.length} were offered`);
  return protocols[0];
}

/**
 * A log's answer (wsstream's handshake): the first offered protocol it knows, "" when none is
 * offered; offers it knows none of are refused with 403, as upstream's failed handshake is.
 */
export function readerSubprotocol(headers: Headers): ReaderProtocol {
  const protocols = offered(headers);
  if (protocols.length === 0) return "";
  // Upstream takes the client's order, not its own: the first offer it supports wins.
  const chosen = protocols.find((p): p is ReaderProtocol => (READER_PROTOCOLS as readonly string[]).includes(p));
  if (chosen === undefined) {
    throw new StatusError(403, "Forbidden", `requested protocol(s) are not supported: [${protocols.join(" ")}]; supports [${READER_PROTOCOLS.filter((p) => p).join(" ")}]`);
  }
  return chosen;
}

/** Base64 of bytes, in slices: String.fromCharCode takes a bounded argument list. */
function base64Of(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.byteLength; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export type Message = string | Uint8Array;

/** How a byte stream becomes messages: any to send first, those of each chunk, any at the end. */
export interface Framing {
  start?: Message[];
  chunk(bytes: Uint8Array): Message[];
  end?(): Message[];
}

/**
 * wsstream.Reader's messages for a byte stream: first an empty one (NewReader's ping, so the client
 * knows the stream is open), then each chunk as bytes, or as base64 text for base64.binary.k8s.io.
 */
export function readerFraming(protocol: ReaderProtocol): Framing {
  const text = protocol === "base64.binary.k8s.io";
  return {
    start: [text ? "" : new Uint8Array(0)],
    chunk: (bytes) => (bytes.byteLength === 0 ? [] : [text ? base64Of(bytes) : bytes]),
  };
}

/** RFC 6455 codes a close frame may carry (1005 and 1006 are reported, never sent). */
function sendableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/**
 * Answers 101 with a WebSocket and relays `source` into it, framed by `framing`. What the client
 * sends is ignored (wsstream.IgnoreReceives). Its close cancels `source` and calls `onClientGone`:
 * a cancel reaches a Durable Object's stream only when it next writes (workerd), so a source that
 * may stay quiet (a watch) must also be released explicitly. The end of `source` closes normally
 * (1000), a failure with 1011.
 */
export function serveOverWebSocket(source: ReadableStream<Uint8Array>, framing: Framing, protocol: string | undefined, waitUntil: (p: Promise<unknown>) => void, onClientGone: () => void = () => undefined): Response {
  const pair = new WebSocketPair();
  const client = pair[0];
  const server = pair[1];
  server.accept();
  const reader = source.getReader();
  let open = true;
  const finish = (code: number, reason: string): void => {
    if (!open) return;
    open = false;
    reader.cancel().catch(() => undefined);
    try {
      server.close(code, reason);
    } catch {
      // already closed by the client
    }
  };
  const gone = (code: number, reason: string): void => {
    if (!open) return;
    finish(code, reason);
    onClientGone();
  };
  // The close is echoed (compatibility dates before automatic close replies need it) and the source cancelled.
  server.addEventListener("close", (event) => gone(sendableCode(event.code), ""));
  server.addEventListener("error", () => gone(1011, "connection error"));
  const send = (messages: Message[]): void => {
    for (const message of messages) if (open) server.send(message);
  };
  const relay = async (): Promise<void> => {
    try {
      send(framing.start ?? []);
      for (;;) {
        const { done, value } = await reader.read();
        if (done || !open) break;
        send(framing.chunk(value));
      }
      send(framing.end?.() ?? []);
      finish(1000, "");
    } catch {
      finish(1011, "the stream failed");
    }
  };
  waitUntil(relay());
  return new Response(null, { status: 101, webSocket: client, headers: protocol ? { "sec-websocket-protocol": protocol } : {} });
}
