// kubectl's side of a port-forward SPDY session, for the agent's tests: builds SYN_STREAMs with its
// own header compressor and reads the frames the agent sends back.
import { controlFrame, controlStreamId, ControlType, FLAG_FIN, SpdyFrameReader, SpdyHeaderCodec, type SpdyFrame } from "../../node-agent/tunnel/spdy";
import type { StreamSink } from "../../node-agent/tunnel/stream";

export class SpdyTestClient {
  readonly codec = new SpdyHeaderCodec();
  readonly reader = new SpdyFrameReader();
  readonly frames: SpdyFrame[] = [];
  closed = false;

  sink(): StreamSink {
    return {
      ready: () => {},
      error: () => {},
      data: (bytes) => this.frames.push(...this.reader.push(Buffer.from(bytes))),
      close: () => (this.closed = true),
      congested: () => false,
      drained: async () => {},
    };
  }

  async synStream(stream: number, headers: Record<string, string>): Promise<Buffer> {
    const prefix = Buffer.alloc(10);
    prefix.writeUInt32BE(stream, 0);
    return controlFrame(ControlType.SynStream, 0, Buffer.concat([prefix, await this.codec.encode(headers)]));
  }

  control(type: number): Extract<SpdyFrame, { kind: "control" }>[] {
    return this.frames.flatMap((f) => (f.kind === "control" && f.type === type ? [f] : []));
  }

  /** The status of the RST_STREAM for `stream`, if one came. */
  rstStatus(stream: number): number | undefined {
    const rst = this.control(ControlType.RstStream).find((f) => controlStreamId(f.payload) === stream);
    return rst?.payload.readUInt32BE(4);
  }

  dataOn(stream: number): string {
    return Buffer.concat(this.frames.flatMap((f) => (f.kind === "data" && f.stream === stream ? [f.payload] : []))).toString();
  }

  finished(stream: number): boolean {
    return this.frames.some((f) => f.kind === "data" && f.stream === stream && (f.flags & FLAG_FIN) !== 0);
  }
}
