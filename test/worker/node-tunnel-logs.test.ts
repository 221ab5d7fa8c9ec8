// A node's tunnel (the NodeTunnel Durable Object) with a stand-in agent on its WebSocket: a log
// stream the Worker releases (its WebSocket client closed) ends at once and the agent is told to
// stop, without waiting for the container's next line.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, FrameType, type Frame } from "../../shared/tunnel/frames";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import { TUNNEL_NODE_HEADER, TUNNEL_OP_HEADER, TUNNEL_OPEN_HEADER, TUNNEL_STREAM_HEADER, tunnelStub } from "../../worker/tunnel/protocol";
import { ADMIN, call, createNamespace } from "./api-client";

const NODE = "tunnel-logs-node";

/** A stand-in agent on `node`'s tunnel: it records every frame and finds any container at once. */
async function standInAgent(node: string): Promise<{ socket: WebSocket; frames: Frame[] }> {
  const connected = await tunnelStub(env as unknown as Env, node).fetch("https://tunnel/agent", { headers: { upgrade: "websocket", [TUNNEL_OP_HEADER]: "agent", [TUNNEL_NODE_HEADER]: node } });
  const socket = connected.webSocket!;
  socket.accept();
  const frames: Frame[] = [];
  socket.addEventListener("message", (event) => {
    const frame = typeof event.data === "string" ? null : decodeFrame(event.data as ArrayBuffer);
    if (!frame) return;
    frames.push(frame);
    if (frame.type === FrameType.Open) socket.send(encodeFrame(FrameType.Ready, frame.stream));
  });
  return { socket, frames };
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

describe("NodeTunnel log streams", () => {
  it("a released log stream ends at once, and the agent gets Close for it", async () => {
    const tunnel = tunnelStub(env as unknown as Env, NODE);
    const { socket: agent, frames } = await standInAgent(NODE);

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

  it("a log WebSocket's client closing is what releases it, through the Worker", async () => {
    const node = "tunnel-logs-ws-node";
    const ns = "tunnel-logs";
    await createNamespace(ns);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "quiet", namespace: ns }, spec: { nodeName: node, containers: [{ name: "main", image: "busybox" }] } };
    expect((await call("POST", `/api/v1/namespaces/${ns}/pods`, JSON.stringify(pod), { "content-type": "application/json" })).status).toBe(201);
    const { socket: agent, frames } = await standInAgent(node);

    const res = await worker.fetch(
      new Request(`https://edgeplane.test/api/v1/namespaces/${ns}/pods/quiet/log?follow=true`, {
        headers: { ...ADMIN, connection: "Upgrade", upgrade: "websocket", "sec-websocket-protocol": "base64.binary.k8s.io" },
      }),
      env as unknown as Env,
      createExecutionContext(),
    );
    expect(res.status).toBe(101);
    const client = res.webSocket!;
    client.accept();
    await until("the log's Open at the agent", () => frames.some((f) => f.type === FrameType.Open));
    const id = frames.find((f) => f.type === FrameType.Open)!.stream;
    const received: string[] = [];
    client.addEventListener("message", (event) => received.push(String(event.data)));
    agent.send(encodeFrame(FrameType.Data, id, new TextEncoder().encode("the only line\n")));
    await until("the line at the client", () => received.some((m) => atob(m) === "the only line\n"));

    // The container stays quiet: only the client's close can end the node's stream.
    client.close(1000, "");
    await until("the agent's Close", () => frames.some((f) => f.type === FrameType.Close && f.stream === id));
    agent.close(1000, "");
  });
});
