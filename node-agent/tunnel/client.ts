// The agent's end of the node tunnel: one outbound WebSocket to the control plane over which
// logs, exec, attach and port-forward streams arrive (nodes behind NAT need no inbound port).
import WebSocket from "ws";
import {
  dataFrames,
  decodeFrame,
  encodeFrame,
  FrameType,
  jsonPayload,
  parseStreamOpen,
  textPayload,
  type Frame,
  type StreamOpen,
} from "../../shared/tunnel/frames";
import { startExec } from "./exec";
import { startLogs } from "./logs";
import { startPortForward } from "./port-forward";
import type { PodRuntime } from "../runtime/types";
import type { StreamContext, StreamHandler, StreamSink } from "./stream";

export interface TunnelOptions {
  /** Control-plane base URL, e.g. https://127.0.0.1:8443 */
  server: string;
  /** The node credential (bearer token), read at each connect: a renewed one is picked up. */
  token: string | (() => string);
  /** PEM of the CA that signs the server's certificate; system trust when absent. */
  ca?: string;
  nodeName: string;
  runtime: PodRuntime;
  log?: (message: string) => void;
}

export interface Tunnel {
  stop(): Promise<void>;
}

export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/** Keep-alive: the DO answers "ping" with "pong" without waking; silence this long means a dead link. */
export const KEEPALIVE_INTERVAL_MS = 20_000;
export const KEEPALIVE_TIMEOUT_MS = 50_000;
/** Producers pause while this much is queued on the socket. */
export const SEND_BUFFER_HIGH_BYTES = 4 * 1024 * 1024;
const DRAIN_POLL_MS = 20;

export function tunnelUrl(server: string, nodeName: string): string {
  const base = server.replace(/\/+$/, "").replace(/^http/, "ws");
  return `${base}/edgeplane/v1/nodes/${encodeURIComponent(nodeName)}/tunnel`;
}

/** Next reconnect delay: doubling from RECONNECT_MIN_MS up to RECONNECT_MAX_MS, with ±20 % jitter. */
export function backoffMs(attempt: number, random = Math.random()): number {
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + 0.4 * random));
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function startStream(open: StreamOpen, sink: StreamSink, ctx: StreamContext): StreamHandler {
  switch (open.kind) {
    case "log":
      return startLogs(open, sink, ctx);
    case "exec":
    case "attach":
      return startExec(open, sink, ctx);
    case "portforward":
      return startPortForward(open, sink, ctx);
  }
}

export function startTunnel(options: TunnelOptions): Tunnel {
  const log = options.log ?? (() => {});
  const ctx: StreamContext = { runtime: options.runtime, log };
  const url = tunnelUrl(options.server, options.nodeName);
  let stopped = false;
  let attempt = 0;
  let socket: WebSocket | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let closedSignal: (() => void) | undefined;

  const connectOnce = () => {
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${typeof options.token === "function" ? options.token() : options.token}` },
      ...(options.ca ? { ca: options.ca } : {}),
      perMessageDeflate: false,
    });
    socket = ws;
    const streams = new Map<number, StreamHandler>();
    let lastPong = Date.now();
    let keepalive: ReturnType<typeof setInterval> | undefined;

    const sinkFor = (id: number): StreamSink => {
      let ended = false;
      const send = (frame: Uint8Array) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      };
      const end = () => {
        ended = true;
        streams.delete(id);
      };
      return {
        ready: () => send(encodeFrame(FrameType.Ready, id)),
        error: (status) => {
          if (ended) return;
          end();
          send(encodeFrame(FrameType.Error, id, jsonPayload(status)));
        },
        data: (bytes) => {
          if (ended) return;
          for (const frame of dataFrames(id, bytes)) send(frame);
        },
        close: (reason) => {
          if (ended) return;
          end();
          send(encodeFrame(FrameType.Close, id, reason ? textPayload(reason) : undefined));
        },
        congested: () => ws.bufferedAmount > SEND_BUFFER_HIGH_BYTES,
        drained: async () => {
          while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > SEND_BUFFER_HIGH_BYTES) {
            await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
          }
        },
      };
    };

    const onFrame = (frame: Frame) => {
      if (frame.type === FrameType.Open) {
        const open = parseStreamOpen(frame.payload);
        const sink = sinkFor(frame.stream);
        if (!open) {
          sink.error({ code: 400, reason: "BadRequest", message: "the node agent does not understand this stream request" });
          return;
        }
        streams.set(frame.stream, startStream(open, sink, ctx));
      } else if (frame.type === FrameType.Data) {
        streams.get(frame.stream)?.data(frame.payload);
      } else if (frame.type === FrameType.Pause) {
        streams.get(frame.stream)?.pause?.();
      } else if (frame.type === FrameType.Resume) {
        streams.get(frame.stream)?.resume?.();
      } else if (frame.type === FrameType.Close) {
        const handler = streams.get(frame.stream);
        streams.delete(frame.stream);
        handler?.close();
      }
    };

    ws.on("open", () => {
      attempt = 0;
      lastPong = Date.now();
      log(`tunnel to ${url} connected`);
      keepalive = setInterval(() => {
        if (Date.now() - lastPong > KEEPALIVE_TIMEOUT_MS) {
          log("tunnel keep-alive timed out; reconnecting");
          ws.terminate();
          return;
        }
        ws.send("ping");
      }, KEEPALIVE_INTERVAL_MS);
    });
    ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        if (data.toString() === "pong") lastPong = Date.now();
        return;
      }
      const frame = decodeFrame(toBytes(data));
      if (frame) onFrame(frame);
    });
    // A refused upgrade (401, 403, 503) arrives here as "Unexpected server response: <code>", then close.
    ws.on("error", (error) => log(`tunnel error: ${error.message}`));
    let handledClose = false;
    ws.on("close", () => {
      if (handledClose) return;
      handledClose = true;
      if (keepalive) clearInterval(keepalive);
      for (const handler of streams.values()) handler.close();
      streams.clear();
      if (socket === ws) socket = undefined;
      if (stopped) {
        closedSignal?.();
        return;
      }
      const delay = backoffMs(attempt++);
      log(`tunnel closed; reconnecting in ${delay} ms`);
      reconnectTimer = setTimeout(connectOnce, delay);
    });
  };

  connectOnce();
  return {
    stop: async () => {
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const ws = socket;
      if (!ws || ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        closedSignal = resolve;
        ws.close(1000, "agent stopping");
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2_000).unref();
      });
    },
  };
}
