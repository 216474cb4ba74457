/**
 * Cuts the bytes read from an AMQP socket into frames, and assembles each message's body in place.
 *
 * The bytes come in a buffer that is reused for the next read (socket-reader.ts), so everything
 * kept is copied out, once: a frame other than a message's body frame is copied into a Buffer of
 * its exact size and handed on whole (amqplib's own parser then decodes and checks it); a body
 * frame is copied straight into the message body it belongs to, a Buffer of the size the message's
 * content-header frame announced, which is handed on as ONE body frame when it is full. amqplib
 * then takes that Buffer as the message's content as it is: no Buffer per socket read, no
 * `Buffer.concat` of a body that spans frames, no copy of a frame that spans reads.
 *
 * Whatever does not fit that pattern goes on frame by frame, as it came, and amqplib judges it as
 * before: a body frame with no body being assembled on its channel, a body bigger than
 * `assembleMax` (amqplib then concatenates it itself), a body frame overflowing the size announced
 * (what was assembled goes first), a frame announcing more than `maxFrameSize` bytes (only its
 * header goes, for amqplib's parser to reject).
 */

/** AMQP frame header: type (1), channel (2), payload size (4); a frame-end octet follows the payload. */
const HEADER_BYTES = 7;
const FRAME_END = 206;
const FRAME_METHOD = 1;
const FRAME_HEADER = 2;
const FRAME_BODY = 3;
/** In a content-header frame's payload: class id (2), weight (2), then the body size (8). */
const BODY_SIZE_AT = HEADER_BYTES + 4;

/** Bodies up to this size are assembled in place; larger ones go frame by frame (a bound on what a peer's announcement makes us allocate). */
export const ASSEMBLE_MAX_BYTES = 16 * 1024 * 1024;

/** Where the frames go. Either may throw (a bad frame): `push` then throws that, and must not be called again. */
export interface FrameSink {
  /** The exact bytes of one whole frame (an own copy), or only the header of a frame exceeding `maxFrameSize`. */
  frame(bytes: Buffer): void;
  /** A message's body on `channel`, whole (or, before an overflowing body frame, as much as was assembled). */
  body(channel: number, content: Buffer): void;
}

interface Body {
  content: Buffer;
  filled: number;
}

export class FrameAssembler {
  /** The frame header being read (it may span reads). */
  private readonly head = Buffer.alloc(HEADER_BYTES);
  private headFill = 0;
  /** The frame being copied whole, when it is not copied into a body. */
  private whole: Buffer | undefined;
  private wholeFill = 0;
  /** The body the current body frame is copied into, its channel, and payload bytes still to come (then the frame end). */
  private into: Body | undefined;
  private intoChannel = 0;
  private payloadLeft = 0;
  /** Bodies being assembled, by channel. */
  private readonly bodies = new Map<number, Body>();

  constructor(
    private readonly sink: FrameSink,
    private readonly maxFrameSize: () => number,
    private readonly assembleMax = ASSEMBLE_MAX_BYTES,
  ) {}

  /** Bodies being assembled (for tests). */
  get assembling(): number {
    return this.bodies.size;
  }

  /** Takes in the bytes of one read; nothing of `bytes` is kept once this returns. */
  push(bytes: Uint8Array): void {
    const n = bytes.length;
    let at = 0;
    while (at < n) {
      if (this.whole) {
        const k = Math.min(n - at, this.whole.length - this.wholeFill);
        this.whole.set(bytes.subarray(at, at + k), this.wholeFill);
        this.wholeFill += k;
        at += k;
        if (this.wholeFill === this.whole.length) this.wholeDone();
      } else if (this.into) {
        if (this.payloadLeft > 0) {
          const k = Math.min(n - at, this.payloadLeft);
          this.into.content.set(bytes.subarray(at, at + k), this.into.filled);
          this.into.filled += k;
          this.payloadLeft -= k;
          at += k;
        } else {
          if (bytes[at++] !== FRAME_END) throw new Error('Invalid frame');
          const body = this.into;
          this.into = undefined;
          if (body.filled === body.content.length) {
            this.bodies.delete(this.intoChannel);
            this.sink.body(this.intoChannel, body.content);
          }
        }
      } else {
        const k = Math.min(n - at, HEADER_BYTES - this.headFill);
        this.head.set(bytes.subarray(at, at + k), this.headFill);
        this.headFill += k;
        at += k;
        if (this.headFill === HEADER_BYTES) {
          this.headFill = 0;
          this.begin();
        }
      }
    }
  }

  /** A frame header is here: copy the frame into its body, or whole. */
  private begin(): void {
    const type = this.head[0]!;
    const channel = this.head.readUInt16BE(1);
    const size = this.head.readUInt32BE(3);
    const max = this.maxFrameSize();
    if (max > 0 && size > max) {
      this.sink.frame(Buffer.from(this.head));
      throw new Error(`Frame size ${size} exceeds maxFrameSize ${max}`); // amqplib's parser threw already; never read past it
    }
    if (type === FRAME_BODY) {
      const body = this.bodies.get(channel);
      if (body && body.filled + size <= body.content.length) {
        this.into = body;
        this.intoChannel = channel;
        this.payloadLeft = size;
        return;
      }
      if (body) {
        this.bodies.delete(channel);
        if (body.filled > 0) this.sink.body(channel, body.content.subarray(0, body.filled));
      }
    } else if (type === FRAME_METHOD || type === FRAME_HEADER) {
      this.bodies.delete(channel); // a body left unfinished: amqplib rejects what comes instead
    }
    this.whole = Buffer.allocUnsafe(HEADER_BYTES + size + 1);
    this.head.copy(this.whole, 0);
    this.wholeFill = HEADER_BYTES;
  }

  /** A whole frame is here: a content header starts a body on its channel; the frame goes on. */
  private wholeDone(): void {
    const frame = this.whole!;
    this.whole = undefined;
    if (frame[0] === FRAME_HEADER && frame[frame.length - 1] === FRAME_END && frame.length >= BODY_SIZE_AT + 8 + 1) {
      const high = frame.readUInt32BE(BODY_SIZE_AT);
      const low = frame.readUInt32BE(BODY_SIZE_AT + 4);
      if (high === 0 && low > 0 && low <= this.assembleMax) {
        this.bodies.set(frame.readUInt16BE(1), { content: Buffer.allocUnsafe(low), filled: 0 });
      }
    }
    this.sink.frame(frame);
  }
}
