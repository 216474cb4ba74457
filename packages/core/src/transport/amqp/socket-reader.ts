/**
 * Reads an amqp:// connection's socket into ONE reused buffer (Node's `onread` socket option,
 * given through `amqplib.connect`'s socket options), and hands amqplib whole frames and whole
 * message bodies (frame-assembler.ts).
 *
 * Without it every socket read is a fresh 64 KiB ArrayBuffer, amqplib copies frames that span reads
 * and concatenates the body frames of a message bigger than a frame: on a 1 GiB stream gigabytes of
 * short-lived external memory, which V8 frees late (Node 24 lets tens of MB of it pile up, and RSS
 * with it). With it, what a message costs is its body, allocated once.
 *
 * Until `attach` (during amqplib's opening handshake, which reads the socket itself), each read is
 * copied and pushed into the socket's readable side, where amqplib reads it as usual. `attach` then
 * takes what amqplib has not parsed yet, and from there on parses every read and calls amqplib's
 * frame dispatch (`accept`) itself, as amqplib's own loop does, reporting a bad frame or a throwing
 * dispatch as amqplib does (`frameError`, which closes the connection). The receive side of
 * amqplib's heartbeat is kept (`recvSinceLastCheck`). amqplib's own loop stays installed and finds
 * nothing to read.
 *
 * When amqplib's connection is not of the expected shape (`accept`, `recvFrame`, `rest`, `stream`,
 * `maxFrameSize`, `recvSinceLastCheck`, `emit`), `attach` returns false and reads keep being pushed
 * (amqplib reading as without this). Node calls the `onread` callback with the socket as `this`;
 * were that ever not so, reading stops (the connection times out) and the owner is told, so its
 * later connections do not use `onread`.
 */
import type { Readable } from 'node:stream';
import type { ChannelModel } from 'amqplib';
import { FrameAssembler } from './frame-assembler';

/** The reused read buffer: the size of the reads Node makes without `onread`. */
const READ_BUFFER_BYTES = 64 * 1024;

/** What this module uses of amqplib's `Connection`. */
interface ConnectionInternals {
  stream: unknown;
  rest: Buffer;
  recvFrame(): unknown;
  accept(frame: unknown): void;
  emit(event: 'frameError', err: unknown): boolean;
  maxFrameSize: number;
  recvSinceLastCheck: boolean;
}

/** The `onread` socket option (see net.connect). */
export interface OnRead {
  buffer: Buffer;
  callback(this: unknown, bytes: number, buffer: Buffer): boolean;
}

const EMPTY = Buffer.alloc(0);

export class SocketReader {
  private socket: Readable | undefined;
  private conn: ConnectionInternals | undefined;
  private assembler: FrameAssembler | undefined;
  private failed = false;

  /** Give as `onread` in the socket options of `amqplib.connect` (plain amqp:// only). */
  readonly onread: OnRead;

  /** `unusable`: Node was seen not to call `onread` as expected (the owner then connects without it). */
  constructor(private readonly unusable: () => void) {
    const read = (socket: unknown, bytes: Buffer): boolean => this.read(socket, bytes);
    this.onread = {
      buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
      callback(this: unknown, bytes: number, buffer: Buffer): boolean {
        return read(this, buffer.subarray(0, bytes));
      },
    };
  }

  /** Takes over parsing on `model`'s connection; false (nothing changed) when amqplib is not of the expected shape. */
  attach(model: ChannelModel): boolean {
    const c = model.connection as unknown as Partial<ConnectionInternals> | undefined;
    const socket = this.socket;
    if (!c || !socket || c.stream !== socket || this.assembler) return false;
    if (typeof c.recvFrame !== 'function' || typeof c.accept !== 'function' || typeof c.emit !== 'function') return false;
    if (!Buffer.isBuffer(c.rest) || typeof c.maxFrameSize !== 'number' || typeof c.recvSinceLastCheck !== 'boolean') return false;
    const conn = c as ConnectionInternals;
    const parse = conn.recvFrame;
    this.conn = conn;
    this.assembler = new FrameAssembler(
      {
        frame(bytes) {
          conn.rest = bytes;
          const frame = parse.call(conn);
          conn.rest = EMPTY;
          if (!frame) throw new Error('Invalid frame'); // given whole: never so
          conn.accept(frame);
        },
        body(channel, content) {
          conn.accept({ channel, content });
        },
      },
      () => conn.maxFrameSize,
    );
    // What amqplib holds unparsed, then what was pushed and not read yet, come first.
    const held = [conn.rest];
    conn.rest = EMPTY;
    for (let b = socket.read() as Buffer | null; b !== null; b = socket.read() as Buffer | null) held.push(b);
    for (const b of held) this.feed(b);
    return true;
  }

  private read(socket: unknown, bytes: Buffer): boolean {
    if (this.assembler) {
      this.feed(bytes);
      return true;
    }
    if (this.socket === undefined) {
      if (!isReadable(socket)) {
        this.unusable();
        return false;
      }
      this.socket = socket;
    }
    this.socket.push(Buffer.from(bytes));
    return true;
  }

  private feed(bytes: Buffer): void {
    if (this.failed || bytes.length === 0) return;
    const conn = this.conn!;
    conn.recvSinceLastCheck = true;
    try {
      this.assembler!.push(bytes);
    } catch (err) {
      this.failed = true; // the connection closes on it; nothing after a bad frame is read
      conn.emit('frameError', err);
    }
  }
}

function isReadable(x: unknown): x is Readable {
  return typeof x === 'object' && x !== null && typeof (x as Partial<Readable>).push === 'function' && typeof (x as Partial<Readable>).read === 'function';
}
