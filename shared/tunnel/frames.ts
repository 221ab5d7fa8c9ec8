// The node tunnel's framing: every binary WebSocket message between the NodeTunnel Durable Object
// and a node agent is one frame, [type u8][stream id u32 BE][payload]. Pure (Uint8Array only), so
// the Worker and the agent (Node) share it.
import { isRecord } from "../json";

export const FrameType = {
  /** DO → agent: start a stream; payload is the JSON `StreamOpen`. */
  Open: 1,
  /** Agent → DO: the stream is set up (logs: the container was found; the body follows). */
  Ready: 2,
  /** Agent → DO: the stream could not start; payload is a JSON Kubernetes Status. */
  Error: 3,
  /** Both ways: stream bytes (a log chunk, a channel-prefixed exec message, raw SPDY bytes). */
  Data: 4,
  /** Both ways: the stream is over; payload is an optional UTF-8 reason. */
  Close: 5,
  /** DO → agent: the client is not reading; stop sending on this stream until Resume. */
  Pause: 6,
  /** DO → agent: the client caught up; send again. */
  Resume: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: FrameType;
  stream: number;
  payload: Uint8Array;
}

const HEADER_BYTES = 5;
/** Workers cap a WebSocket message at 1 MiB; the agent cuts its data well below that. */
export const MAX_FRAME_PAYLOAD_BYTES = 64 * 1024;

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(FrameType));

export function encodeFrame(type: FrameType, stream: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.byteLength);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, stream >>> 0, false);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Null for a message that is not a frame (too short, unknown type): callers drop it. */
export function decodeFrame(message: ArrayBufferLike | Uint8Array): Frame | null {
  const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (bytes.byteLength < HEADER_BYTES || !KNOWN_TYPES.has(bytes[0]!)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: bytes[0] as FrameType, stream: view.getUint32(1, false), payload: bytes.subarray(HEADER_BYTES) };
}

/** Data frames for `payload`, each at most MAX_FRAME_PAYLOAD_BYTES. */
export function dataFrames(stream: number, payload: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let at = 0; at < payload.byteLength; at += MAX_FRAME_PAYLOAD_BYTES) {
    frames.push(encodeFrame(FrameType.Data, stream, payload.subarray(at, at + MAX_FRAME_PAYLOAD_BYTES)));
  }
  return frames;
}

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC 3339. */
  sinceTime?: string;
  limitBytes?: number;
}

export interface ExecOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

interface OpenBase {
  namespace: string;
  pod: string;
  container: string;
  /** The pod's uid: an older pod of the same name (its containers not yet removed) is never used. */
  uid?: string;
}

/** What the DO asks the agent to start. `protocol` is the WebSocket subprotocol kubectl got. */
export type StreamOpen =
  | (OpenBase & { kind: "log"; log: LogOptions })
  | (OpenBase & { kind: "exec"; protocol: string; exec: ExecOptions })
  | (OpenBase & { kind: "attach"; protocol: string; exec: ExecOptions })
  | (OpenBase & { kind: "portforward"; protocol: string });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function jsonPayload(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function textPayload(text: string): Uint8Array {
  return encoder.encode(text);
}

export function payloadText(payload: Uint8Array): string {
  return decoder.decode(payload);
}


/** Parses an Open payload; null when it is not one this version understands. */
export function parseStreamOpen(payload: Uint8Array): StreamOpen | null {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const { kind, namespace, pod, container } = value;
  if (typeof namespace !== "string" || typeof pod !== "string" || typeof container !== "string") return null;
  if (kind === "log" && isRecord(value.log)) return value as unknown as StreamOpen;
  if ((kind === "exec" || kind === "attach") && isRecord(value.exec) && typeof value.protocol === "string") {
    return value as unknown as StreamOpen;
  }
  if (kind === "portforward" && typeof value.protocol === "string") return value as unknown as StreamOpen;
  return null;
}
