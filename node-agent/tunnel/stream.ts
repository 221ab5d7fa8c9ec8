// The seam between the tunnel connection and one stream's handler (logs, exec, attach,
// port-forward): the handler writes through a sink and receives the client's bytes and close.
import type { StatusBody } from "../../shared/status";
import type { PodRuntime } from "../runtime/types";

export interface StreamSink {
  /** Logs only: the container was found, the response body follows. */
  ready(): void;
  /** Logs only: answer the request with this Status instead. Ends the stream. */
  error(status: StatusBody): void;
  data(bytes: Uint8Array): void;
  /** Ends the stream (idempotent). */
  close(reason?: string): void;
  /** True while the tunnel's send buffer is full: producers pause until `drained()`. */
  congested(): boolean;
  drained(): Promise<void>;
}

export interface StreamHandler {
  /** Bytes from the client (an exec channel message, SPDY bytes). */
  data(bytes: Uint8Array): void;
  /** The client went away or the tunnel closed: release everything. */
  close(): void;
}

export interface StreamContext {
  runtime: PodRuntime;
  log: (message: string) => void;
}

/** Node's Readable with the two methods the pumps need. */
export interface PausableSource {
  pause(): unknown;
  resume(): unknown;
}

/** Pauses `source` while the tunnel is congested. */
export function applyBackpressure(sink: StreamSink, source: PausableSource): void {
  if (!sink.congested()) return;
  source.pause();
  void sink.drained().then(() => source.resume());
}
