/**
 * SP message framing after the connection header.
 *
 * - tcp://: every message is a 64-bit big-endian length followed by that many bytes.
 * - ipc://: the same, preceded by one message-type byte, 0x01 for a normal message (nanomsg's and
 *   NNG's ipc transports both write it; other values are refused).
 *
 * The "message" is the whole SP message: the protocol header (request-id backtrace) and the body.
 */

/** How messages are framed on a connection. */
export type SpFraming = 'tcp' | 'ipc';

/** Why a stream was refused: a length over the limit, or (ipc) an unknown message type. */
export type SpFrameFault = 'oversized' | 'bad-message-type';

const IPC_NORMAL = 0x01;

/**
 * Chunks a message being assembled is held as, at most: past it they are copied into one buffer
 * and later chunks appended to it. Holding every chunk would cost a peer that dribbles a large
 * message a byte per segment ~200 bytes of memory per byte it sends.
 */
const MAX_HELD_CHUNKS = 16;
/** First size of that buffer (capped at the message's announced length); it doubles as needed. */
const MIN_ASSEMBLY = 64 * 1024;

/** Bytes in front of each message for `framing`. */
export function frameOverhead(framing: SpFraming): number {
  return framing === 'ipc' ? 9 : 8;
}

/** One frame holding `parts` (concatenated) as a single message, ready to write. */
export function encodeFrame(framing: SpFraming, parts: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const p of parts) size += p.length;
  const head = frameOverhead(framing);
  const out = Buffer.allocUnsafe(head + size);
  let at = 0;
  if (framing === 'ipc') out[at++] = IPC_NORMAL;
  // 64-bit length as two u32 halves: messages are far below 2^53, so the high half is size / 2^32.
  out.writeUInt32BE(Math.floor(size / 0x1_0000_0000), at);
  out.writeUInt32BE(size >>> 0, at + 4);
  at += 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Turns a byte stream cut into arbitrary chunks back into messages. Never throws on input: a
 * fault is returned once and the decoder then ignores everything (the connection must be closed).
 */
export class SpFrameDecoder {
  private readonly head: number;
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  private size = 0;
  /** Length of the message being assembled, or -1 while its length prefix is incomplete. */
  private need = -1;
  private failed: SpFrameFault | undefined;
  /** The message being assembled once it spanned more than MAX_HELD_CHUNKS chunks (never longer than `need`). */
  private assembly: Buffer | undefined;
  /** Bytes of `assembly` filled. */
  private assembled = 0;

  constructor(
    private readonly framing: SpFraming,
    private readonly maxMessageSize: number,
  ) {
    this.head = frameOverhead(framing);
  }

  /** Bytes received but not yet delivered as a message. */
  get buffered(): number {
    return this.size + this.assembled;
  }

  /** Feeds one chunk; calls `deliver` for every message it completes, in order. */
  push(chunk: Buffer, deliver: (message: Buffer) => void): SpFrameFault | undefined {
    if (this.failed) return this.failed;
    if (chunk.length === 0) return undefined;
    if (this.assembly) {
      const k = Math.min(chunk.length, this.need - this.assembled);
      this.append(chunk.subarray(0, k));
      if (this.assembled < this.need) return undefined;
      const message = this.assembly.subarray(0, this.need);
      this.assembly = undefined;
      this.assembled = 0;
      this.need = -1;
      deliver(message);
      if (k === chunk.length) return undefined;
      chunk = chunk.subarray(k);
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.size < this.head) return undefined;
        const first = this.chunks[0];
        let fault: SpFrameFault | undefined;
        // The prefix is read in place when it lies in one chunk (the usual case), else copied out.
        if (first.length - this.offset >= this.head) {
          fault = this.readLength(first, this.offset);
          if (!fault) this.skip(this.head);
        } else fault = this.readLength(this.copyOut(this.head), 0);
        if (fault) return this.fail(fault);
      }
      if (this.size < this.need) {
        if (this.chunks.length > MAX_HELD_CHUNKS) this.startAssembly();
        return undefined;
      }
      const n = this.need;
      this.need = -1;
      deliver(this.take(n));
    }
  }

  private readLength(b: Buffer, at: number): SpFrameFault | undefined {
    if (this.framing === 'ipc' && b[at++] !== IPC_NORMAL) return 'bad-message-type';
    const high = b.readUInt32BE(at);
    const low = b.readUInt32BE(at + 4);
    if (high !== 0 || low > this.maxMessageSize) return 'oversized';
    this.need = low;
    return undefined;
  }

  /** Moves the bytes held (all of them part of the message being assembled, shorter than it) into one buffer. */
  private startAssembly(): void {
    const n = this.size;
    this.assembly = this.copyOut(n, Math.min(this.need, Math.max(2 * n, MIN_ASSEMBLY)));
    this.assembled = n;
  }

  /** Appends `b` to the message being assembled, growing its buffer (at most to the announced length). */
  private append(b: Buffer): void {
    let buf = this.assembly!;
    if (this.assembled + b.length > buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.need, Math.max(2 * buf.length, this.assembled + b.length)));
      buf.copy(grown, 0, 0, this.assembled);
      this.assembly = buf = grown;
    }
    b.copy(buf, this.assembled);
    this.assembled += b.length;
  }

  /** Drops `n` bytes that lie in the first chunk. */
  private skip(n: number): void {
    this.offset += n;
    this.size -= n;
    if (this.offset === this.chunks[0].length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** Removes the first `n` bytes; no copy when they lie in the first chunk. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.skip(n);
      return out;
    }
    return this.copyOut(n);
  }

  /** Copies the first `n` bytes (n <= size) out of the chunks, into a buffer of `capacity` bytes, and removes them. */
  private copyOut(n: number, capacity = n): Buffer {
    const out = Buffer.allocUnsafe(capacity);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.offset, n - at);
      c.copy(out, at, this.offset, this.offset + k);
      at += k;
      this.offset += k;
      if (this.offset === c.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    this.size -= n;
    return out;
  }

  private fail(fault: SpFrameFault): SpFrameFault {
    this.failed = fault;
    this.chunks = [];
    this.assembly = undefined;
    this.assembled = 0;
    this.offset = 0;
    this.size = 0;
    return fault;
  }
}
