// The agent's log frames: lines Docker sends one by one leave in few frames, and none waits long.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FrameBatcher, LOG_FLUSH_MS, LOG_FRAME_BYTES } from "../../node-agent/tunnel/logs";

describe("FrameBatcher", () => {
  let sent: Buffer[];
  let batcher: FrameBatcher;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    batcher = new FrameBatcher((bytes) => sent.push(bytes));
  });
  afterEach(() => vi.useRealTimers());

  it("joins lines into one frame, sent after the flush delay", () => {
    for (let i = 1; i <= 1000; i++) batcher.push(Buffer.from(`${i}\n`));
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(LOG_FLUSH_MS);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.toString().split("\n")).toHaveLength(1001);
  });

  it("sends a frame as soon as it is full, keeping the bytes in order", () => {
    const line = Buffer.alloc(1000, "x");
    const lines = Math.ceil((3 * LOG_FRAME_BYTES) / line.length);
    for (let i = 0; i < lines; i++) batcher.push(line);
    expect(sent).toHaveLength(Math.floor(lines / Math.floor(LOG_FRAME_BYTES / line.length)));
    batcher.flush();
    expect(Buffer.concat(sent).length).toBe(lines * line.length);
    expect(sent.every((frame) => frame.length <= LOG_FRAME_BYTES)).toBe(true);
  });

  it("flush sends what is pending at once; discard drops it", () => {
    batcher.push(Buffer.from("last line\n"));
    batcher.flush();
    expect(sent.map(String)).toEqual(["last line\n"]);
    batcher.push(Buffer.from("never sent\n"));
    batcher.discard();
    vi.advanceTimersByTime(LOG_FLUSH_MS * 10);
    expect(sent).toHaveLength(1);
  });
});
