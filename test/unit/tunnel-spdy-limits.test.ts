// The port-forward server's memory is bounded whatever kubectl (or anyone holding its token)
// sends: oversized frames, a header block that inflates without end, a pod that stops reading,
// frames piling up behind a slow connect.
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpdyTestClient } from "./spdy-test-client";
import { MAX_POD_WRITE_BUFFER_BYTES, startPortForward } from "../../node-agent/tunnel/port-forward";
import {
  ControlType,
  dataFrame,
  GoAwayStatus,
  MAX_HEADER_BLOCK_BYTES,
  pingFrame,
  RstStatus,
  SpdyFrameReader,
  SpdyHeaderCodec,
  SpdyProtocolError,
} from "../../node-agent/tunnel/spdy";
import type { StreamHandler } from "../../node-agent/tunnel/stream";
import type { PodRuntime } from "../../node-agent/runtime/types";

const MIB = 1024 * 1024;
const SANDBOX = { id: "sandbox", type: "podsandbox", pod: { namespace: "default", name: "web", uid: "u1" }, containerName: "POD", restartCount: 0, state: "running", image: "pause", createdMs: 0 } as const;

/** A frame header alone: what a peer sends to announce `length` bytes. */
function frameHeader(control: boolean, length: number, stream = 1): Buffer {
  const head = Buffer.alloc(8);
  if (control) head.writeUInt32BE((0x80030000 | ControlType.SynStream) >>> 0, 0);
  else head.writeUInt32BE(stream, 0);
  head.writeUIntBE(length, 5, 3);
  return head;
}

async function until(probe: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const tick = () => new Promise((r) => setImmediate(r));

function open(client: SpdyTestClient, runtime: PodRuntime): StreamHandler {
  return startPortForward({ kind: "portforward", namespace: "default", pod: "web", container: "", protocol: "SPDY/3.1+portforward.k8s.io" }, client.sink(), {
    runtime,
    log: () => {},
  });
}

describe("SpdyFrameReader limits", () => {
  it("skips a data frame announcing 16 MiB without holding its payload, and reads on after it", () => {
    const reader = new SpdyFrameReader();
    const length = 0xffffff;
    const chunk = Buffer.alloc(MIB);
    expect(reader.push(Buffer.concat([frameHeader(false, length, 5), chunk]))).toEqual([{ kind: "oversized", stream: 5, length }]);
    expect(reader.bufferedBytes).toBe(0);
    let left = length - MIB;
    while (left > MIB) {
      expect(reader.push(chunk)).toEqual([]);
      expect(reader.bufferedBytes).toBe(0);
      left -= MIB;
    }
    const frames = reader.push(Buffer.concat([chunk.subarray(0, left), pingFrame(9)]));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ kind: "control", type: ControlType.Ping });
  });

  it("refuses a control frame announcing 16 MiB as soon as its header arrives", () => {
    const reader = new SpdyFrameReader();
    expect(() => reader.push(frameHeader(true, 0xffffff))).toThrow(SpdyProtocolError);
  });

  it("holds no more than the incomplete frame, not the message it came in", () => {
    const reader = new SpdyFrameReader();
    const many = Buffer.concat([...Array.from({ length: 64 }, () => dataFrame(3, Buffer.alloc(16 * 1024))), dataFrame(3, Buffer.alloc(100)).subarray(0, 20)]);
    expect(reader.push(many)).toHaveLength(64);
    expect(reader.bufferedBytes).toBe(20);
  });
});

describe("SpdyHeaderCodec limits", () => {
  it("refuses a header block that inflates past the cap, and decodes one under it", async () => {
    const kubectl = new SpdyHeaderCodec();
    const agent = new SpdyHeaderCodec();
    const fine = await agent.decode(await kubectl.encode({ streamtype: "data", port: "80", pad: "a".repeat(MAX_HEADER_BLOCK_BYTES / 2) }));
    expect(fine.get("port")).toBe("80");
    const bomb = await kubectl.encode({ streamtype: "data", port: "80", pad: "a".repeat(4 * MIB) });
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expect(agent.decode(bomb)).rejects.toThrow(SpdyProtocolError);
    kubectl.close();
    agent.close();
  });
});

describe("port-forward session limits", () => {
  let server: Server;
  let port = 0;
  const podSockets: Socket[] = [];

  beforeAll(async () => {
    // The "pod": accepts connections and never reads from them.
    server = createServer((socket) => {
      socket.pause();
      podSockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    port = typeof address === "object" && address ? address.port : 0;
  });

  afterAll(() => {
    for (const socket of podSockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Loopback sockets to the pod, kept for inspection. */
  function loopbackRuntime(agentSockets: Socket[]): PodRuntime {
    const runtime: Pick<PodRuntime, "list" | "connectPort"> = {
      list: async () => [SANDBOX],
      connectPort: (_id, p) =>
        new Promise<Duplex>((resolve, reject) => {
          const socket = connect({ host: "127.0.0.1", port: p });
          socket.once("error", reject);
          socket.once("connect", () => {
            agentSockets.push(socket);
            resolve(socket);
          });
        }),
    };
    return runtime as PodRuntime;
  }

  it("resets the data stream once a pod that does not read has the cap unread", async () => {
    const client = new SpdyTestClient();
    const agentSockets: Socket[] = [];
    const handler = open(client, loopbackRuntime(agentSockets));
    handler.data(await client.synStream(1, { streamtype: "error", port: String(port), requestid: "0" }));
    handler.data(await client.synStream(3, { streamtype: "data", port: String(port), requestid: "0" }));
    await until(() => client.control(ControlType.SynReply).length === 2 && agentSockets.length === 1, "the replies and the connection");
    const payload = Buffer.alloc(32 * 1024, "z");
    let sent = 0;
    // Beyond the cap and whatever the kernel's loopback buffers hold, then give up.
    while (client.rstStatus(3) === undefined && sent < 64 * MIB) {
      handler.data(dataFrame(3, payload));
      sent += payload.length;
      await tick();
    }
    expect(client.rstStatus(3)).toBe(RstStatus.Cancel);
    expect(sent).toBeGreaterThan(MAX_POD_WRITE_BUFFER_BYTES);
    expect(agentSockets[0]!.destroyed).toBe(true);
    await until(() => client.finished(1), "the error stream to finish");
    expect(client.dataOn(1)).toMatch(/^error forwarding port \d+ to pod web: the pod is not reading: \d+ bytes sent to it are unread/);
    // The session goes on: a ping is still answered.
    handler.data(pingFrame(11));
    await until(() => client.control(ControlType.Ping).length === 1, "the ping echo");
    expect(client.closed).toBe(false);
    handler.close();
    client.codec.close();
  });

  it("resets a data stream sent an oversized frame without buffering it", async () => {
    const client = new SpdyTestClient();
    const agentSockets: Socket[] = [];
    const handler = open(client, loopbackRuntime(agentSockets));
    handler.data(await client.synStream(1, { streamtype: "error", port: String(port), requestid: "0" }));
    handler.data(await client.synStream(3, { streamtype: "data", port: String(port), requestid: "0" }));
    await until(() => agentSockets.length === 1, "the connection");
    handler.data(frameHeader(false, MIB, 3));
    for (let at = 0; at < MIB; at += 64 * 1024) handler.data(Buffer.alloc(64 * 1024));
    handler.data(pingFrame(13));
    await until(() => client.rstStatus(3) !== undefined && client.finished(1), "the reset");
    expect(client.rstStatus(3)).toBe(RstStatus.FrameTooLarge);
    expect(client.dataOn(1)).toMatch(/exceeds the \d+-byte limit/);
    expect(agentSockets[0]!.destroyed).toBe(true);
    await until(() => client.control(ControlType.Ping).length === 1, "the ping echo");
    handler.close();
    client.codec.close();
  });

  it("answers a header block that inflates past the cap with GOAWAY and closes", async () => {
    const client = new SpdyTestClient();
    const handler = open(client, loopbackRuntime([]));
    handler.data(await client.synStream(1, { streamtype: "error", port: String(port), requestid: "0", pad: "a".repeat(4 * MIB) }));
    await until(() => client.closed, "the session to close");
    const goAway = client.control(ControlType.GoAway);
    expect(goAway).toHaveLength(1);
    expect(goAway[0]!.payload.readUInt32BE(4)).toBe(GoAwayStatus.ProtocolError);
    expect(client.control(ControlType.SynReply)).toHaveLength(0);
    handler.close();
    client.codec.close();
  });

  it("answers a control frame announcing 16 MiB with GOAWAY and closes", async () => {
    const client = new SpdyTestClient();
    const handler = open(client, loopbackRuntime([]));
    handler.data(frameHeader(true, 0xffffff));
    await until(() => client.closed, "the session to close");
    expect(client.control(ControlType.GoAway)[0]?.payload.readUInt32BE(4)).toBe(GoAwayStatus.ProtocolError);
    handler.close();
    client.codec.close();
  });

  it("closes the session when frames pile up behind a connect that does not finish", async () => {
    const client = new SpdyTestClient();
    const runtime: Pick<PodRuntime, "list" | "connectPort"> = { list: async () => [SANDBOX], connectPort: () => new Promise<Duplex>(() => {}) };
    const handler = open(client, runtime as PodRuntime);
    handler.data(await client.synStream(1, { streamtype: "error", port: "80", requestid: "0" }));
    handler.data(await client.synStream(3, { streamtype: "data", port: "80", requestid: "0" }));
    const payload = Buffer.alloc(32 * 1024);
    for (let sent = 0; sent < 16 * MIB && !client.closed; sent += payload.length) {
      handler.data(dataFrame(3, payload));
      await tick();
    }
    expect(client.closed).toBe(true);
    handler.close();
    client.codec.close();
  });
});
