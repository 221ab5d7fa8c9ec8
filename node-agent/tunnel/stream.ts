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
  /** The client is not reading (the control plane's buffer for it is full): stop producing. */
  pause?(): void;
  /** The client caught up. */
  resume?(): void;
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

/**
 * Holds a source paused while any reason stands (the tunnel's send buffer is full, the client
 * is not reading), and resumes it only once none does.
 */
export class SourceGate implements PausableSource {
  private readonly reasons = new Set<string>();

  constructor(private source?: PausableSource) {}

  /** The source, once there is one (a log stream opens after the container is found). */
  attach(source: PausableSource): void {
    this.source = source;
    if (this.reasons.size > 0) source.pause();
  }

  hold(reason: string): void {
    this.reasons.add(reason);
    this.source?.pause();
  }

  release(reason: string): void {
    if (!this.reasons.delete(reason) || this.reasons.size > 0) return;
    this.source?.resume();
  }

  pause(): void {
    this.hold("client");
  }

  resume(): void {
    this.release("client");
  }
}

/** Pauses `source` while the tunnel is congested. */
export function applyBackpressure(sink: StreamSink, source: PausableSource | SourceGate): void {
  if (!sink.congested()) return;
  if (source instanceof SourceGate) {
    source.hold("tunnel");
    void sink.drained().then(() => source.release("tunnel"));
    return;
  }
  source.pause();
  void sink.drained().then(() => source.resume());
}
