// A node's tunnel (the NodeTunnel Durable Object) with a stand-in agent on its WebSocket: a log
// stream the Worker releases (its WebSocket client closed) ends at once and the agent is told to
// stop, without waiting for the container's next line.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, FrameType, type Frame } from "../../shared/tunnel/frames";
import type { Env } from "../../worker/env";
import { TUNNEL_NODE_HEADER, TUNNEL_OP_HEADER, TUNNEL_OPEN_HEADER, TUNNEL_STREAM_HEADER, tunnelStub } from "../../worker/tunnel/protocol";

const NODE = "tunnel-logs-node";

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

describe("NodeTunnel log streams", () => {
  it("a released log stream ends at once, and the agent gets Close for it", async () => {
    const tunnel = tunnelStub(env as unknown as Env, NODE);
    const connected = await tunnel.fetch("https://tunnel/agent", { headers: { upgrade: "websocket", [TUNNEL_OP_HEADER]: "agent", [TUNNEL_NODE_HEADER]: NODE } });
    const agent = connected.webSocket!;
    agent.accept();
    const frames: Frame[] = [];
    agent.addEventListener("message", (event) => {
      const frame = typeof event.data === "string" ? null : decodeFrame(event.data as ArrayBuffer);
      if (!frame) return;
      frames.push(frame);
      // The stand-in agent finds the container at once.
      if (frame.type === FrameType.Open) agent.send(encodeFrame(FrameType.Ready, frame.stream));
    });

    const open = { kind: "log", namespace: "default", pod: "quiet", container: "main", log: { follow: true } };
    const answer = await tunnel.fetch("https://tunnel/stream", {
      headers: { [TUNNEL_OP_HEADER]: "stream", [TUNNEL_NODE_HEADER]: NODE, [TUNNEL_OPEN_HEADER]: encodeURIComponent(JSON.stringify(open)) },
    });
    expect(answer.status).toBe(200);
    const id = Number(answer.headers.get(TUNNEL_STREAM_HEADER));
    expect(id).toBeGreaterThan(0);
    agent.send(encodeFrame(FrameType.Data, id, new TextEncoder().encode("the only line\n")));
    const reader = answer.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("the only line\n");

    // The container says nothing more; the client goes away and the Worker releases the stream.
    await tunnel.cancelLog(id);
    expect((await reader.read()).done).toBe(true);
    await until("the agent's Close", () => frames.some((f) => f.type === FrameType.Close && f.stream === id));
    // Releasing again (or a stream already over) is nothing.
    await tunnel.cancelLog(id);
    agent.close(1000, "");
  });
});
