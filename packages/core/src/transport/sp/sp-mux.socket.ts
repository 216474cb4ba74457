/**
 * MUX (protocol 0x7E10, not part of nanomsg or NNG): a symmetric socket whose peers are MUX
 * sockets too. Any number of pipes; each message is an opaque body, sent to one pipe chosen by
 * the caller and received with the pipe it came on. No ids, no backtrace, no resend: whoever uses
 * it multiplexes its own conversations inside the bodies.
 */
import { NaniteError } from '../../errors';
import { frameOverhead } from './sp-frame';
import type { SpSocketOptions } from './sp-options';
import type { SpPipe, SpPipeInfo } from './sp-pipe';
import { SpSocket, type SpSocketStats } from './sp-socket';

/** Receives every message of a MUX socket. `body` may share memory with the read buffer: copy it to keep it. */
export type SpMuxHandler = (pipe: SpPipeInfo, body: Buffer) => void;

/** Options of {@link SpMuxSocket}. */
export interface SpMuxOptions extends SpSocketOptions {
  /** The message handler (or set it later with `serve()`). */
  handler?: SpMuxHandler;
}

/** Counters of a MUX socket. */
export interface SpMuxStats extends SpSocketStats {
  received: number;
  sent: number;
  /** Messages received while no handler was set (dropped). */
  unhandled: number;
}

/**
 * A MUX socket.
 *
 * ```ts
 * const a = new SpMuxSocket({ handler: (pipe, body) => a.send(pipe.id, [body]) }); // echo
 * const { url } = await a.listen('tcp://127.0.0.1:0');
 * ```
 */
export class SpMuxSocket extends SpSocket {
  private handler: SpMuxHandler | undefined;
  private counts = { received: 0, sent: 0, unhandled: 0 };

  constructor(options: SpMuxOptions = {}) {
    super('mux', options);
    this.handler = options.handler;
  }

  /** Sets (or replaces) the message handler. */
  serve(handler: SpMuxHandler): this {
    this.handler = handler;
    return this;
  }

  /**
   * Sends one message made of `parts` on pipe `pipeId`. Returns false (nothing sent) when that pipe
   * is not ready or its write buffer is over `maxWriteBuffer`. With `bounded` false (for senders
   * that bound what they have in flight themselves and must not have a message diverted, e.g. a
   * stream within its credit) that bound is not applied, but a hard one is: a message that would
   * leave more than `maxWriteBuffer + maxMessageSize` bytes unsent on the pipe (its peer does not
   * read, whatever credit it grants) is not sent and the call throws `NANITE_ERR_BUFFER_FULL`
   * (counted as `send-buffer-full`, logged once per burst).
   */
  send(pipeId: number, parts: readonly Uint8Array[], bounded = true): boolean {
    const pipe = this.pipes.get(pipeId);
    if (!bounded && pipe?.ready) {
      let size = frameOverhead(pipe.framing);
      for (const p of parts) size += p.length;
      const cap = this.options.maxWriteBuffer + this.options.maxMessageSize;
      if (pipe.unsent + size > cap) {
        this.fault('send-buffer-full', pipe);
        throw new NaniteError('NANITE_ERR_BUFFER_FULL', {
          message: `The SP peer at ${pipe.remote} does not read: ${pipe.unsent} bytes are unsent to it, past the hard bound of ${cap} (maxWriteBuffer + maxMessageSize)`,
          data: { remote: pipe.remote, unsent: pipe.unsent, bound: cap },
        });
      }
    }
    if (!pipe?.send(parts, bounded)) return false;
    this.counts.sent++;
    return true;
  }

  override stats(): SpMuxStats {
    return { ...super.stats(), ...this.counts };
  }

  protected onMessage(pipe: SpPipe, message: Buffer): void {
    this.counts.received++;
    const handler = this.handler;
    if (!handler) {
      this.counts.unhandled++;
      return;
    }
    try {
      handler(pipe.info, message);
    } catch (e) {
      this.faults.record('handler-error', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  protected onPipeReady(): void {}
  protected onPipeClosed(): void {}
  protected onDrain(): void {}
  protected onClose(): void {}
}
