// One Durable Object per node: holds the WebSocket the node's agent opened outbound, and relays
// logs, exec, attach and port-forward streams between API clients and that agent. WebSockets use
// the hibernation API (tags name the agent and each stream), so an idle tunnel costs nothing.
import { DurableObject } from "cloudflare:workers";
import { StatusError } from "../../shared/status-error";
import type { Env } from "../env";
import type { NodeTunnelRpc } from "./rpc";
import {
  decodeFrame,
  encodeFrame,
  FrameType,
  jsonPayload,
  parseStreamOpen,
  payloadText,
  textPayload,
  type Frame,
  type StreamOpen,
} from "../../shared/tunnel/frames";
import { channelStatusMessage } from "../../shared/tunnel/channels";
import { isStatusBody } from "../../shared/status";
import { AGENT_TAG, streamTag, TUNNEL_NODE_HEADER, TUNNEL_OP_HEADER, TUNNEL_OPEN_HEADER, TUNNEL_STREAM_HEADER } from "../tunnel/protocol";

/** How long a log request waits for the agent to find the container before answering 504. */
export const LOG_READY_TIMEOUT_MS = 15_000;
/**
 * Log bytes held for a client that is not reading before the agent is asked to pause that
 * stream (frames already in flight still land): a stalled `kubectl logs -f` costs this, not the
 * container's whole output.
 */
export const LOG_BUFFER_BYTES = 1024 * 1024;

interface StreamAttachment {
  id: number;
  kind: StreamOpen["kind"];
}

const LOG_HEADERS = { "content-type": "text/plain", "content-encoding": "identity", "cache-control": "no-cache, private" };

type LogOutcome = { ok: true } | { ok: false; status: StatusError };

interface LogStream {
  controller: ReadableStreamDefaultController<Uint8Array>;
  settle: (outcome: LogOutcome) => void;
  settled: boolean;
  /** The agent was asked to pause: the client's buffer is full. */
  paused: boolean;
}

function statusResponse(err: StatusError): Response {
  return new Response(JSON.stringify(err.toStatus()), { status: err.code, headers: { "content-type": "application/json" } });
}

function statusErrorFrom(payload: Uint8Array): StatusError {
  try {
    const body: unknown = JSON.parse(payloadText(payload));
    if (isStatusBody(body)) return new StatusError(body.code, body.reason, body.message);
  } catch {
    // fall through
  }
  return new StatusError(500, "InternalError", `Internal error occurred: ${payloadText(payload)}`);
}

function isAttachment(value: unknown): value is StreamAttachment {
  return typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "number";
}

export class NodeTunnel extends DurableObject<Env> implements NodeTunnelRpc {
  /** Log responses in flight; a streaming response keeps the object awake, so memory is enough. */
  private readonly logs = new Map<number, LogStream>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // The agent's keep-alive is answered without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  // WebSocket upgrades and streamed bodies cross the Worker → DO boundary only as fetch, so this
  // is fetch with an operation header (set by worker/tunnel and pod-stream, never by clients).
  override async fetch(request: Request): Promise<Response> {
    const op = request.headers.get(TUNNEL_OP_HEADER);
    if (op === "agent") return this.acceptAgent();
    if (op === "stream") {
      const raw = request.headers.get(TUNNEL_OPEN_HEADER);
      const open = raw ? parseStreamOpen(textPayload(decodeURIComponent(raw))) : null;
      const node = request.headers.get(TUNNEL_NODE_HEADER) ?? "";
      if (open) return this.openStream(open, node);
    }
    return statusResponse(new StatusError(400, "BadRequest", "unknown tunnel operation"));
  }

  private agent(): WebSocket | undefined {
    return this.ctx.getWebSockets(AGENT_TAG)[0];
  }

  private acceptAgent(): Response {
    // A reconnecting agent replaces its previous connection; streams on the old one end.
    for (const old of this.ctx.getWebSockets(AGENT_TAG)) {
      this.endAllStreams("the node's agent reconnected");
      try {
        old.close(1012, "replaced by a new connection");
      } catch {
        // already closed
      }
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], [AGENT_TAG]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  private newStreamId(): number {
    for (;;) {
      const id = (crypto.getRandomValues(new Uint32Array(1))[0]! & 0x7fffffff) || 1;
      if (!this.logs.has(id) && this.ctx.getWebSockets(streamTag(id)).length === 0) return id;
    }
  }

  private async openStream(open: StreamOpen, node: string): Promise<Response> {
    const agent = this.agent();
    if (!agent) {
      return statusResponse(
        new StatusError(503, "ServiceUnavailable", `node "${node}" has no tunnel connected: is its edgeplane agent running?`),
      );
    }
    const id = this.newStreamId();
    if (open.kind === "log") return this.openLog(agent, id, open, node);
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], [streamTag(id)]);
    const attachment: StreamAttachment = { id, kind: open.kind };
    pair[1].serializeAttachment(attachment);
    agent.send(encodeFrame(FrameType.Open, id, jsonPayload(open)));
    return new Response(null, { status: 101, webSocket: pair[0], headers: { "sec-websocket-protocol": open.protocol } });
  }

  private async openLog(agent: WebSocket, id: number, open: StreamOpen, node: string): Promise<Response> {
    let resolveOutcome: (outcome: LogOutcome) => void = () => {};
    const outcome = new Promise<LogOutcome>((resolve) => (resolveOutcome = resolve));
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c;
        },
        // The client read and the buffer has room again: let the agent send.
        pull: () => {
          const entry = this.logs.get(id);
          if (!entry?.paused) return;
          entry.paused = false;
          this.sendToAgent(encodeFrame(FrameType.Resume, id));
        },
        // The client went away (kubectl logs -f interrupted): stop the agent's docker stream.
        cancel: () => void this.stopLog(id),
      },
      { highWaterMark: LOG_BUFFER_BYTES, size: (chunk) => chunk.byteLength },
    );
    if (!controller) throw new StatusError(500, "InternalError", "Internal error occurred: log stream not started");
    const entry: LogStream = {
      controller,
      settled: false,
      paused: false,
      settle: (o) => {
        if (entry.settled) return;
        entry.settled = true;
        resolveOutcome(o);
      },
    };
    this.logs.set(id, entry);
    agent.send(encodeFrame(FrameType.Open, id, jsonPayload(open)));
    const timer = setTimeout(
      () => entry.settle({ ok: false, status: new StatusError(504, "Timeout", `node "${node}" did not answer the log request in time`) }),
      LOG_READY_TIMEOUT_MS,
    );
    const result = await outcome;
    clearTimeout(timer);
    if (!result.ok) {
      this.stopLog(id);
      return statusResponse(result.status);
    }
    // kubectl always sends Accept-Encoding: gzip; a compressed body would be held back until it
    // fills a zlib block, so `logs -f` lines would not appear as they come. `identity` opts out.
    return new Response(body, { headers: { ...LOG_HEADERS, [TUNNEL_STREAM_HEADER]: String(id) } });
  }

  /**
   * RPC from the Worker when a log stream's WebSocket client closed: a cancelled body reaches this
   * object only when it next writes, which a quiet container may not do for hours.
   */
  async cancelLog(id: number): Promise<void> {
    try {
      this.stopLog(id)?.controller.close();
    } catch {
      // already closed or errored
    }
  }

  /** Forgets a log stream and tells the agent to stop it; the entry, if it was still open. */
  private stopLog(id: number): LogStream | undefined {
    const entry = this.logs.get(id);
    if (!entry) return undefined;
    this.logs.delete(id);
    this.sendToAgent(encodeFrame(FrameType.Close, id));
    return entry;
  }

  private sendToAgent(frame: Uint8Array): void {
    try {
      this.agent()?.send(frame);
    } catch {
      // The agent is gone; its close handler ends every stream.
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.ctx.getTags(ws).includes(AGENT_TAG)) {
      if (typeof message === "string") return;
      const frame = decodeFrame(message);
      if (frame) this.fromAgent(frame);
      return;
    }
    const attachment: unknown = ws.deserializeAttachment();
    if (!isAttachment(attachment)) return;
    const bytes = typeof message === "string" ? textPayload(message) : new Uint8Array(message);
    this.sendToAgent(encodeFrame(FrameType.Data, attachment.id, bytes));
  }

  private fromAgent(frame: Frame): void {
    const log = this.logs.get(frame.stream);
    if (log) {
      this.logFrame(frame, log);
      return;
    }
    const ws = this.ctx.getWebSockets(streamTag(frame.stream))[0];
    if (!ws) {
      // A stream the client already left: tell the agent to stop it.
      if (frame.type === FrameType.Data || frame.type === FrameType.Ready) this.sendToAgent(encodeFrame(FrameType.Close, frame.stream));
      return;
    }
    try {
      if (frame.type === FrameType.Data) ws.send(frame.payload.slice());
      else if (frame.type === FrameType.Close || frame.type === FrameType.Error) ws.close(1000, "");
    } catch {
      // The client socket closed in between; its close handler tells the agent.
    }
  }

  private logFrame(frame: Frame, log: LogStream): void {
    try {
      switch (frame.type) {
        case FrameType.Ready:
          log.settle({ ok: true });
          break;
        case FrameType.Error:
          log.settle({ ok: false, status: statusErrorFrom(frame.payload) });
          this.logs.delete(frame.stream);
          break;
        case FrameType.Data:
          log.settle({ ok: true });
          log.controller.enqueue(frame.payload.slice());
          if (!log.paused && (log.controller.desiredSize ?? 0) <= 0) {
            log.paused = true;
            this.sendToAgent(encodeFrame(FrameType.Pause, frame.stream));
          }
          break;
        case FrameType.Close:
          log.settle({ ok: true });
          this.logs.delete(frame.stream);
          log.controller.close();
          break;
      }
    } catch {
      // The body was cancelled meanwhile.
      this.logs.delete(frame.stream);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.closed(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.closed(ws, 1011, "error");
  }

  private closed(ws: WebSocket, code: number, reason: string): void {
    try {
      // Compatibility dates before automatic close replies need the close echoed.
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
    if (this.ctx.getTags(ws).includes(AGENT_TAG)) {
      if (this.ctx.getWebSockets(AGENT_TAG).every((other) => other === ws)) this.endAllStreams("the node's tunnel closed");
      return;
    }
    const attachment: unknown = ws.deserializeAttachment();
    if (isAttachment(attachment)) this.sendToAgent(encodeFrame(FrameType.Close, attachment.id));
  }

  /** The agent is gone: exec/attach clients get a Failure Status on channel 3, every stream ends. */
  private endAllStreams(why: string): void {
    for (const [id, log] of this.logs) {
      this.logs.delete(id);
      log.settle({ ok: false, status: new StatusError(503, "ServiceUnavailable", why) });
      try {
        log.controller.error(new Error(why));
      } catch {
        // already closed
      }
    }
    for (const ws of this.ctx.getWebSockets()) {
      if (this.ctx.getTags(ws).includes(AGENT_TAG)) continue;
      const attachment: unknown = ws.deserializeAttachment();
      try {
        if (isAttachment(attachment) && (attachment.kind === "exec" || attachment.kind === "attach")) {
          ws.send(channelStatusMessage({ status: "Failure", reason: "InternalError", message: why, code: 500 }));
        }
        ws.close(1011, why);
      } catch {
        // already closed
      }
    }
  }
}
