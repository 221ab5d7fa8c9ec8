// The node tunnel's own framing, kubectl's channel protocol helpers, and the pod-stream request
// parsing (container defaulting and kube's error wording).
import { describe, expect, it } from "vitest";
import { SourceGate } from "../../node-agent/tunnel/stream";
import { parseExecOptions, parseLogOptions, resolveContainer } from "../../worker/api/subresources/pod-stream";
import {
  Channel,
  channelMessage,
  channelStatusMessage,
  chooseSubprotocol,
  EXEC_SUBPROTOCOLS,
  exitStatus,
  parseResize,
  splitChannel,
} from "../../shared/tunnel/channels";
import { dataFrames, decodeFrame, encodeFrame, FrameType, jsonPayload, MAX_FRAME_PAYLOAD_BYTES, parseStreamOpen } from "../../shared/tunnel/frames";
import { backoffMs, RECONNECT_MAX_MS, RECONNECT_MIN_MS, tunnelUrl } from "../../node-agent/tunnel/client";
import { DockerDemuxer } from "../../node-agent/runtime/docker-frames";

describe("tunnel frames", () => {
  it("round-trips type, stream id and payload", () => {
    const frame = decodeFrame(encodeFrame(FrameType.Data, 0xfffffffe, new Uint8Array([1, 2, 3])));
    expect(frame).toEqual({ type: FrameType.Data, stream: 0xfffffffe, payload: new Uint8Array([1, 2, 3]) });
    const view = encodeFrame(FrameType.Close, 7).subarray(0);
    expect(decodeFrame(view.buffer)).toMatchObject({ type: FrameType.Close, stream: 7 });
  });

  it("decodes frames inside a larger buffer (ws hands out views)", () => {
    const backing = new Uint8Array(20);
    backing.set(encodeFrame(FrameType.Ready, 42, new Uint8Array([9])), 10);
    expect(decodeFrame(backing.subarray(10, 16))).toEqual({ type: FrameType.Ready, stream: 42, payload: new Uint8Array([9]) });
  });

  it("drops what is not a frame", () => {
    expect(decodeFrame(new Uint8Array([4, 0, 0]))).toBeNull();
    expect(decodeFrame(new Uint8Array([99, 0, 0, 0, 1]))).toBeNull();
  });

  it("cuts large data into frames under the message limit", () => {
    const frames = dataFrames(3, new Uint8Array(MAX_FRAME_PAYLOAD_BYTES * 2 + 5));
    expect(frames.map((f) => decodeFrame(f)?.payload.byteLength)).toEqual([MAX_FRAME_PAYLOAD_BYTES, MAX_FRAME_PAYLOAD_BYTES, 5]);
    expect(dataFrames(3, new Uint8Array(0))).toEqual([]);
  });

  it("parses only well-formed open requests", () => {
    const open = { kind: "exec", namespace: "ns", pod: "p", container: "c", protocol: "v5.channel.k8s.io", exec: { command: ["ls"], stdin: false, stdout: true, stderr: true, tty: false } };
    expect(parseStreamOpen(jsonPayload(open))).toEqual(open);
    expect(parseStreamOpen(jsonPayload({ ...open, kind: "rm -rf" }))).toBeNull();
    expect(parseStreamOpen(jsonPayload({ kind: "log", namespace: "ns", pod: "p" }))).toBeNull();
    expect(parseStreamOpen(new TextEncoder().encode("{not json"))).toBeNull();
  });
});

describe("remotecommand channels", () => {
  it("negotiates v5 first, then v4, and refuses others", () => {
    expect(chooseSubprotocol("v4.channel.k8s.io, v5.channel.k8s.io", EXEC_SUBPROTOCOLS)).toBe("v5.channel.k8s.io");
    expect(chooseSubprotocol("v4.channel.k8s.io,channel.k8s.io", EXEC_SUBPROTOCOLS)).toBe("v4.channel.k8s.io");
    expect(chooseSubprotocol("base64.channel.k8s.io", EXEC_SUBPROTOCOLS)).toBeNull();
    expect(chooseSubprotocol(null, EXEC_SUBPROTOCOLS)).toBeNull();
  });

  it("reports exit codes the way kubectl reads them", () => {
    expect(exitStatus(["true"], 0)).toEqual({ status: "Success" });
    const failed = exitStatus(["sh", "-c", "exit 3"], 3);
    expect(failed).toMatchObject({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "3" }] } });
    const message = channelStatusMessage(failed);
    expect(message[0]).toBe(Channel.Error);
    expect(JSON.parse(new TextDecoder().decode(message.subarray(1)))).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure" });
  });

  it("splits channel messages and reads resize events", () => {
    expect(splitChannel(channelMessage(Channel.Stdin, new Uint8Array([104, 105])))).toEqual({ channel: 0, body: new Uint8Array([104, 105]) });
    expect(splitChannel(new Uint8Array(0))).toBeNull();
    expect(parseResize(new TextEncoder().encode('{"Width":120,"Height":40}'))).toEqual({ width: 120, height: 40 });
    expect(parseResize(new TextEncoder().encode('{"Width":"x"}'))).toBeNull();
  });
});

describe("pod stream requests", () => {
  const pod = { spec: { containers: [{ name: "main" }, { name: "side" }], initContainers: [{ name: "init" }] } };

  it("defaults the only container and names the choices otherwise (kube's wording)", () => {
    expect(resolveContainer({ spec: { containers: [{ name: "app" }] } }, "p", undefined)).toBe("app");
    expect(() => resolveContainer(pod, "web", undefined)).toThrow(
      "a container name must be specified for pod web, choose one of: [main side] or one of the init containers: [init]",
    );
    expect(() => resolveContainer(pod, "web", "bogus")).toThrow("container bogus is not valid for pod web");
    expect(resolveContainer(pod, "web", "init")).toBe("init");
  });

  it("parses and validates log options", () => {
    const url = new URL("https://x/log?follow=true&tailLines=2&timestamps=true&limitBytes=10&sinceSeconds=5");
    expect(parseLogOptions(url)).toMatchObject({ follow: true, tailLines: 2, timestamps: true, limitBytes: 10, sinceSeconds: 5, previous: false });
    expect(() => parseLogOptions(new URL("https://x/log?tailLines=-1"))).toThrow(/tailLines/);
    expect(() => parseLogOptions(new URL("https://x/log?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z"))).toThrow(/at most one/);
  });

  it("parses exec options; a TTY carries no separate stderr", () => {
    const url = new URL("https://x/exec?command=sh&command=-c&command=ls&stdin=true&stdout=true&stderr=true&tty=true");
    expect(parseExecOptions(url, "exec")).toEqual({ command: ["sh", "-c", "ls"], stdin: true, stdout: true, stderr: false, tty: true });
    expect(() => parseExecOptions(new URL("https://x/exec?stdout=true"), "exec")).toThrow("you must specify at least 1 command");
    expect(() => parseExecOptions(new URL("https://x/attach"), "attach")).toThrow(/at least 1 of stdin/);
  });
});

describe("agent side helpers", () => {
  it("demultiplexes Docker's stream across chunk boundaries", () => {
    const frame = (stream: number, text: string) => {
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    const all = Buffer.concat([frame(1, "out\n"), frame(2, "err\n"), frame(1, "")]);
    const demux = new DockerDemuxer();
    const chunks = [...demux.push(all.subarray(0, 5)), ...demux.push(all.subarray(5, 13)), ...demux.push(all.subarray(13))];
    expect(chunks.map((c) => [c.stream, c.payload.toString()])).toEqual([[1, "out\n"], [2, "err\n"], [1, ""]]);
  });

  it("builds the tunnel URL and backs off with a cap", () => {
    expect(tunnelUrl("https://cp.example:8443/", "vm 1")).toBe("wss://cp.example:8443/edgeplane/v1/nodes/vm%201/tunnel");
    expect(backoffMs(0, 0.5)).toBe(RECONNECT_MIN_MS);
    expect(backoffMs(3, 0.5)).toBe(RECONNECT_MIN_MS * 8);
    expect(backoffMs(50, 1)).toBe(Math.round(RECONNECT_MAX_MS * 1.2));
  });
});

describe("the agent's source gate", () => {
  it("keeps a source paused while any reason holds, and resumes it once none does", () => {
    const calls: string[] = [];
    const source = { pause: () => calls.push("pause"), resume: () => calls.push("resume") };
    const gate = new SourceGate();
    gate.pause();
    gate.attach(source);
    expect(calls).toEqual(["pause"]);
    gate.hold("tunnel");
    gate.resume();
    expect(calls).toEqual(["pause", "pause"]);
    gate.release("tunnel");
    expect(calls).toEqual(["pause", "pause", "resume"]);
    gate.release("tunnel");
    expect(calls).toHaveLength(3);
  });
});
