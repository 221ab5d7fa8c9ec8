// Docker's multiplexed attach/logs stream for containers without a TTY: an 8-byte header
// [stream u8, 0, 0, 0, size u32 BE] before each chunk (1 stdout, 2 stderr). Stateful across chunks.

export interface DockerChunk {
  /** 0 stdin, 1 stdout, 2 stderr: the same numbers as Kubernetes' channels. */
  stream: number;
  payload: Buffer;
}

const HEADER_BYTES = 8;

export class DockerDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds raw bytes; returns every chunk completed by them. */
  push(bytes: Buffer): DockerChunk[] {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const out: DockerChunk[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + size) break;
      out.push({ stream: this.pending[0]!, payload: this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size) });
      this.pending = this.pending.subarray(HEADER_BYTES + size);
    }
    return out;
  }
}
