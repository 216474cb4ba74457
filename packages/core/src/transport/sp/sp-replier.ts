/**
 * What REP and RESPONDENT share (in NNG they are the same code too): peel the backtrace off each
 * incoming message, hand the body to the handler, and send the reply back on the pipe it came
 * from behind the same backtrace. Requests are independent: many may be in the handler at once,
 * on one pipe or several, and replies go out in whatever order they are ready.
 */
import { pendingOutcome } from '../../internal/handler-outcome';
import { backtraceLength } from './sp-ids';
import { checkInteger, stripUndefined, type SpSocketOptions } from './sp-options';
import type { SpProtocolName } from './sp-handshake';
import type { SpPipe, SpPipeInfo } from './sp-pipe';
import { SpSocket, type SpSocketStats } from './sp-socket';

/** A request (REP) or survey (RESPONDENT) received from a peer. */
export interface SpRequest {
  /** The body, backtrace removed. May share memory with the connection's read buffer: copy it to keep it. */
  readonly body: Buffer;
  /** The connection it came on. */
  readonly pipe: SpPipeInfo;
  /**
   * Sends `body` back to the requester. Returns false when nothing was sent: already replied, the
   * pipe closed (the requester resends elsewhere), or the pipe's write buffer is full (counted as
   * `send-buffer-full`).
   */
  reply(body: Uint8Array): boolean;
  /**
   * Gives the request up without replying: frees its pending slot (`maxPending` counts requests
   * not yet replied to) and the requester resends after its resend interval. Idempotent; no-op
   * once replied.
   */
  drop(): void;
}

/**
 * Handles one request. Return (or resolve with) the reply body, or return nothing and call
 * `request.reply()` (or `request.drop()`) later: until then the request holds one of the socket's
 * `maxPending` slots. A throw, a rejection or a value that is not bytes is counted
 * (`handler-error`), logged once per burst, sends nothing and frees the slot.
 */
export type SpRequestHandler = (request: SpRequest) => void | Uint8Array | Promise<void | Uint8Array>;

/** Options of {@link SpRepSocket} and {@link SpRespondentSocket}. */
export interface SpReplierOptions extends SpSocketOptions {
  /** The request handler (or set it later with `serve()`). */
  handler?: SpRequestHandler;
  /** Requests received and not yet answered, over all pipes; more are dropped (`overflow`) and the requester resends. Default 10 000. */
  maxPending?: number;
}

/** Counters of a REP or RESPONDENT socket. */
export interface SpReplierStats extends SpSocketStats {
  received: number;
  replies: number;
  /** Requests received while no handler was set (dropped). */
  unhandled: number;
  /** Requests in a handler now. */
  pending: number;
}

interface PipeState {
  pipe: SpPipe;
  open: boolean;
  pending: number;
}

/** How a request reaches back to its socket. */
interface ReplyPath {
  send(state: PipeState, backtrace: Buffer, body: Uint8Array): boolean;
  release(state: PipeState): void;
}

class Request implements SpRequest {
  private done = false;
  constructor(
    private readonly owner: ReplyPath,
    private readonly state: PipeState,
    private readonly backtrace: Buffer,
    readonly body: Buffer,
  ) {}

  get pipe(): SpPipeInfo {
    return this.state.pipe.info;
  }

  reply(body: Uint8Array): boolean {
    if (this.done) return false;
    this.done = true;
    return this.owner.send(this.state, this.backtrace, body);
  }

  drop(): void {
    this.abandon();
  }

  /** Releases the pending slot without replying. */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    this.owner.release(this.state);
  }
}

/** Base of {@link SpRepSocket} and {@link SpRespondentSocket}. */
export abstract class SpReplier extends SpSocket {
  private handler: SpRequestHandler | undefined;
  private readonly maxPending: number;
  private readonly states = new Map<number, PipeState>();
  private pending = 0;
  private counts = { received: 0, replies: 0, unhandled: 0 };
  private readonly path: ReplyPath = {
    send: (state, backtrace, body) => this.sendReply(state, backtrace, body),
    release: (state) => this.release(state),
  };

  protected constructor(protocol: SpProtocolName, options: SpReplierOptions) {
    super(protocol, options);
    const o = { maxPending: 10_000, ...stripUndefined(options) };
    this.maxPending = checkInteger('maxPending', o.maxPending, 1, 10_000_000);
    this.handler = options.handler;
  }

  /** Sets (or replaces) the request handler. */
  serve(handler: SpRequestHandler): this {
    this.handler = handler;
    return this;
  }

  override stats(): SpReplierStats {
    return { ...super.stats(), ...this.counts, pending: this.pending };
  }

  private sendReply(state: PipeState, backtrace: Buffer, body: Uint8Array): boolean {
    this.release(state);
    if (!state.open) return false;
    if (!state.pipe.send([backtrace, body])) {
      this.fault('send-buffer-full', state.pipe);
      return false;
    }
    this.counts.replies++;
    return true;
  }

  private release(state: PipeState): void {
    if (!state.open) return;
    state.pending--;
    this.pending--;
  }

  protected onPipeReady(pipe: SpPipe): void {
    this.states.set(pipe.id, { pipe, open: true, pending: 0 });
  }

  protected onPipeClosed(pipe: SpPipe): void {
    const state = this.states.get(pipe.id);
    this.states.delete(pipe.id);
    if (!state) return;
    this.pending -= state.pending;
    state.pending = 0;
    state.open = false;
  }

  protected onDrain(): void {}

  protected onClose(): void {}

  protected onMessage(pipe: SpPipe, message: Buffer): void {
    const state = this.states.get(pipe.id);
    if (!state) return;
    const at = backtraceLength(message, this.options.maxTtl);
    if (at < 0) return this.fault('malformed', pipe);
    this.counts.received++;
    const handler = this.handler;
    if (!handler) {
      this.counts.unhandled++;
      return;
    }
    if (this.pending >= this.maxPending) return this.fault('overflow', pipe);
    this.pending++;
    state.pending++;
    // Copy the backtrace: the message may share its memory with a large socket chunk.
    const request = new Request(this.path, state, Buffer.from(message.subarray(0, at)), message.subarray(at));
    let out: unknown;
    let pending: PromiseLike<unknown> | undefined;
    try {
      out = handler(request);
      pending = pendingOutcome(out);
    } catch (e) {
      return this.handlerFailed(request, e);
    }
    if (pending === undefined) this.answer(request, out);
    else pending.then((v) => this.answer(request, v), (e: unknown) => this.handlerFailed(request, e));
  }

  /** What the handler returned or resolved with: bytes are the reply; nothing waits for `reply()`; anything else frees the slot, counted. */
  private answer(request: Request, out: unknown): void {
    if (out instanceof Uint8Array) request.reply(out);
    else if (out !== undefined) this.handlerFailed(request, new TypeError(`the handler returned ${out === null ? 'null' : typeof out}, not bytes (a Uint8Array) or nothing`));
  }

  private handlerFailed(request: Request, error: unknown): void {
    request.abandon();
    this.faults.record('handler-error', { error: error instanceof Error ? error.message : String(error) });
  }
}
