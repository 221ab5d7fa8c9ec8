// `kubectl logs` on the agent: the container's Docker log stream (follow, tail, since, timestamps,
// previous, limitBytes), demultiplexed when it has no TTY, sent as the body of the log response.
import type { Readable } from "node:stream";
import type { LogOptions, StreamOpen } from "../../worker/tunnel/frames";
import { currentContainer, previousContainer } from "./containers";
import { DockerDemuxer } from "./docker-frames";
import { applyBackpressure, type StreamContext, type StreamHandler, type StreamSink } from "./stream";

type LogOpen = Extract<StreamOpen, { kind: "log" }>;

function sinceUnixSeconds(options: LogOptions, now = Date.now()): number | undefined {
  if (options.sinceSeconds !== undefined) return (now - options.sinceSeconds * 1000) / 1000;
  if (options.sinceTime !== undefined) return Date.parse(options.sinceTime) / 1000;
  return undefined;
}

function isReadable(value: unknown): value is Readable {
  return typeof value === "object" && value !== null && typeof (value as { on?: unknown }).on === "function";
}

export function startLogs(open: LogOpen, sink: StreamSink, ctx: StreamContext): StreamHandler {
  let closed = false;
  let started = false;
  let source: Readable | undefined;
  const finish = () => {
    if (closed) return;
    closed = true;
    source?.destroy();
    sink.close();
  };
  const run = async () => {
    const ref = { node: ctx.node, namespace: open.namespace, pod: open.pod, uid: open.uid };
    const info = open.log.previous
      ? await previousContainer(ctx.docker, ref, open.container)
      : await currentContainer(ctx.docker, ref, open.container);
    if (!info) {
      // kubelet's wording (pkg/kubelet/kubelet_pods.go validateContainerLogStatus).
      const message = open.log.previous
        ? `previous terminated container "${open.container}" in pod "${open.pod}" not found`
        : `container "${open.container}" in pod "${open.pod}" is waiting to start: ContainerCreating`;
      closed = true;
      sink.error({ code: 400, reason: "BadRequest", message });
      return;
    }
    const container = ctx.docker.getContainer(info.Id);
    const tty = (await container.inspect()).Config.Tty;
    const since = sinceUnixSeconds(open.log);
    const base = {
      stdout: true,
      stderr: true,
      timestamps: open.log.timestamps,
      ...(open.log.tailLines !== undefined ? { tail: open.log.tailLines } : {}),
      ...(since !== undefined ? { since } : {}),
    };
    const raw: unknown = open.log.follow && !open.log.previous
      ? await container.logs({ ...base, follow: true })
      : await container.logs({ ...base, follow: false });
    if (closed) {
      if (isReadable(raw)) raw.destroy();
      return;
    }
    sink.ready();
    started = true;
    let remaining = open.log.limitBytes ?? Number.POSITIVE_INFINITY;
    const demux = tty ? undefined : new DockerDemuxer();
    const emit = (bytes: Buffer): boolean => {
      const chunks = demux ? demux.push(bytes).map((c) => c.payload) : [bytes];
      for (const chunk of chunks) {
        const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
        remaining -= part.length;
        if (part.length > 0) sink.data(part);
        if (remaining <= 0) return false;
      }
      return true;
    };
    if (!isReadable(raw)) {
      if (Buffer.isBuffer(raw)) emit(raw);
      finish();
      return;
    }
    source = raw;
    raw.on("data", (chunk: Buffer) => {
      if (closed) return;
      if (!emit(chunk)) finish();
      else applyBackpressure(sink, raw);
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
    close: () => {
      closed = true;
      source?.destroy();
    },
  };
}
