// One exec session in the console's terminal: xterm.js and a WebSocket speaking v5.channel.k8s.io,
// the token in its bearer subprotocol (a browser cannot set Authorization on a WebSocket). Loaded
// by terminal.tsx on Connect, with xterm and the stylesheets, never with the console.
import { Terminal as XTerm } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import "./terminal.css";
import { openSocket, refusalOf } from "./api";

/** What kube-apiserver's exec offers first; v5 adds the close channel, to end stdin alone. */
const EXEC_PROTOCOL = "v5.channel.k8s.io";
const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;

export type Phase =
  | { phase: "idle" }
  | { phase: "connecting" }
  | { phase: "connected" }
  | { phase: "ended"; message: string; failed: boolean };

export interface Session {
  /** Ends stdin (v5's close channel, as kubectl does at end of input), then the connection. */
  disconnect(): void;
  /** Closes the connection and removes the terminal; nothing is reported after this. */
  dispose(): void;
}


function execPath(namespace: string, pod: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec`;
}

/** The channel-3 Status kubelet sends as the command ends: its exit code, or why it failed. */
function outcomeOf(body: Uint8Array): { message: string; failed: boolean } {
  try {
    const status = JSON.parse(new TextDecoder().decode(body)) as {
      status?: string;
      reason?: string;
      message?: string;
      details?: { causes?: { reason?: string; message?: string }[] };
    };
    if (status.status === "Success") return { message: "exited with code 0", failed: false };
    const code = status.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
    if (status.reason === "NonZeroExitCode" && code) return { message: `exited with code ${code}`, failed: false };
    return { message: status.message ?? "the command failed", failed: true };
  } catch {
    return { message: "the command ended with an unreadable status", failed: true };
  }
}

/** Why the upgrade was refused, asked over HTTP (api.ts refusalOf): its Status (401, 403, 404, a bad container). */
async function whyRefused(path: string, token: string): Promise<string> {
  const error = await refusalOf(path, token);
  // Everything but the upgrade was accepted: the node's side failed (no tunnel, no container).
  return error.code === 400 && error.message === "Upgrade request required" ? "the node could not start the session" : error.message;
}

export interface SessionTarget {
  namespace: string;
  pod: string;
  container: string;
  /** The command's words, each one `command` parameter. */
  command: string[];
  token: string;
}

/** Opens the terminal in `host` and the exec socket; `report` hears each change of phase. */
export function openSession(host: HTMLElement, target: SessionTarget, report: (phase: Phase) => void): Session {
  const term = new XTerm({ cursorBlink: true, fontFamily: "ui-monospace, monospace", fontSize: 13 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(host);
  fit.fit();

  const query = new URLSearchParams({ container: target.container });
  for (const arg of target.command) query.append("command", arg);
  for (const flag of ["stdin", "stdout", "stderr", "tty"]) query.set(flag, "true");
  const path = `${execPath(target.namespace, target.pod)}?${query}`;
  const socket = openSocket(path, target.token, EXEC_PROTOCOL);
  socket.binaryType = "arraybuffer";

  const encoder = new TextEncoder();
  const send = (channel: number, body: Uint8Array) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    const message = new Uint8Array(body.byteLength + 1);
    message[0] = channel;
    message.set(body, 1);
    socket.send(message);
  };
  const sendSize = ({ cols, rows }: { cols: number; rows: number }) => send(Channel.Resize, encoder.encode(JSON.stringify({ Width: cols, Height: rows })));
  let opened = false;
  let disposed = false;
  let outcome: { message: string; failed: boolean } | undefined;
  const tell = (phase: Phase) => {
    if (!disposed) report(phase);
  };

  const listeners = [
    term.onData((data) => send(Channel.Stdin, encoder.encode(data))),
    // Mouse reports in X10 mode: bytes, not UTF-8.
    term.onBinary((data) => send(Channel.Stdin, Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff))),
    term.onResize(sendSize),
  ];
  const resized = new ResizeObserver(() => fit.fit());
  resized.observe(host);

  socket.onopen = () => {
    opened = true;
    sendSize(term);
    term.focus();
    tell({ phase: "connected" });
  };
  socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
    if (typeof event.data === "string") return; // v5 sends binary messages only
    const bytes = new Uint8Array(event.data);
    if (bytes.byteLength === 0) return;
    const body = bytes.subarray(1);
    if (bytes[0] === Channel.Stdout || bytes[0] === Channel.Stderr) term.write(body);
    else if (bytes[0] === Channel.Error) outcome = outcomeOf(body);
  };
  socket.onclose = (event) => {
    resized.disconnect();
    for (const listener of listeners) listener.dispose();
    if (disposed) return;
    if (outcome) return tell({ phase: "ended", ...outcome });
    if (opened) return tell({ phase: "ended", message: event.code === 1000 ? "disconnected" : `connection closed (${event.code})`, failed: event.code !== 1000 });
    void whyRefused(path, target.token).then((message) => tell({ phase: "ended", message, failed: true }));
  };

  return {
    disconnect() {
      if (socket.protocol === EXEC_PROTOCOL) send(Channel.Close, Uint8Array.of(Channel.Stdin));
      socket.close(1000);
    },
    dispose() {
      disposed = true;
      socket.close(1000);
      resized.disconnect();
      term.dispose();
    },
  };
}
