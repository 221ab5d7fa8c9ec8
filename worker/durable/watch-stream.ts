// One watch's HTTP body: a ReadableStream of NDJSON chunks with a bounded queue. The
// fan-out writes into it without awaiting; initial lists wait for room (`ready()`); a live
// watcher whose queue is over MAX_QUEUED_EVENTS is `behind()` (the fan-out gives it time to
// drain), and one past HARD_MAX_QUEUED_EVENTS is refused at once.
import type { WatchSink } from "./watch-fanout";

/** A watcher's stream buffers this many events before the hub waits (initial list, catch-up). */
export const WATCH_QUEUE_HIGH_WATER_EVENTS = 256;
/**
 * A live watcher whose stream holds more than this is behind; if it stays behind, the fan-out
 * closes it as too slow (kube's cacher does the same), and the client re-watches.
 */
export const MAX_QUEUED_EVENTS = 4_096;
/**
 * Past this the watcher is closed at once. One publish can be a whole controller pass (5,000
 * bindings) written in a single synchronous loop: the reader has had no chance to drain yet.
 * Chunks are shared with the ring (encoded once per event), so this is mostly references.
 */
export const HARD_MAX_QUEUED_EVENTS = 16_384;

/** A ReadableStream-backed sink: count-based queue, `ready()` waits for the reader to drain it. */
export function streamSink(onCancel: () => void): { stream: ReadableStream<Uint8Array>; sink: WatchSink } {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const resolve of waiters.splice(0)) resolve();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        wake();
      },
      cancel() {
        closed = true;
        wake();
        onCancel();
      },
    },
    new CountQueuingStrategy({ highWaterMark: WATCH_QUEUE_HIGH_WATER_EVENTS }),
  );
  const queued = () => WATCH_QUEUE_HIGH_WATER_EVENTS - (controller?.desiredSize ?? 0);
  const sink: WatchSink = {
    write(chunk) {
      if (closed || !controller) return false;
      controller.enqueue(chunk);
      return queued() < HARD_MAX_QUEUED_EVENTS;
    },
    behind() {
      return queued() > MAX_QUEUED_EVENTS;
    },
    ready() {
      if (closed || !controller || (controller.desiredSize ?? 1) > 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      if (closed) return;
      closed = true;
      wake();
      try {
        controller?.close();
      } catch {
        // already cancelled by the client
      }
    },
  };
  return { stream, sink };
}
