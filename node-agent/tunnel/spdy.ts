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
export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, Cancel: 5, InternalError: 6, FrameTooLarge: 11 } as const;

/** GOAWAY status codes (SPDY/3 §2.6.6). */
export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

const FRAME_HEADER_BYTES = 8;
/** Data frames the agent sends carry at most this much (the length field allows 16 MiB). */
export const MAX_DATA_FRAME_BYTES = 32 * 1024;
/** 4× client-go's 32 KiB: kubectl's spdystream sends one frame per write of io.Copy's 32 KiB buffer. */
export const MAX_INBOUND_DATA_FRAME_BYTES = 128 * 1024;
/** Go net/http's DefaultMaxHeaderBytes (1 MiB), kubelet's cap on a request's headers; kubectl's SYN_STREAMs are ~100 bytes. */
export const MAX_HEADER_BLOCK_BYTES = 1024 * 1024;
/** A control frame holds at most a compressed header block, which never needs more room than the inflated one. */
export const MAX_CONTROL_FRAME_BYTES = MAX_HEADER_BLOCK_BYTES;

/** The peer broke the protocol in a way that leaves the session unusable (GOAWAY, then close). */
export class SpdyProtocolError extends Error {}

export type SpdyFrame =
  | { kind: "data"; stream: number; flags: number; payload: Buffer }
  | { kind: "control"; type: number; flags: number; payload: Buffer }
  /** A data frame above MAX_INBOUND_DATA_FRAME_BYTES: its payload is skipped, never buffered. */
  | { kind: "oversized"; stream: number; length: number };

/**
 * Splits a byte stream into frames; stateful across chunks (WebSocket messages cut anywhere).
 * It holds at most one incomplete frame, so at most 8 bytes plus the larger frame cap: a data
 * frame above its cap is skipped (the stream can be reset, the session goes on), a control frame
 * above its cap throws SpdyProtocolError (its header block would leave the zlib context out of
 * sync, so SPDY/3 §2.6.3 FRAME_TOO_LARGE says the session must close).
 */
export class SpdyFrameReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Payload bytes of an oversized data frame still to be dropped as they arrive. */
  private skipping = 0;

  /** Bytes held between pushes (an incomplete frame). */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(bytes: Buffer): SpdyFrame[] {
    const skipped = Math.min(this.skipping, bytes.length);
    this.skipping -= skipped;
    const input = bytes.subarray(skipped);
    this.pending = this.pending.length === 0 ? input : Buffer.concat([this.pending, input]);
    const frames: SpdyFrame[] = [];
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const control = (this.pending[0]! & 0x80) !== 0;
      const length = this.pending.readUIntBE(5, 3);
      if (control && length > MAX_CONTROL_FRAME_BYTES) {
        throw new SpdyProtocolError(`SPDY control frame of ${length} bytes exceeds the ${MAX_CONTROL_FRAME_BYTES}-byte limit`);
      }
      if (!control && length > MAX_INBOUND_DATA_FRAME_BYTES) {
        frames.push({ kind: "oversized", stream: this.pending.readUInt32BE(0) & 0x7fffffff, length });
        const present = Math.min(length, this.pending.length - FRAME_HEADER_BYTES);
        this.skipping = length - present;
        this.pending = this.pending.subarray(FRAME_HEADER_BYTES + present);
        continue;
      }
      if (this.pending.length < FRAME_HEADER_BYTES + length) break;
      const flags = this.pending[4]!;
      const payload = this.pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      if (control) frames.push({ kind: "control", type: this.pending.readUInt16BE(2), flags, payload });
      else frames.push({ kind: "data", stream: this.pending.readUInt32BE(0) & 0x7fffffff, flags, payload });
      this.pending = this.pending.subarray(FRAME_HEADER_BYTES + length);
    }
    // A view into a large message would keep all of it alive: hold a copy of the remainder only.
    if (this.pending.length > 0 && this.pending.length !== this.pending.buffer.byteLength) this.pending = Buffer.from(this.pending);
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

/** GOAWAY: no stream above `lastGoodStream` was or will be processed. */
export function goAwayFrame(lastGoodStream: number, status: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastGoodStream & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(ControlType.GoAway, 0, payload);
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
 * Calls must be serialised by the caller (the session's queue does). A block that inflates past
 * MAX_HEADER_BLOCK_BYTES (a few KiB can inflate to gigabytes) stops the inflater and throws
 * SpdyProtocolError; the codec is then unusable, as the session is.
 */
export class SpdyHeaderCodec {
  private readonly inflate: Inflate;
  private readonly deflate: Deflate;
  private readonly inflated: Buffer[] = [];
  private readonly deflated: Buffer[] = [];
  /** Inflated bytes of the block being decoded. */
  private inflatedBytes = 0;

  constructor() {
    const dictionary = dictionaries["3"];
    if (!dictionary) throw new Error("SPDY/3 dictionary missing");
    this.inflate = createInflate({ dictionary });
    this.deflate = createDeflate({ dictionary });
    // zlib hands output over one chunk (16 KiB) at a time, so counting here stops a bomb early.
    this.inflate.on("data", (c: Buffer) => {
      this.inflatedBytes += c.length;
      if (this.inflatedBytes > MAX_HEADER_BLOCK_BYTES) this.inflate.destroy(this.overflow());
      else this.inflated.push(c);
    });
    this.deflate.on("data", (c: Buffer) => this.deflated.push(c));
    // syncFlush listens while it runs; an error after it returned (the overflow's, a late one)
    // must not go unhandled and crash the agent. decode() reports it.
    this.inflate.on("error", () => undefined);
    this.deflate.on("error", () => undefined);
  }

  private overflow(): SpdyProtocolError {
    return new SpdyProtocolError(`SPDY header block inflates beyond the ${MAX_HEADER_BLOCK_BYTES}-byte limit`);
  }

  async decode(compressed: Buffer): Promise<Map<string, string>> {
    this.inflatedBytes = 0;
    const block = await syncFlush(this.inflate, compressed, this.inflated);
    // The flush's callback can run before the destroy's error event: check the count as well.
    if (this.inflatedBytes > MAX_HEADER_BLOCK_BYTES) throw this.overflow();
    return decodeHeaderBlock(block);
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
