// `kubectl exec` stdin the process does not read is bounded: the agent cannot pause kubectl, so past
// the cap the session ends with a Failure status on channel 3 instead of buffering on.
import { Duplex } from "node:stream";
import type Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import { Channel, channelMessage } from "../../shared/tunnel/channels";
import { dockerExec, MAX_STDIN_BUFFER_BYTES } from "../../node-agent/runtime/docker-streams";
import type { IoSession, PodRuntime } from "../../node-agent/runtime/types";
import { startExec } from "../../node-agent/tunnel/exec";
import type { StreamSink } from "../../node-agent/tunnel/stream";
import type { StreamOpen } from "../../shared/tunnel/frames";

const MIB = 1024 * 1024;
const APP = { id: "c1", type: "container", pod: { namespace: "default", name: "web", uid: "u1" }, containerName: "app", restartCount: 0, state: "running", image: "busybox", createdMs: 0 } as const;
const OPEN: Extract<StreamOpen, { kind: "exec" }> = {
  kind: "exec",
  namespace: "default",
  pod: "web",
  container: "app",
  protocol: "v5.channel.k8s.io",
  exec: { command: ["cat"], stdin: true, stdout: true, stderr: true, tty: false },
};

/** The engine's hijacked exec connection to a process that never reads its stdin. */
function stalledEngine(): { container: Dockerode.Container; io: Duplex; started: () => boolean } {
  const io = new Duplex({ read() {}, write() {} });
  let started = false;
  const exec = {
    start: async () => {
      started = true;
      return io;
    },
    resize: async () => undefined,
    inspect: async () => ({ Running: true, ExitCode: null }),
  };
  return { container: { exec: async () => exec } as unknown as Dockerode.Container, io, started: () => started };
}

function recordingSink(): { sink: StreamSink; messages: Uint8Array[]; closed: () => boolean } {
  const messages: Uint8Array[] = [];
  let closed = false;
  return {
    sink: {
      ready: () => {},
      error: () => {},
      data: (bytes) => messages.push(bytes),
      close: () => (closed = true),
      congested: () => false,
      drained: async () => {},
    },
    messages,
    closed: () => closed,
  };
}

function statusOf(messages: Uint8Array[]): { status: string; message?: string } | undefined {
  const status = messages.find((m) => m[0] === Channel.Error);
  return status ? (JSON.parse(Buffer.from(status.subarray(1)).toString()) as { status: string; message?: string }) : undefined;
}

describe("exec stdin limits", () => {
  it("ends the session with a Failure once the process leaves the cap of stdin unread", async () => {
    const engine = stalledEngine();
    const runtime: Pick<PodRuntime, "list" | "execStream"> = {
      list: async () => [APP],
      execStream: (_id, command, io) => dockerExec(engine.container, command, io),
    };
    const out = recordingSink();
    const handler = startExec(OPEN, out.sink, { runtime: runtime as PodRuntime, log: () => {} });
    for (let i = 0; i < 100 && !engine.started(); i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 5));
    const chunk = channelMessage(Channel.Stdin, Buffer.alloc(64 * 1024, "s"));
    for (let sent = 0; sent < 16 * MIB && !out.closed(); sent += chunk.byteLength) handler.data(chunk);
    expect(out.closed()).toBe(true);
    const status = statusOf(out.messages);
    expect(status?.status).toBe("Failure");
    expect(status?.message).toMatch(/^stdin was not read: the process is not reading its stdin/);
    expect(engine.io.writableLength).toBeLessThanOrEqual(MAX_STDIN_BUFFER_BYTES);
  });

  it("ends the session with a Failure when the cap arrives before the process started", async () => {
    const runtime: Pick<PodRuntime, "list" | "execStream"> = {
      list: async () => [APP],
      execStream: () => new Promise<IoSession>(() => {}),
    };
    const out = recordingSink();
    const handler = startExec(OPEN, out.sink, { runtime: runtime as PodRuntime, log: () => {} });
    const chunk = channelMessage(Channel.Stdin, Buffer.alloc(64 * 1024, "s"));
    for (let sent = 0; sent < 16 * MIB && !out.closed(); sent += chunk.byteLength) handler.data(chunk);
    expect(out.closed()).toBe(true);
    expect(statusOf(out.messages)).toMatchObject({ status: "Failure", message: expect.stringMatching(/^stdin was not read: \d+ bytes arrived before the process started/) });
  });
});
