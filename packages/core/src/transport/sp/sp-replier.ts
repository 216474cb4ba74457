/**
 * What REP and RESPONDENT share (in NNG they are the same code too): peel the backtrace off each
 * incoming message, hand the body to the handler, and send the reply back on the pipe it came
 * from behind the same backtrace. Requests are independent: many may be in the handler at once,
 * on one pipe or several, and replies go out in whatever order they are ready.
 */
import { NaniteError } from '../../errors';
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
   * The path the reply retraces: the hop ids of devices in between, then the requester's own id
   * (high bit set). A REQ's resend on the same connection carries the same backtrace. Do not modify.
   */
  readonly backtrace: Buffer;
  /**
   * Largest body {@link SpRequest.reply} sends (bytes): the socket's `maxMessageSize` less the
   * request's backtrace. The requester's own limit is not known here: both sides should use the
   * same `maxMessageSize`.
   */
  readonly maxReply: number;
  /**
   * Sends `body` back to the requester. Returns false when nothing was sent: already replied, the
   * pipe closed (the requester resends elsewhere), the pipe's write buffer is full (counted as
   * `send-buffer-full`), `body` is larger than {@link SpRequest.maxReply} (`oversized-reply`: a
   * requester would hang up on it and resend, running the handler again) or not a Uint8Array
   * (`handler-error`). Each of these frees the request's slot: the requester's resend or timeout
   * follows.
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
  /** Requests received and not yet answered, over all pipes; more are dropped (`overflow`) and the requester resends (unless `overflow` answers them). Default 10 000. */
  maxPending?: number;
  /**
   * Called (instead of only dropping it) with each request received while `maxPending` are pending,
   * after counting it as `overflow`: it may `reply()` at once, e.g. with an error body, so the
   * requester need not wait for its resend. Such a request holds no slot; one not replied to during
   * the call is dropped. A hook that throws is counted as `handler-error`.
   */
  overflow?: (request: SpRequest) => void;
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
  /** The largest frame a reply may fill (the socket's `maxMessageSize`). */
  readonly maxMessageSize: number;
  send(state: PipeState, backtrace: Buffer, body: Uint8Array, slot: boolean): boolean;
  release(state: PipeState, slot: boolean): void;
  refused(state: PipeState, reason: string): void;
}

class Request implements SpRequest {
  private done = false;
  constructor(
    private readonly owner: ReplyPath,
    private readonly state: PipeState,
    readonly backtrace: Buffer,
    readonly body: Buffer,
    /** False for a request over `maxPending` handed to the overflow hook: it holds no pending slot. */
    private readonly slot = true,
  ) {}

  get pipe(): SpPipeInfo {
    return this.state.pipe.info;
  }

  get maxReply(): number {
    return this.owner.maxMessageSize - this.backtrace.length;
  }

  reply(body: Uint8Array): boolean {
    if (this.done) return false;
    if (!(body instanceof Uint8Array)) {
      this.abandon();
      this.owner.refused(this.state, `reply() was given ${body === null ? 'null' : typeof body}, not bytes (a Uint8Array)`);
      return false;
    }
    this.done = true;
    return this.owner.send(this.state, this.backtrace, body, this.slot);
  }

  drop(): void {
    this.abandon();
  }

  /** Releases the pending slot without replying. */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    this.owner.release(this.state, this.slot);
  }
}

/** Base of {@link SpRepSocket} and {@link SpRespondentSocket}. */
export abstract class SpReplier extends SpSocket {
  private handler: SpRequestHandler | undefined;
  private readonly overflowHook: ((request: SpRequest) => void) | undefined;
  private readonly maxPending: number;
  private readonly states = new Map<number, PipeState>();
  private pending = 0;
  private counts = { received: 0, replies: 0, unhandled: 0 };
  private readonly path: ReplyPath = {
    maxMessageSize: this.options.maxMessageSize,
    send: (state, backtrace, body, slot) => this.sendReply(state, backtrace, body, slot),
    release: (state, slot) => this.release(state, slot),
    refused: (state, reason) => this.faults.record('handler-error', { remote: state.pipe.remote, error: reason }),
  };

  protected constructor(protocol: SpProtocolName, options: SpReplierOptions) {
    super(protocol, options);
    const o = { maxPending: 10_000, ...stripUndefined(options) };
    this.maxPending = checkInteger('maxPending', o.maxPending, 1, 10_000_000);
    this.handler = options.handler;
    if (options.overflow !== undefined && typeof options.overflow !== 'function') {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'SP option overflow must be a function', data: { option: 'overflow' } });
    }
    this.overflowHook = options.overflow;
  }

  /** Sets (or replaces) the request handler. */
  serve(handler: SpRequestHandler): this {
    this.handler = handler;
    return this;
  }

  override stats(): SpReplierStats {
    return { ...super.stats(), ...this.counts, pending: this.pending };
  }

  private sendReply(state: PipeState, backtrace: Buffer, body: Uint8Array, slot: boolean): boolean {
    this.release(state, slot);
    if (!state.open) return false;
    // The requester would hang up on a message over its limit, reconnect and resend: the handler
    // would run again and again. The replier's own limit is the contract (docs/sp.md).
    if (backtrace.length + body.length > this.options.maxMessageSize) {
      this.faults.record('oversized-reply', { remote: state.pipe.remote, size: backtrace.length + body.length, maxMessageSize: this.options.maxMessageSize });
      return false;
    }
    if (!state.pipe.send([backtrace, body])) {
      this.fault('send-buffer-full', state.pipe);
      return false;
    }
    this.counts.replies++;
    return true;
  }

  private release(state: PipeState, slot: boolean): void {
    if (!slot || !state.open) return;
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
    if (this.pending >= this.maxPending) {
      this.fault('overflow', pipe);
      return this.overflowed(state, message, at);
    }
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

  /** Hands a request over `maxPending` to the overflow hook, which may answer it at once. */
  private overflowed(state: PipeState, message: Buffer, at: number): void {
    const hook = this.overflowHook;
    if (!hook) return;
    const request = new Request(this.path, state, Buffer.from(message.subarray(0, at)), message.subarray(at), false);
    try {
      hook(request);
    } catch (e) {
      this.faults.record('handler-error', { error: e instanceof Error ? e.message : String(e) });
    }
    request.abandon();
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
