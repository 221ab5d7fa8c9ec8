// The watch stream's bounded queue: backpressure for catch-up, "too slow" for live writes.
import { describe, expect, it } from "vitest";
import { HARD_MAX_QUEUED_EVENTS, MAX_QUEUED_EVENTS, WATCH_QUEUE_HIGH_WATER_EVENTS, streamSink } from "../../worker/durable/watch-stream";

const chunk = new TextEncoder().encode("{}\n");

describe("streamSink", () => {
  it("is behind past MAX_QUEUED_EVENTS and refuses writes at HARD_MAX_QUEUED_EVENTS", () => {
    const { sink } = streamSink(() => {});
    let ok = true;
    let written = 0;
    let behindAt = 0;
    while (ok) {
      ok = sink.write(chunk);
      written++;
      if (!behindAt && sink.behind()) behindAt = written;
    }
    expect(behindAt).toBe(MAX_QUEUED_EVENTS + 1);
    expect(written).toBe(HARD_MAX_QUEUED_EVENTS);
  });

  it("ready() waits until the reader drains below the high-water mark", async () => {
    const { stream, sink } = streamSink(() => {});
    for (let i = 0; i < WATCH_QUEUE_HIGH_WATER_EVENTS; i++) sink.write(chunk);
    let ready = false;
    const waiting = sink.ready().then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false);
    const reader = stream.getReader();
    await reader.read();
    await waiting;
    expect(ready).toBe(true);
  });

  it("ends the body on close, after what is queued, and reports a client cancel", async () => {
    let cancelled = false;
    const { stream, sink } = streamSink(() => (cancelled = true));
    sink.write(chunk);
    sink.close();
    expect(await new Response(stream).text()).toBe("{}\n");
    const second = streamSink(() => (cancelled = true));
    await second.stream.cancel();
    expect(cancelled).toBe(true);
    expect(second.sink.write(chunk)).toBe(false);
  });
});
