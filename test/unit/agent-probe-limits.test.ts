// Probe output is bounded as kubelet bounds it: an exec probe keeps 10 KiB of its output but reads
// all of it, an HTTP probe reads 10 KiB of the body and then drops the connection.
import { createServer, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_EXEC_PROBE_OUTPUT_BYTES, runProbe, type ProbeTarget } from "../../node-agent/kubelet/probes";
import type { IoSession, PodRuntime } from "../../node-agent/runtime/types";

const MIB = 1024 * 1024;

/** A runtime whose commands print `total` bytes and exit with `exitCode`; counts what was read. */
function chattyRuntime(exitCode: number, total: number): { runtime: PodRuntime; read: () => number } {
  let produced = 0;
  const piece = Buffer.alloc(16 * 1024, "x");
  const session = (): IoSession => ({
    tty: false,
    output: new Readable({
      objectMode: true,
      read() {
        if (produced >= total) {
          this.push(null);
          return;
        }
        produced += piece.length;
        this.push({ stream: produced % (2 * piece.length) === 0 ? 2 : 1, bytes: piece });
      },
    }),
    write: () => undefined,
    endInput: () => undefined,
    resize: async () => undefined,
    exitCode: async () => exitCode,
    close: () => undefined,
  });
  const runtime: Pick<PodRuntime, "exec" | "execStream"> = {
    // As DockerRuntime.exec does: the whole output, in memory.
    exec: async () => ({ exitCode, output: piece.toString().repeat(total / piece.length) }),
    execStream: async () => session(),
  };
  return { runtime: runtime as PodRuntime, read: () => produced };
}

function target(runtime: PodRuntime, podIP = "10.0.0.1"): ProbeTarget {
  return { runtime, containerId: "c1", podIP, container: { name: "app", image: "busybox" } };
}

describe("exec probe output", () => {
  it("keeps 10 KiB of a failing command's 1 MiB of output, having read all of it", async () => {
    const { runtime, read } = chattyRuntime(1, MIB);
    const outcome = await runProbe({ exec: { command: ["sh", "-c", "head -c 1048576 /dev/zero; exit 1"] } }, target(runtime));
    expect(outcome.ok).toBe(false);
    // kubelet's pkg/probe/exec maxReadLength.
    expect(outcome.message.length).toBe(10 * 1024);
    expect(MAX_EXEC_PROBE_OUTPUT_BYTES).toBe(10 * 1024);
    expect(read()).toBe(MIB);
  });

  it("still succeeds on exit code 0 after 1 MiB of output, read to the end", async () => {
    const { runtime, read } = chattyRuntime(0, MIB);
    const outcome = await runProbe({ exec: { command: ["sh", "-c", "head -c 1048576 /dev/zero"] } }, target(runtime));
    expect(outcome).toEqual({ ok: true, message: "" });
    expect(read()).toBe(MIB);
  });
});

describe("HTTP probe body", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("drops the connection of an endless body once kubelet's 10 KiB are read", async () => {
    let closed = false;
    let sent = 0;
    server = createServer((_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(64 * 1024, "y");
      const pump = () => {
        while (!closed && sent < 256 * MIB && res.write(chunk)) sent += chunk.length;
      };
      res.on("drain", pump);
      res.on("close", () => (closed = true));
      pump();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const outcome = await runProbe({ httpGet: { port, path: "/" }, timeoutSeconds: 5 }, target({} as PodRuntime, "127.0.0.1"));
    expect(outcome).toEqual({ ok: true, message: "" });
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
  });
});
