// `kubectl logs` on the agent: the container's log from the runtime (follow, tail, since,
// timestamps, previous, limitBytes), sent as the body of the log response.
import type { Readable } from "node:stream";
import type { LogOptions, StreamOpen } from "../../shared/tunnel/frames";
import { currentContainer, previousContainer } from "./containers";
import { applyBackpressure, SourceGate, type StreamContext, type StreamHandler, type StreamSink } from "./stream";

type LogOpen = Extract<StreamOpen, { kind: "log" }>;

function sinceUnixSeconds(options: LogOptions, now = Date.now()): number | undefined {
  if (options.sinceSeconds !== undefined) return (now - options.sinceSeconds * 1000) / 1000;
  if (options.sinceTime !== undefined) return Date.parse(options.sinceTime) / 1000;
  return undefined;
}

/**
 * A runtime sends a log as one chunk per line; a tunnel frame per line would cost the tunnel
 * and the control plane a message each (a 200,000-line log took minutes). Bytes are sent in
 * frames of up to LOG_FRAME_BYTES, and a followed line waits at most LOG_FLUSH_MS for company.
 */
export const LOG_FRAME_BYTES = 64 * 1024;
export const LOG_FLUSH_MS = 10;

export class FrameBatcher {
  private parts: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: (bytes: Buffer) => void) {}

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.bytes + bytes.length > LOG_FRAME_BYTES) this.flush();
    this.parts.push(bytes);
    this.bytes += bytes.length;
    if (this.bytes >= LOG_FRAME_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LOG_FLUSH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.bytes === 0) return;
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.bytes = 0;
    this.send(out);
  }

  /** Drops what is pending (the client went away). */
  discard(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.parts = [];
    this.bytes = 0;
  }
}

export function startLogs(open: LogOpen, sink: StreamSink, ctx: StreamContext): StreamHandler {
  let closed = false;
  let started = false;
  let source: Readable | undefined;
  // Paused while the tunnel's buffer is full or the client (kubectl logs -f) stops reading.
  const gate = new SourceGate();
  const batcher = new FrameBatcher((bytes) => sink.data(bytes));
  const finish = () => {
    if (closed) return;
    batcher.flush();
    closed = true;
    source?.destroy();
    sink.close();
  };
  const run = async () => {
    const target = { namespace: open.namespace, pod: open.pod, uid: open.uid };
    const info = open.log.previous
      ? await previousContainer(ctx.runtime, target, open.container)
      : await currentContainer(ctx.runtime, target, open.container);
    if (!info) {
      // kubelet's wording (pkg/kubelet/kubelet_pods.go validateContainerLogStatus).
      const message = open.log.previous
        ? `previous terminated container "${open.container}" in pod "${open.pod}" not found`
        : `container "${open.container}" in pod "${open.pod}" is waiting to start: ContainerCreating`;
      closed = true;
      sink.error({ code: 400, reason: "BadRequest", message });
      return;
    }
    const since = sinceUnixSeconds(open.log);
    const raw = await ctx.runtime.containerLog(info.id, {
      follow: open.log.follow === true && !open.log.previous,
      timestamps: open.log.timestamps,
      ...(open.log.tailLines !== undefined ? { tailLines: open.log.tailLines } : {}),
      ...(since !== undefined ? { sinceUnixSeconds: since } : {}),
    });
    if (closed) {
      raw.destroy();
      return;
    }
    sink.ready();
    started = true;
    let remaining = open.log.limitBytes ?? Number.POSITIVE_INFINITY;
    const emit = (chunk: Buffer): boolean => {
      const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
      remaining -= part.length;
      batcher.push(part);
      return remaining > 0;
    };
    source = raw;
    gate.attach(raw);
    raw.on("data", (chunk: Buffer) => {
      if (closed) return;
      if (!emit(chunk)) finish();
      else applyBackpressure(sink, gate);
    });
    raw.on("end", finish);
    raw.on("close", finish);
    raw.on("error", finish);
  };
  run().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`logs ${open.namespace}/${open.pod}/${open.container}: ${message}`);
    if (closed) return;
    if (started) {
      finish();
      return;
    }
    closed = true;
    sink.error({ code: 500, reason: "InternalError", message: `Internal error occurred: ${message}` });
  });
  return {
    data: () => {},
    pause: () => gate.pause(),
    resume: () => gate.resume(),
    close: () => {
      closed = true;
      batcher.discard();
      source?.destroy();
    },
  };
}
