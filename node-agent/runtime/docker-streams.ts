// Docker's side of logs, exec and attach: the engine's streams turned into the runtime's (bytes for
// a log, OutputChunks for a process), demultiplexed when the container has no TTY. Backpressure
// holds: the returned streams are piped from the engine's sockets, so pausing them pauses reads.
import { pipeline, Transform, type Duplex, type Readable } from "node:stream";
import type Dockerode from "dockerode";
import { DockerDemuxer } from "./docker-frames";
import type { IoRequest, IoSession, LogRequest, OutputChunk } from "./types";

/** Docker reports an exec as running a moment after its output closed: poll this long for the exit code. */
const EXIT_CODE_POLL_MS = 50;
const EXIT_CODE_POLL_ATTEMPTS = 40;
/**
 * stdin the process has not read yet. kubelet copies stdin with io.Copy (32 KiB at a time) and
 * blocks, which pauses kubectl; the agent cannot pause the sender, so it holds at most this.
 */
export const MAX_STDIN_BUFFER_BYTES = 4 * 1024 * 1024;

function isReadable(value: unknown): value is Readable {
  return typeof value === "object" && value !== null && typeof (value as { on?: unknown }).on === "function";
}

/** The engine's raw stream as OutputChunks (object mode), or as plain bytes when `merged`. */
function demultiplexed(raw: Readable, tty: boolean, merged: boolean): Readable {
  const demux = tty ? undefined : new DockerDemuxer();
  const out = new Transform({
    readableObjectMode: !merged,
    transform(chunk: Buffer, _encoding, done) {
      const pieces: OutputChunk[] = demux ? demux.push(chunk).map((c) => ({ stream: c.stream === 2 ? 2 : 1, bytes: c.payload })) : [{ stream: 1, bytes: chunk }];
      for (const piece of pieces) this.push(merged ? piece.bytes : piece);
      done();
    },
  });
  // Destroying either end releases the other (the engine's socket included).
  pipeline(raw, out, () => undefined);
  return out;
}

/**
 * The container's log. dockerode buffers a non-followed log whole (a large log would sit in the
 * agent's memory), so the request goes through its modem as a stream.
 */
export async function dockerLog(docker: Dockerode, id: string, request: LogRequest): Promise<Readable> {
  const tty = (await docker.getContainer(id).inspect()).Config.Tty;
  const options = {
    stdout: true,
    stderr: true,
    follow: request.follow,
    timestamps: request.timestamps,
    ...(request.tailLines !== undefined ? { tail: request.tailLines } : {}),
    ...(request.sinceUnixSeconds !== undefined ? { since: request.sinceUnixSeconds } : {}),
  };
  const raw = await new Promise<Readable>((resolve, reject) => {
    docker.modem.dial(
      { path: `/containers/${id}/logs?`, method: "GET", isStream: true, statusCodes: { 200: true, 404: "no such container", 500: "server error" }, options },
      (error, stream) => (error ? reject(error) : isReadable(stream) ? resolve(stream) : reject(new Error("the Docker engine sent no log stream"))),
    );
  });
  return demultiplexed(raw, tty, true);
}

function session(io: Duplex, tty: boolean, resize: (w: number, h: number) => Promise<unknown>, exitCode: () => Promise<number | undefined>): IoSession {
  return {
    tty,
    output: demultiplexed(io, tty, false),
    write: (bytes) => {
      if (io.writableLength + bytes.byteLength > MAX_STDIN_BUFFER_BYTES) {
        throw new Error(`the process is not reading its stdin: ${io.writableLength} bytes are unread (limit ${MAX_STDIN_BUFFER_BYTES})`);
      }
      io.write(Buffer.from(bytes));
    },
    endInput: () => void io.end(),
    resize: async (w, h) => void (await resize(w, h)),
    exitCode,
    close: () => io.destroy(),
  };
}

export async function dockerExec(container: Dockerode.Container, command: string[], io: IoRequest & { tty: boolean }): Promise<IoSession> {
  const exec = await container.exec({ Cmd: command, AttachStdin: io.stdin, AttachStdout: io.stdout, AttachStderr: io.stderr, Tty: io.tty });
  const stream = (await exec.start({ hijack: true, stdin: io.stdin, Tty: io.tty })) as Duplex;
  return session(
    stream,
    io.tty,
    (w, h) => exec.resize({ w, h }),
    async () => {
      for (let i = 0; i < EXIT_CODE_POLL_ATTEMPTS; i++) {
        const state = await exec.inspect();
        if (!state.Running && state.ExitCode !== null) return state.ExitCode;
        await new Promise((r) => setTimeout(r, EXIT_CODE_POLL_MS));
      }
      return undefined;
    },
  );
}

export async function dockerAttach(container: Dockerode.Container, io: IoRequest): Promise<IoSession> {
  const tty = (await container.inspect()).Config.Tty;
  const stream = (await container.attach({ stream: true, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, hijack: true })) as Duplex;
  return session(stream, tty, (w, h) => container.resize({ w, h }), async () => undefined);
}
