// `kubectl exec` and `kubectl attach` on the agent: Docker exec / attach pumped to and from the
// remotecommand channels (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close in v5).
import type { Duplex } from "node:stream";
import type Dockerode from "dockerode";
import {
  Channel,
  channelMessage,
  channelStatusMessage,
  exitStatus,
  parseResize,
  splitChannel,
  type ChannelStatus,
} from "../../shared/tunnel/channels";
import type { StreamOpen } from "../../shared/tunnel/frames";
import { currentContainer } from "./containers";
import { DockerDemuxer } from "./docker-frames";
import { applyBackpressure, type StreamContext, type StreamHandler, type StreamSink } from "./stream";

type ExecOpen = Extract<StreamOpen, { kind: "exec" | "attach" }>;

/** Docker reports an exec as running a moment after its output closed: poll this long for the exit code. */
const EXIT_CODE_POLL_MS = 50;
const EXIT_CODE_POLL_ATTEMPTS = 40;

interface Started {
  io: Duplex;
  tty: boolean;
  resize(width: number, height: number): Promise<unknown>;
  /** The Status for channel 3 once the output has ended. */
  outcome(): Promise<ChannelStatus>;
}

function failure(message: string): ChannelStatus {
  return { status: "Failure", reason: "InternalError", code: 500, message };
}

async function startDockerExec(container: Dockerode.Container, open: ExecOpen): Promise<Started> {
  const { command, stdin, stdout, stderr, tty } = open.exec;
  const exec = await container.exec({ Cmd: command, AttachStdin: stdin, AttachStdout: stdout, AttachStderr: stderr, Tty: tty });
  const io = (await exec.start({ hijack: true, stdin, Tty: tty })) as Duplex;
  return {
    io,
    tty,
    resize: (w, h) => exec.resize({ w, h }),
    async outcome() {
      for (let i = 0; i < EXIT_CODE_POLL_ATTEMPTS; i++) {
        const state = await exec.inspect();
        if (!state.Running && state.ExitCode !== null) return exitStatus(command, state.ExitCode);
        await new Promise((r) => setTimeout(r, EXIT_CODE_POLL_MS));
      }
      return failure(`error executing command [${command.join(" ")}]: exit code unknown`);
    },
  };
}

async function startDockerAttach(container: Dockerode.Container, open: ExecOpen): Promise<Started> {
  const { stdin, stdout, stderr } = open.exec;
  const tty = (await container.inspect()).Config.Tty;
  const io = (await container.attach({ stream: true, stdin, stdout, stderr, hijack: true })) as Duplex;
  return { io, tty, resize: (w, h) => container.resize({ w, h }), outcome: async () => ({ status: "Success" }) };
}

export function startExec(open: ExecOpen, sink: StreamSink, ctx: StreamContext): StreamHandler {
  const v5 = open.protocol.startsWith("v5.");
  let closed = false;
  let started: Started | undefined;
  // Client messages that arrive while Docker is still setting up (kubectl sends the size at once).
  const early: Uint8Array[] = [];

  const finish = (status?: ChannelStatus) => {
    if (closed) return;
    closed = true;
    if (status) sink.data(channelStatusMessage(status));
    started?.io.destroy();
    sink.close();
  };

  const fromClient = (bytes: Uint8Array) => {
    const message = splitChannel(bytes);
    if (!message || !started) return;
    switch (message.channel) {
      case Channel.Stdin:
        if (message.body.byteLength > 0) started.io.write(Buffer.from(message.body));
        break;
      case Channel.Resize: {
        const size = parseResize(message.body);
        if (size && size.width > 0 && size.height > 0) started.resize(size.width, size.height).catch(() => {});
        break;
      }
      case Channel.Close:
        // v5: the client closed its stdin. An exec's process then reads EOF; an attach keeps the
        // container's stdin open for other attachers, as kubelet does.
        if (v5 && message.body[0] === Channel.Stdin && open.kind === "exec") started.io.end();
        break;
    }
  };

  const run = async () => {
    const info = await currentContainer(ctx.docker, { node: ctx.node, namespace: open.namespace, pod: open.pod, uid: open.uid }, open.container);
    if (!info || info.State !== "running") {
      finish(failure(`container "${open.container}" in pod "${open.pod}" is not running`));
      return;
    }
    const container = ctx.docker.getContainer(info.Id);
    const s = open.kind === "exec" ? await startDockerExec(container, open) : await startDockerAttach(container, open);
    if (closed) {
      s.io.destroy();
      return;
    }
    started = s;
    const demux = s.tty ? undefined : new DockerDemuxer();
    s.io.on("data", (chunk: Buffer) => {
      if (closed) return;
      if (!demux) sink.data(channelMessage(Channel.Stdout, chunk));
      else for (const c of demux.push(chunk)) sink.data(channelMessage(c.stream === 2 ? Channel.Stderr : Channel.Stdout, c.payload));
      applyBackpressure(sink, s.io);
    });
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      s.outcome().then(finish, (error: unknown) => finish(failure(error instanceof Error ? error.message : String(error))));
    };
    s.io.on("end", onEnd);
    s.io.on("close", onEnd);
    s.io.on("error", onEnd);
    for (const bytes of early.splice(0)) fromClient(bytes);
  };
  run().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`${open.kind} ${open.namespace}/${open.pod}/${open.container}: ${message}`);
    finish(failure(`error executing command in container: ${message}`));
  });

  return {
    data: (bytes) => {
      if (closed) return;
      if (started) fromClient(bytes);
      else early.push(bytes.slice());
    },
    close: () => {
      closed = true;
      started?.io.destroy();
    },
  };
}
