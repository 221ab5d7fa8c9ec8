// A minimal SPDY/3.1 framing for port-forward's server side (what kubelet's spdystream does):
// frame parsing, zlib header blocks with the SPDY dictionary, and the frames a server sends.
// Flow control is not enforced: kubectl's spdystream neither sends nor honours WINDOW_UPDATE.
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from "node:zlib";
import dictionaries from "spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js";

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;

export const ControlType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

/** RST_STREAM status codes (SPDY/3 §2.6.3). */
export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, Cancel: 5, InternalError: 6 } as const;

const FRAME_HEADER_BYTES = 8;
/** Data frames the agent sends carry at most this much (the length field allows 16 MiB). */
export const MAX_DATA_FRAME_BYTES = 32 * 1024;

export type SpdyFrame =
  | { kind: "data"; stream: number; flags: number; payload: Buffer }
  | { kind: "control"; type: number; flags: number; payload: Buffer };

/** Splits a byte stream into frames; stateful across chunks (WebSocket messages cut anywhere). */
export class SpdyFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(bytes: Buffer): SpdyFrame[] {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const frames: SpdyFrame[] = [];
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const length = this.pending.readUIntBE(5, 3);
      if (this.pending.length < FRAME_HEADER_BYTES + length) break;
      const flags = this.pending[4]!;
      const payload = this.pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      if (this.pending[0]! & 0x80) frames.push({ kind: "control", type: this.pending.readUInt16BE(2), flags, payload });
      else frames.push({ kind: "data", stream: this.pending.readUInt32BE(0) & 0x7fffffff, flags, payload });
      this.pending = this.pending.subarray(FRAME_HEADER_BYTES + length);
    }
    return frames;
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function dataFrame(stream: number, payload: Buffer, fin = false): Buffer {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt32BE(stream & 0x7fffffff, 0);
  head[4] = fin ? FLAG_FIN : 0;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function rstStreamFrame(stream: number, status: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(stream & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(ControlType.RstStream, 0, payload);
}

export function pingFrame(id: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(id >>> 0, 0);
  return controlFrame(ControlType.Ping, 0, payload);
}

/** The stream id a SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS or WINDOW_UPDATE is about. */
export function controlStreamId(payload: Buffer): number {
  return payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
}

/** Header block (uncompressed): count, then length-prefixed names and values (SPDY/3 §2.6.10). */
export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(Object.keys(headers).length, 0);
  parts.push(count);
  for (const [name, value] of Object.entries(headers)) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text, "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length, 0);
      parts.push(len, bytes);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let at = 0;
  const u32 = () => {
    if (at + 4 > block.length) throw new Error("truncated SPDY header block");
    const v = block.readUInt32BE(at);
    at += 4;
    return v;
  };
  const text = () => {
    const len = u32();
    if (at + len > block.length) throw new Error("truncated SPDY header block");
    const s = block.toString("utf8", at, at + len);
    at += len;
    return s;
  };
  for (let n = u32(); n > 0; n--) {
    const name = text().toLowerCase();
    headers.set(name, text());
  }
  return headers;
}

async function syncFlush(stream: Inflate | Deflate, input: Buffer, chunks: Buffer[]): Promise<Buffer> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    stream.once("error", onError);
    stream.write(input);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off("error", onError);
      resolve();
    });
  });
  // 'data' for the flushed bytes is emitted before the flush callback; one turn more to be sure.
  await new Promise((r) => setImmediate(r));
  return Buffer.concat(chunks.splice(0));
}

/**
 * Header compression: one zlib stream per direction for the whole connection, primed with the
 * SPDY/3 dictionary, each header block ending in a sync flush (as Go's spdy framer writes them).
 * Calls must be serialised by the caller (the session's queue does).
 */
export class SpdyHeaderCodec {
  private readonly inflate: Inflate;
  private readonly deflate: Deflate;
  private readonly inflated: Buffer[] = [];
  private readonly deflated: Buffer[] = [];

  constructor() {
    const dictionary = dictionaries["3"];
    if (!dictionary) throw new Error("SPDY/3 dictionary missing");
    this.inflate = createInflate({ dictionary });
    this.deflate = createDeflate({ dictionary });
    this.inflate.on("data", (c: Buffer) => this.inflated.push(c));
    this.deflate.on("data", (c: Buffer) => this.deflated.push(c));
  }

  async decode(compressed: Buffer): Promise<Map<string, string>> {
    return decodeHeaderBlock(await syncFlush(this.inflate, compressed, this.inflated));
  }

  async encode(headers: Record<string, string>): Promise<Buffer> {
    return syncFlush(this.deflate, encodeHeaderBlock(headers), this.deflated);
  }

  close(): void {
    this.inflate.destroy();
    this.deflate.destroy();
  }
}

/** SYN_REPLY for `stream` with a compressed header block. */
export async function synReplyFrame(codec: SpdyHeaderCodec, stream: number, headers: Record<string, string>): Promise<Buffer> {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(stream & 0x7fffffff, 0);
  return controlFrame(ControlType.SynReply, 0, Buffer.concat([id, await codec.encode(headers)]));
}
