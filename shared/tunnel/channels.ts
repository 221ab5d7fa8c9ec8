// Kubernetes' remotecommand channel protocol (exec and attach over WebSocket): each message's first
// byte names the channel. Shared by the Worker (negotiation, tunnel loss) and the agent (the streams).

export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;

/** kubectl ≥ 1.30 offers v5 first; v5 adds the Close channel (255 + channel: half-close of stdin). */
export const EXEC_SUBPROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;
/** kubectl ≥ 1.31 tunnels port-forward's SPDY/3.1 connection as binary WebSocket messages. */
export const PORT_FORWARD_SUBPROTOCOL = "SPDY/3.1+portforward.k8s.io";

/** The protocol to answer, from a Sec-WebSocket-Protocol request header; null when none fits. */
export function chooseSubprotocol(header: string | null, supported: readonly string[]): string | null {
  const offered = (header ?? "").split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  return supported.find((p) => offered.includes(p)) ?? null;
}

export interface ChannelStatus {
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes: { reason: string; message: string }[] };
}

const encoder = new TextEncoder();

/** A v1 Status on the error channel: kubectl reads it as the outcome of the command. */
export function channelStatusMessage(status: ChannelStatus): Uint8Array {
  const body = encoder.encode(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, ...status }));
  const out = new Uint8Array(body.byteLength + 1);
  out[0] = Channel.Error;
  out.set(body, 1);
  return out;
}

/**
 * The Status kubelet sends when the command exits: Success, or NonZeroExitCode with the code as an
 * ExitCode cause (kubectl exits with it).
 */
export function exitStatus(command: string[], exitCode: number): ChannelStatus {
  if (exitCode === 0) return { status: "Success" };
  return {
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${exitCode}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  };
}

/** A channel message split into its channel and body. */
export function splitChannel(message: Uint8Array): { channel: number; body: Uint8Array } | null {
  if (message.byteLength === 0) return null;
  return { channel: message[0]!, body: message.subarray(1) };
}

export function channelMessage(channel: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength + 1);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

/** The resize channel carries {"Width":w,"Height":h} (remotecommand.TerminalSize). */
export function parseResize(body: Uint8Array): { width: number; height: number } | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(body));
    if (typeof value !== "object" || value === null) return null;
    const { Width, Height } = value as { Width?: unknown; Height?: unknown };
    if (typeof Width !== "number" || typeof Height !== "number") return null;
    return { width: Width, height: Height };
  } catch {
    return null;
  }
}
