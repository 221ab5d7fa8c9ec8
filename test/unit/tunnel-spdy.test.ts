// The agent's SPDY/3.1 port-forward server, driven as kubectl's spdystream drives it: an error
// stream and a data stream per connection, zlib header blocks, pings; the pod is a local TCP server.
import { connect, createServer, type Server } from "node:net";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpdyTestClient } from "./spdy-test-client";
import { startPortForward } from "../../node-agent/tunnel/port-forward";
import {
  controlStreamId,
  ControlType,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  FLAG_FIN,
  pingFrame,
  SpdyFrameReader,
  SpdyHeaderCodec,
} from "../../node-agent/tunnel/spdy";
import type { PodRuntime } from "../../node-agent/runtime/types";

/** A runtime with one running pod, "web", whose ports are this machine's loopback ports. */
function loopbackRuntime(): PodRuntime {
  const runtime: Pick<PodRuntime, "list" | "connectPort"> = {
    list: async () => [
      { id: "sandbox", type: "podsandbox", pod: { namespace: "default", name: "web", uid: "u1" }, containerName: "POD", restartCount: 0, state: "running", image: "pause", createdMs: 0 },
    ],
    connectPort: (_id, port) =>
      new Promise<Duplex>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port });
        socket.once("error", (e) => reject(new Error(`failed to connect to 127.0.0.1:${port}: ${e.message}`)));
        socket.once("connect", () => resolve(socket));
      }),
  };
  return runtime as PodRuntime;
}

async function until(probe: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("SPDY framing", () => {
  it("encodes and decodes header blocks", () => {
    const headers = decodeHeaderBlock(encodeHeaderBlock({ streamType: "data", port: "80", requestID: "0" }));
    expect([...headers]).toEqual([["streamtype", "data"], ["port", "80"], ["requestid", "0"]]);
  });

  it("keeps one zlib context per direction across header blocks", async () => {
    const a = new SpdyHeaderCodec();
    const b = new SpdyHeaderCodec();
    for (const port of ["80", "8080", "80"]) {
      const decoded = await b.decode(await a.encode({ streamtype: "error", port, requestid: port }));
      expect(decoded.get("port")).toBe(port);
    }
    a.close();
    b.close();
  });

  it("reads frames cut at any byte", () => {
    const bytes = Buffer.concat([pingFrame(7), dataFrame(3, Buffer.from("hello"), true)]);
    const reader = new SpdyFrameReader();
    const frames = [...bytes].flatMap((b) => reader.push(Buffer.from([b])));
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatchObject({ kind: "control", type: ControlType.Ping });
    expect(frames[1]).toMatchObject({ kind: "data", stream: 3, flags: FLAG_FIN });
  });
});

describe("port-forward session", () => {
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    // The "pod": answers each line with its upper-case copy, then closes after "bye".
    server = createServer((socket) => {
      socket.on("data", (chunk) => {
        socket.write(chunk.toString().toUpperCase());
        if (chunk.toString().includes("bye")) socket.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    port = typeof address === "object" && address ? address.port : 0;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers SYN_STREAMs, pings, and joins the data stream to the pod's port", async () => {
    const client = new SpdyTestClient();
    const handler = startPortForward(
      { kind: "portforward", namespace: "default", pod: "web", container: "", protocol: "SPDY/3.1+portforward.k8s.io" },
      client.sink(),
      { runtime: loopbackRuntime(), log: () => {} },
    );
    handler.data(await client.synStream(1, { streamtype: "error", port: String(port), requestid: "0" }));
    handler.data(await client.synStream(3, { streamtype: "data", port: String(port), requestid: "0" }));
    handler.data(pingFrame(1));
    await until(() => client.frames.filter((f) => f.kind === "control" && f.type === ControlType.SynReply).length === 2, "two replies");
    const replies = client.frames.flatMap((f) => (f.kind === "control" && f.type === ControlType.SynReply ? [controlStreamId(f.payload)] : []));
    expect(replies).toEqual([1, 3]);
    await until(() => client.frames.some((f) => f.kind === "control" && f.type === ControlType.Ping), "the ping echo");
    handler.data(dataFrame(3, Buffer.from("hello ")));
    handler.data(dataFrame(3, Buffer.from("bye"), true));
    await until(() => client.finished(3) && client.finished(1), "both streams finished");
    expect(client.dataOn(3)).toBe("HELLO BYE");
    expect(client.dataOn(1)).toBe("");
    handler.close();
    client.codec.close();
  });

  it("reports a refused connection on the error stream, as kubelet does", async () => {
    const client = new SpdyTestClient();
    const handler = startPortForward(
      { kind: "portforward", namespace: "default", pod: "web", container: "", protocol: "SPDY/3.1+portforward.k8s.io" },
      client.sink(),
      { runtime: loopbackRuntime(), log: () => {} },
    );
    handler.data(await client.synStream(1, { streamtype: "error", port: "1", requestid: "7" }));
    handler.data(await client.synStream(3, { streamtype: "data", port: "1", requestid: "7" }));
    await until(() => client.finished(1), "the error stream to finish");
    expect(client.dataOn(1)).toMatch(/^error forwarding port 1 to pod web: failed to connect to 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(client.frames.some((f) => f.kind === "control" && f.type === ControlType.RstStream && controlStreamId(f.payload) === 3)).toBe(true);
    handler.close();
    client.codec.close();
  });
});
