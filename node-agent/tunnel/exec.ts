// `kubectl exec` and `kubectl attach` on the agent: the runtime's exec / attach pumped to and from
// the remotecommand channels (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close in v5).
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
import type { IoSession, OutputChunk } from "../runtime/types";
import { currentContainer } from "./containers";
import { applyBackpressure, type StreamContext, type StreamHandler, type StreamSink } from "./stream";

type ExecOpen = Extract<StreamOpen, { kind: "exec" | "attach" }>;

/** Client bytes held while the runtime sets the process up: as much as the runtime's stdin holds (4 MiB). */
const MAX_EARLY_INPUT_BYTES = 4 * 1024 * 1024;

function failure(message: string): ChannelStatus {
  return { status: "Failure", reason: "InternalError", code: 500, message };
}

export function startExec(open: ExecOpen, sink: StreamSink, ctx: StreamContext): StreamHandler {
  const v5 = open.protocol.startsWith("v5.");
  let closed = false;
  let started: IoSession | undefined;
  // Client messages that arrive while the runtime is still setting up (kubectl sends the size at once).
  const early: Uint8Array[] = [];
  let earlyBytes = 0;

  const finish = (status?: ChannelStatus) => {
    if (closed) return;
    closed = true;
    early.length = 0;
    if (status) sink.data(channelStatusMessage(status));
    started?.close();
    sink.close();
  };

  const fromClient = (bytes: Uint8Array) => {
    const message = splitChannel(bytes);
    if (!message || !started || closed) return;
    switch (message.channel) {
      case Channel.Stdin:
        if (message.body.byteLength === 0) break;
        // The runtime refuses stdin past its cap (kubelet would block kubectl instead).
        try {
          started.write(message.body);
        } catch (error) {
          finish(failure(`stdin was not read: ${error instanceof Error ? error.message : String(error)}`));
        }
        break;
      case Channel.Resize: {
        const size = parseResize(message.body);
        if (size && size.width > 0 && size.height > 0) started.resize(size.width, size.height).catch(() => {});
        break;
      }
      case Channel.Close:
        // v5: the client closed its stdin. An exec's process then reads EOF; an attach keeps the
        // container's stdin open for other attachers, as kubelet does.
        if (v5 && message.body[0] === Channel.Stdin && open.kind === "exec") started.endInput();
        break;
    }
  };

  const run = async () => {
    const info = await currentContainer(ctx.runtime, { namespace: open.namespace, pod: open.pod, uid: open.uid }, open.container);
    if (!info || info.state !== "running") {
      finish(failure(`container "${open.container}" in pod "${open.pod}" is not running`));
      return;
    }
    const { command, stdin, stdout, stderr, tty } = open.exec;
    const s = open.kind === "exec" ? await ctx.runtime.execStream(info.id, command, { stdin, stdout, stderr, tty }) : await ctx.runtime.attach(info.id, { stdin, stdout, stderr });
    if (closed) {
      s.close();
      return;
    }
    started = s;
    s.output.on("data", (chunk: OutputChunk) => {
      if (closed) return;
      sink.data(channelMessage(chunk.stream === 2 ? Channel.Stderr : Channel.Stdout, chunk.bytes));
      applyBackpressure(sink, s.output);
    });
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      const outcome = async (): Promise<ChannelStatus> => {
        if (open.kind === "attach") return { status: "Success" };
        const code = await s.exitCode();
        return code === undefined ? failure(`error executing command [${command.join(" ")}]: exit code unknown`) : exitStatus(command, code);
      };
      outcome().then(finish, (error: unknown) => finish(failure(error instanceof Error ? error.message : String(error))));
    };
    s.output.on("end", onEnd);
    s.output.on("close", onEnd);
    s.output.on("error", onEnd);
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
      if (started) {
        fromClient(bytes);
        return;
      }
      earlyBytes += bytes.byteLength;
      if (earlyBytes > MAX_EARLY_INPUT_BYTES) {
        finish(failure(`stdin was not read: ${earlyBytes} bytes arrived before the process started (limit ${MAX_EARLY_INPUT_BYTES})`));
        return;
      }
      early.push(bytes.slice());
    },
    close: () => {
      closed = true;
      started?.close();
    },
  };
}
