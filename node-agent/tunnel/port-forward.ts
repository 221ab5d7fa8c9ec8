// `kubectl port-forward` on the agent: kubectl's SPDY/3.1 session arrives as raw bytes; per local
// connection it opens an error stream and a data stream (headers streamType, port, requestID),
// and the data stream is joined to the pod's port through the runtime, as kubelet's SPDY
// port-forward server does.
import type { Duplex } from "node:stream";
import type { StreamOpen } from "../../shared/tunnel/frames";
import { runningSandbox } from "./containers";
import {
  controlStreamId,
  ControlType,
  dataFrame,
  FLAG_FIN,
  goAwayFrame,
  GoAwayStatus,
  MAX_DATA_FRAME_BYTES,
  MAX_INBOUND_DATA_FRAME_BYTES,
  pingFrame,
  rstStreamFrame,
  RstStatus,
  SpdyFrameReader,
  SpdyHeaderCodec,
  SpdyProtocolError,
  synReplyFrame,
  type SpdyFrame,
} from "./spdy";
import { applyBackpressure, type StreamContext, type StreamHandler, type StreamSink } from "./stream";

type PortForwardOpen = Extract<StreamOpen, { kind: "portforward" }>;

/** Bytes of a SYN_STREAM before its header block: stream id, associated id, priority, slot. */
const SYN_STREAM_PREFIX_BYTES = 10;

/**
 * Bytes for the pod that it has not read yet, per data stream. kubelet blocks in io.Copy and so
 * pauses kubectl; the agent cannot (the control plane's WebSocket has no receive-side flow
 * control), so past this the stream is reset. 4 MiB is Linux's tcp_wmem maximum: a pod that
 * reads at all drains into the kernel's send buffer first, and only a stalled one gets here.
 */
export const MAX_POD_WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
/** Frame payloads received but not yet handled (the queue waits on a connect, on zlib). */
export const MAX_QUEUED_FRAME_BYTES = 4 * 1024 * 1024;

interface Pair {
  port: number;
  error?: number;
  data?: number;
  socket?: Duplex;
  /** Error text waiting for the error stream (kubectl usually opens it first). */
  failure?: string;
  done?: boolean;
}

export function startPortForward(open: PortForwardOpen, sink: StreamSink, ctx: StreamContext): StreamHandler {
  const reader = new SpdyFrameReader();
  const codec = new SpdyHeaderCodec();
  const pairs = new Map<string, Pair>();
  const streamPair = new Map<number, Pair>();
  let closed = false;
  let sandbox: Promise<string | undefined> | undefined;
  /** The highest stream the client opened that was handled (GOAWAY's last-good-stream-id). */
  let lastStream = 0;
  let queuedBytes = 0;
  /** The reader refused a frame: what follows cannot be framed, so it is dropped. */
  let unframed = false;
  // Frames are handled and sent strictly in order; header (de)compression makes some steps async.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (step: () => Promise<void> | void) => {
    queue = queue.then(step).catch((error: unknown) => abort(error));
  };
  const send = (frame: Buffer) => {
    if (!closed) sink.data(frame);
  };

  /** Ends the session on an error; a protocol error is told to the client with GOAWAY first. */
  const abort = (error: unknown) => {
    ctx.log(`port-forward ${open.namespace}/${open.pod}: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof SpdyProtocolError) send(goAwayFrame(lastStream, GoAwayStatus.ProtocolError));
    shutdown();
  };

  const shutdown = () => {
    if (closed) return;
    closed = true;
    for (const pair of pairs.values()) pair.socket?.destroy();
    codec.close();
    sink.close();
  };

  const finishPair = (pair: Pair) => {
    if (pair.done) return;
    pair.done = true;
    if (pair.error !== undefined) {
      if (pair.failure) send(dataFrame(pair.error, Buffer.from(pair.failure)));
      send(dataFrame(pair.error, Buffer.alloc(0), true));
    }
  };

  const fail = (pair: Pair, message: string, status: number = RstStatus.Cancel) => {
    if (pair.failure) return;
    pair.failure = `error forwarding port ${pair.port} to pod ${open.pod}: ${message}`;
    if (pair.data !== undefined) send(rstStreamFrame(pair.data, status));
    if (pair.error !== undefined) enqueue(() => finishPair(pair));
  };

  /** Gives up on the pair's connection: RST_STREAM for its data stream, the reason on its error stream. */
  const reset = (pair: Pair, message: string, status: number) => {
    const socket = pair.socket;
    pair.socket = undefined;
    socket?.destroy();
    fail(pair, message, status);
  };

  const connectData = async (pair: Pair, stream: number) => {
    sandbox ??= runningSandbox(ctx.runtime, { namespace: open.namespace, pod: open.pod, uid: open.uid }).then((c) => c?.id);
    const id = await sandbox;
    if (!id) {
      fail(pair, "the pod is not running on this node");
      return;
    }
    let socket: Duplex;
    try {
      socket = await ctx.runtime.connectPort(id, pair.port);
    } catch (error) {
      fail(pair, error instanceof Error ? error.message : String(error));
      return;
    }
    if (closed) {
      socket.destroy();
      return;
    }
    pair.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += MAX_DATA_FRAME_BYTES) {
        send(dataFrame(stream, chunk.subarray(at, at + MAX_DATA_FRAME_BYTES)));
      }
      applyBackpressure(sink, socket);
    });
    socket.on("end", () => {
      send(dataFrame(stream, Buffer.alloc(0), true));
      finishPair(pair);
    });
    socket.on("error", (error) => fail(pair, error.message));
  };

  const onSynStream = async (frame: Extract<SpdyFrame, { kind: "control" }>) => {
    const stream = controlStreamId(frame.payload);
    const headers = await codec.decode(frame.payload.subarray(SYN_STREAM_PREFIX_BYTES));
    lastStream = Math.max(lastStream, stream);
    send(await synReplyFrame(codec, stream, {}));
    const port = Number(headers.get("port"));
    const requestId = headers.get("requestid") ?? String(stream);
    const type = headers.get("streamtype");
    if (!Number.isInteger(port) || port <= 0 || port > 65535 || (type !== "error" && type !== "data")) {
      send(rstStreamFrame(stream, RstStatus.ProtocolError));
      return;
    }
    let pair = pairs.get(requestId);
    if (!pair) {
      pair = { port };
      pairs.set(requestId, pair);
    }
    streamPair.set(stream, pair);
    if (type === "error") {
      pair.error = stream;
      if (pair.failure) finishPair(pair);
      return;
    }
    pair.data = stream;
    await connectData(pair, stream);
  };

  const onData = (frame: Extract<SpdyFrame, { kind: "data" }>) => {
    const pair = streamPair.get(frame.stream);
    const socket = pair?.data === frame.stream ? pair.socket : undefined;
    if (!pair || !socket) return;
    if (frame.payload.length > 0) socket.write(frame.payload);
    if (socket.writableLength > MAX_POD_WRITE_BUFFER_BYTES) {
      // kubelet resets a stream it cannot write to the pod with CANCEL (spdystream's Reset).
      reset(pair, `the pod is not reading: ${socket.writableLength} bytes sent to it are unread (limit ${MAX_POD_WRITE_BUFFER_BYTES})`, RstStatus.Cancel);
      return;
    }
    if (frame.flags & FLAG_FIN) socket.end();
  };

  const onFrame = async (frame: SpdyFrame) => {
    if (frame.kind === "data") return onData(frame);
    if (frame.kind === "oversized") {
      const pair = streamPair.get(frame.stream);
      const message = `SPDY data frame of ${frame.length} bytes exceeds the ${MAX_INBOUND_DATA_FRAME_BYTES}-byte limit`;
      if (pair?.data === frame.stream) reset(pair, message, RstStatus.FrameTooLarge);
      else send(rstStreamFrame(frame.stream, RstStatus.FrameTooLarge));
      return;
    }
    switch (frame.type) {
      case ControlType.SynStream:
        await onSynStream(frame);
        break;
      case ControlType.RstStream: {
        const pair = streamPair.get(controlStreamId(frame.payload));
        pair?.socket?.destroy();
        break;
      }
      case ControlType.Ping:
        // A server echoes the client's (odd) ping ids.
        if (frame.payload.length >= 4) send(pingFrame(frame.payload.readUInt32BE(0)));
        break;
      case ControlType.GoAway:
        shutdown();
        break;
      // SETTINGS, WINDOW_UPDATE and HEADERS need no answer here.
    }
  };

  return {
    data: (bytes) => {
      if (closed || unframed) return;
      let frames: SpdyFrame[];
      try {
        frames = reader.push(Buffer.from(bytes));
      } catch (error) {
        unframed = true;
        // Behind frames already queued, so the GOAWAY names what they opened.
        enqueue(() => abort(error));
        return;
      }
      for (const frame of frames) {
        const size = frame.kind === "oversized" ? 0 : frame.payload.length;
        queuedBytes += size;
        enqueue(async () => {
          queuedBytes -= size;
          await onFrame(frame);
        });
      }
      if (queuedBytes > MAX_QUEUED_FRAME_BYTES) {
        abort(new Error(`${queuedBytes} bytes of SPDY frames are waiting to be handled (limit ${MAX_QUEUED_FRAME_BYTES})`));
      }
    },
    close: () => {
      if (closed) return;
      closed = true;
      for (const pair of pairs.values()) pair.socket?.destroy();
      codec.close();
    },
  };
}
