/**
 * One SP connection (a "pipe" in nanomsg/NNG terms): the header exchange with its timeout, then
 * framed messages in both directions. Knows nothing of REQ/REP or surveys; the socket that owns
 * the pipe does.
 */
import type { Socket } from 'node:net';
import { encodeFrame, SpFrameDecoder, type SpFraming } from './sp-frame';
import { checkSpHeader, encodeSpHeader, SP_HEADER_LENGTH, type SpProtocolName } from './sp-handshake';
import type { SpFault } from './sp-faults';

/** What a pipe needs from its socket. */
export interface SpPipeConfig {
  id: number;
  protocol: SpProtocolName;
  framing: SpFraming;
  maxMessageSize: number;
  handshakeTimeout: number;
  maxWriteBuffer: number;
  /** How long {@link SpPipe.close} waits for the peer to close after a half-close (ms); 0: at once. */
  linger: number;
  /** Shown as {@link SpPipe.remote}; for ipc pipes the socket path. Default: the peer's `host:port`. */
  remote?: string;
}

/** Callbacks of a pipe to its socket (socket code, never user code). */
export interface SpPipeEvents {
  /** The peer's header was accepted; messages may flow. */
  ready(pipe: SpPipe): void;
  message(pipe: SpPipe, message: Buffer): void;
  /** The pipe broke a protocol rule; it is being closed. */
  fault(pipe: SpPipe, fault: SpFault): void;
  /** More room in the write buffer after {@link SpPipe.writable} was false. */
  drain(pipe: SpPipe): void;
  /** The connection is gone (called once, also for pipes that never became ready). */
  closed(pipe: SpPipe): void;
}

/** Public view of a pipe, as handed to users (e.g. on a received request). */
export interface SpPipeInfo {
  /** Unique within its socket. */
  readonly id: number;
  /** `host:port` of the peer (tcp) or the socket path (ipc). */
  readonly remote: string;
}

function endOfTurn(pipe: SpPipe): void {
  pipe.flush();
}

/** A connection speaking the SP wire. Owned by a socket; {@link SpPipe.close} is idempotent. */
export class SpPipe implements SpPipeInfo {
  readonly id: number;
  readonly remote: string;
  /** What users are shown of this pipe (no methods). */
  readonly info: SpPipeInfo;
  private state: 'handshake' | 'ready' | 'closed' = 'handshake';
  private header: Buffer | undefined = Buffer.alloc(0);
  private readonly decoder: SpFrameDecoder;
  private timer: NodeJS.Timeout | undefined;
  private corked = false;
  private turnWrites = 0;
  private blocked = false;
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly config: SpPipeConfig,
    private readonly events: SpPipeEvents,
  ) {
    this.id = config.id;
    this.remote = config.remote ?? `${socket.remoteAddress}:${socket.remotePort}`;
    this.info = Object.freeze({ id: this.id, remote: this.remote });
    this.decoder = new SpFrameDecoder(config.framing, config.maxMessageSize);
    this.timer = setTimeout(() => this.abort('handshake-timeout'), config.handshakeTimeout);
    this.timer.unref();
    if (config.framing === 'tcp') socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    // Errors (reset, EPIPE) are followed by 'close', which is where the pipe ends.
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClose());
    socket.write(encodeSpHeader(config.protocol));
  }

  /** True once the header exchange succeeded and until the pipe closes. */
  get ready(): boolean {
    return this.state === 'ready' && !this.closing;
  }

  /** How messages are framed on this connection. */
  get framing(): SpFraming {
    return this.config.framing;
  }

  /** Bytes written to the pipe and not yet handed to the kernel (the peer reads too slowly, or a turn's writes are corked). */
  get unsent(): number {
    return this.socket.writableLength;
  }

  /** False while the peer lags behind by more than `maxWriteBuffer` bytes. */
  get writable(): boolean {
    return this.ready && this.socket.writableLength < this.config.maxWriteBuffer;
  }

  /**
   * Sends one message made of `parts`. Returns false (nothing sent) when the pipe is not ready or
   * its write buffer is over the bound (unless `bounded` is false: the caller bounds what it
   * sends itself, e.g. a stream within its credit, and must not have it diverted). Writes of one
   * event-loop turn go out in one syscall.
   */
  send(parts: readonly Uint8Array[], bounded = true): boolean {
    if (bounded ? !this.writable : !this.ready) {
      if (this.ready) this.blocked = true;
      return false;
    }
    // A lone write goes out at once (no latency added at low load); from the second write of a
    // turn on, the socket is corked until the end of the turn, so they leave in one writev.
    if (this.turnWrites++ === 0) process.nextTick(endOfTurn, this);
    else if (!this.corked) {
      this.corked = true;
      this.socket.cork();
    }
    this.socket.write(encodeFrame(this.config.framing, parts));
    return true;
  }

  /** Writes what this turn's sends corked. */
  flush(): void {
    this.turnWrites = 0;
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  /**
   * Closes the connection (idempotent); `closed` follows. A ready pipe is closed in order: what was
   * sent is flushed, the connection half-closed, and dropped when the peer closes its side or after
   * `linger` ms. Dropping at once could lose what is still buffered, and even what the kernel holds
   * (a close with unread input resets the connection, and the peer may discard what it had not read).
   * Input arriving meanwhile is read and ignored.
   */
  close(): void {
    if (this.state === 'closed' || this.closing) return;
    if (this.state !== 'ready' || this.config.linger === 0) {
      this.destroy();
      return;
    }
    this.closing = true;
    this.clearTimer();
    this.flush();
    this.socket.end();
    this.timer = setTimeout(() => this.socket.destroy(), this.config.linger);
    this.timer.unref();
  }

  /** Drops the connection at once (a fault, or a pipe that never became ready). */
  private destroy(): void {
    if (this.state === 'closed') return;
    this.closing = true;
    this.clearTimer();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed' || this.closing) return;
    if (this.header) {
      const have = Buffer.concat([this.header, chunk]);
      if (have.length < SP_HEADER_LENGTH) {
        this.header = have;
        return;
      }
      const fault = checkSpHeader(have.subarray(0, SP_HEADER_LENGTH), this.config.protocol);
      if (fault) return this.abort(fault);
      this.header = undefined;
      this.clearTimer();
      this.state = 'ready';
      this.events.ready(this);
      chunk = have.subarray(SP_HEADER_LENGTH);
      if (chunk.length === 0 || !this.ready) return;
    }
    const fault = this.decoder.push(chunk, (message) => {
      if (this.ready) this.events.message(this, message);
    });
    if (fault) this.abort(fault);
  }

  private onDrain(): void {
    if (!this.blocked || !this.writable) return;
    this.blocked = false;
    this.events.drain(this);
  }

  private abort(fault: SpFault): void {
    if (this.state === 'closed' || this.closing) return;
    this.events.fault(this, fault);
    this.destroy();
  }

  private onClose(): void {
    if (this.state === 'closed') return;
    this.clearTimer();
    this.state = 'closed';
    this.events.closed(this);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
