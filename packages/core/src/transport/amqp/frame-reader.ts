/**
 * Reads an amqplib connection's socket one AMQP frame at a time, copying each frame's bytes at
 * most once.
 *
 * amqplib's own reader appends every socket read to the bytes it holds of an unfinished frame
 * (`rest = Buffer.concat([rest, incoming])`), so a 128 KiB body frame arriving in 64 KiB reads is
 * copied about twice over, in short-lived Buffers: on a 1 GiB stream that is gigabytes of garbage
 * that V8 frees only at its next collection (Node 24 lets tens of MB of it pile up, and RSS with
 * it). Here reads are queued as they come; a frame lying within one read is a view of it (no copy),
 * a frame spanning reads is copied once into a Buffer of its exact size. The frame's bytes then go
 * to amqplib's own `recvFrame`, which parses and checks them exactly as before (frame end, size
 * limit, decoding), and never reads the socket itself since it is always given a whole frame.
 *
 * Like write-batcher.ts this reaches into amqplib's connection (`stream`, `rest`, `recvFrame`,
 * `maxFrameSize`, `recvSinceLastCheck`), not part of its typed API: when any of it is missing,
 * nothing is installed and amqplib reads as before.
 */
import type { ChannelModel } from 'amqplib';

/** AMQP frame header: type (1), channel (2), payload size (4); a frame-end octet follows the payload. */
const HEADER_BYTES = 7;

/** What this module uses of amqplib's `Connection`. */
interface ConnectionInternals {
  stream: { read(): Buffer | null };
  rest: Buffer;
  recvFrame(): unknown;
  maxFrameSize: number;
  recvSinceLastCheck: boolean;
}

function internals(model: ChannelModel): ConnectionInternals | undefined {
  const c = model.connection as unknown as Partial<ConnectionInternals> | undefined;
  if (!c || typeof c.recvFrame !== 'function' || !Buffer.isBuffer(c.rest) || typeof c.stream?.read !== 'function') return undefined;
  if (Object.prototype.hasOwnProperty.call(c, 'recvFrame')) return undefined; // installed already
  return c as ConnectionInternals;
}

/** Installs the frame reader on `model`'s connection; false when amqplib's shape is not the expected one (it then reads as before). */
export function installFrameReader(model: ChannelModel): boolean {
  const conn = internals(model);
  if (!conn) return false;
  const parse = conn.recvFrame;
  const reads = new ReadQueue();
  // What amqplib holds already (read during the handshake) comes first.
  if (conn.rest.length > 0) reads.push(conn.rest);
  conn.rest = Buffer.alloc(0);
  conn.recvFrame = function recvFrame(this: ConnectionInternals): unknown {
    for (;;) {
      const frame = reads.frame(this.maxFrameSize);
      if (frame) {
        this.rest = frame;
        return parse.call(this);
      }
      const incoming = this.stream.read();
      if (incoming === null) return false;
      this.recvSinceLastCheck = true;
      reads.push(incoming);
    }
  };
  return true;
}

/**
 * Socket reads not yet handed on, in order. `frame()` takes the next whole frame off the front:
 * a view when it lies within one read, else one exact-size copy.
 */
export class ReadQueue {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /** Bytes queued. */
  get size(): number {
    return this.length;
  }

  /**
   * The next whole frame's bytes, or undefined while it has not fully arrived. A frame announcing
   * more than `max` bytes of payload (when `max` > 0) is handed on as soon as its header is here,
   * with what follows it, so that amqplib's parser rejects it instead of this queue buffering it.
   */
  frame(max: number): Buffer | undefined {
    if (this.length < HEADER_BYTES) return undefined;
    const size = ((this.byteAt(3) << 24) | (this.byteAt(4) << 16) | (this.byteAt(5) << 8) | this.byteAt(6)) >>> 0;
    if (max > 0 && size > max) return this.take(this.length);
    const total = HEADER_BYTES + size + 1;
    return this.length < total ? undefined : this.take(total);
  }

  private byteAt(i: number): number {
    for (const c of this.chunks) {
      if (i < c.length) return c[i]!;
      i -= c.length;
    }
    return 0;
  }

  private take(n: number): Buffer {
    this.length -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
