/**
 * The consumer's side of a result stream: an async iterable of the handler's chunks, with credit
 * sent back as they are read (so a slow reader slows the handler), a silence timeout, cancellation,
 * and a check that the stream arrived whole.
 */
import { NaniteError } from '../errors';
import { shownValue } from '../internal/option-checks';
import { MAX_TIMER_DELAY } from '../internal/timers';
import type { CreditPacket } from '../protocol/stream-packets';
import { isStreamEnd, MAX_STREAM_CREDIT, type ChunkPacket } from '../protocol/stream-packets';
import { abortedError } from './mapper-errors';
import type { MapperRequestOptions } from './mapper.options';
import type { PendingCallbacks, PendingRequest } from './pending-request';
import { DEFAULT_STREAM_WINDOW, type StreamHooks, type StreamOptions } from './stream.options';
import { dropUpload } from './upload-sender';

/** A reader slower than this per chunk, with the agent out of credit, sends credit for each chunk it reads (see ResultStream.read). */
export const SLOW_READER_CREDIT_MS = 100;

/** What a {@link ResultStream} needs from its mapper. */
export interface ResultStreamHost {
  readonly identity: string;
  /** The mapper's default timeout (ms; 0: none), used as the silence timeout. */
  readonly timeout: number;
  /** Validates and dispatches the request (errors reach `cb.reject`). */
  dispatch(route: string, payload: unknown, options: MapperRequestOptions, cb: PendingCallbacks, hooks: StreamHooks): void;
  /** Sends credit to the agent serving the stream. */
  credit(agent: string, packet: CreditPacket): void;
}

type Waiter = { resolve(r: IteratorResult<unknown>): void; reject(err: unknown): void };

/**
 * A result stream (`mapper.stream()`): read it once with `for await`. Breaking out of the loop,
 * the `signal` option or {@link ResultStream.cancel} aborts the handler. A stream that was cut (its
 * agent died, a chunk went missing) throws a `NaniteError` after the chunks that did arrive, never
 * ends as if it were complete.
 */
export class ResultStream<T = unknown> implements AsyncIterableIterator<T> {
  /** The route being streamed. */
  readonly route: string;
  /** Chunks received so far. */
  received = 0;
  private readonly items: unknown[] = [];
  private readonly window: number;
  private readonly idleMs: number;
  private readonly controller = new AbortController();
  private readonly host: ResultStreamHost;
  private waiter: Waiter | undefined;
  private request: PendingRequest | undefined;
  private state: 'open' | 'ended' | 'failed' | 'closed' = 'open';
  private error: NaniteError | undefined;
  /** Chunks handed to the reader since credit was last sent. */
  private readSinceCredit = 0;
  /** Credit granted in total (the window, then every credit packet). */
  private granted: number;
  /** When credit was last granted (epoch ms): the window, with the request, then each credit packet. */
  private creditAt = Date.now();
  private idle: NodeJS.Timeout | undefined;
  private lastHeard = Date.now();
  private readonly userSignal: AbortSignal | undefined;
  private readonly onUserAbort = (): void => this.cancel(abortedError(this.userSignal!));

  constructor(host: ResultStreamHost, route: string, payload: unknown, given: StreamOptions) {
    this.host = host;
    this.route = route;
    const options: StreamOptions = typeof given === 'object' && given !== null ? given : {};
    this.window = options.window ?? DEFAULT_STREAM_WINDOW;
    this.granted = this.window;
    this.idleMs = options.timeout ?? host.timeout;
    this.userSignal = options.signal;
    const refused = options !== given ? 'options must be an object'
      : !Number.isInteger(this.window) || this.window < 1 || this.window > MAX_STREAM_CREDIT ? `window must be an integer from 1 to ${MAX_STREAM_CREDIT}, got ${shownValue(options.window)}`
      : options.persistent ? 'A stream cannot be persistent (parked for an agent): its flow control needs the agent it runs on'
      : typeof this.idleMs !== 'number' || !(this.idleMs >= 0) || this.idleMs > MAX_TIMER_DELAY ? `timeout must be a number of ms in [0, ${MAX_TIMER_DELAY}] (0: none), got ${shownValue(options.timeout)}`
      : undefined;
    if (refused !== undefined) {
      dropUpload(payload, options);
      this.fail(new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: refused }));
      return;
    }
    // The whole-request deadline is off (timeout 0): a long stream may take as long as it is read; silence is timed here instead.
    const o: MapperRequestOptions = { ...options, timeout: 0, signal: this.controller.signal };
    host.dispatch(route, payload, o, { resolve: (result) => this.onEnd(result), reject: (err) => this.fail(err) }, { window: this.window, onChunk: (c, p) => this.onChunk(c, p) });
    if (this.state !== 'open') return;
    if (this.userSignal) {
      if (this.userSignal.aborted) this.onUserAbort();
      else this.userSignal.addEventListener('abort', this.onUserAbort, { once: true });
    }
    if (this.state === 'open' && this.idleMs > 0) this.armIdle(this.idleMs);
  }

  /** The agent serving the stream, once its first chunk arrived. */
  get agent(): string | undefined {
    return this.request?.agent?.identity;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.take() as T, done: false });
    if (this.state === 'failed') {
      const err = this.error!;
      this.state = 'closed';
      return Promise.reject(err);
    }
    if (this.state !== 'open') return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'A result stream is read by one reader at a time: await each next() before the following one' }));
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.waiter = { resolve: resolve as Waiter['resolve'], reject };
    });
  }

  /** Called when a `for await` loop is left early: cancels the stream (aborting the handler). */
  return(): Promise<IteratorResult<T>> {
    this.cancel(new NaniteError('NANITE_ERR_ABORTED', { message: 'The consumer stopped reading the stream' }));
    this.items.length = 0;
    this.state = 'closed';
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stops the stream: the handler is aborted and a pending read rejects with `reason` (default `NANITE_ERR_ABORTED`). */
  cancel(reason?: NaniteError): void {
    if (this.state !== 'open') return;
    const err = reason ?? new NaniteError('NANITE_ERR_ABORTED', { message: 'The stream was cancelled' });
    // Sends the agent a cancel for the pending request (pending-table.ts), then rejects it (fail() below, a no-op by then).
    this.fail(err);
    this.controller.abort(err);
  }

  private take(): unknown {
    const v = this.items.shift();
    this.read();
    return v;
  }

  /**
   * One chunk handed to the reader: grant credit in batches of half the window; or sooner when the
   * agent has used up its credit and none went for {@link SLOW_READER_CREDIT_MS}: it waits on us,
   * and its `streamStallTimeout` counts from the last credit it heard, so a slow reader taking a
   * chunk now and then must be heard taking it (a reader-bound stream still sends few credits).
   */
  private read(): void {
    if (this.state !== 'open' || !this.request?.agent) {
      this.readSinceCredit++;
      return;
    }
    this.readSinceCredit++;
    if (this.readSinceCredit < Math.max(1, this.window >> 1) && (this.received < this.granted || Date.now() - this.creditAt < SLOW_READER_CREDIT_MS)) return;
    this.creditAt = Date.now();
    const n = this.readSinceCredit;
    this.readSinceCredit = 0;
    this.granted += n;
    try {
      this.host.credit(this.request.agent.identity, { v: 1, type: 'credit', id: this.request.packet.id, replyTo: this.host.identity, n });
    } catch (err) {
      this.cancel(err instanceof NaniteError ? err : new NaniteError('NANITE_ERR_TRANSPORT', { message: 'Could not send stream credit', cause: err }));
    }
    // Credit reopened a window the agent had used up: silence counts from now.
    if (this.granted - this.received === n) this.lastHeard = Date.now();
  }

  private onChunk(c: ChunkPacket, p: PendingRequest): void {
    if (this.state !== 'open') return;
    if (!this.request) {
      this.request = p;
      // Chunks were delivered: running it again elsewhere would repeat them, so an agent lost from now on fails the stream.
      p.idempotent = false;
    }
    if (c.seq !== this.received) {
      this.cancel(new NaniteError('NANITE_ERR_STREAM', { message: `${this.route}: chunk ${c.seq} arrived where ${this.received} was expected (a chunk was lost)`, data: { route: this.route, received: this.received } }));
      return;
    }
    if (this.received >= this.granted) {
      this.cancel(new NaniteError('NANITE_ERR_STREAM', { message: `${this.route}: the agent sent more chunks than it had credit for`, data: { route: this.route, received: this.received } }));
      return;
    }
    this.received++;
    this.lastHeard = Date.now();
    const data = c.data instanceof Uint8Array && !Buffer.isBuffer(c.data) ? Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength) : c.data;
    const w = this.waiter;
    if (w && this.items.length === 0) {
      this.waiter = undefined;
      this.read();
      w.resolve({ value: data, done: false });
    } else this.items.push(data);
    // Credit sent by read() may have reached this agent through an already-gone request: nothing else to do.
  }

  private onEnd(result: unknown): void {
    if (this.state !== 'open') return;
    if (!isStreamEnd(result) || result.chunks !== this.received) {
      const sent = isStreamEnd(result) ? result.chunks : undefined;
      this.fail(new NaniteError('NANITE_ERR_STREAM', { message: `${this.route}: the stream was cut (${this.received} chunks arrived${sent !== undefined ? ` of ${sent}` : ''})`, data: { route: this.route, received: this.received, sent } }));
      return;
    }
    this.finish('ended');
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  }

  private fail(err: NaniteError): void {
    if (this.state !== 'open') return;
    this.error = err;
    this.finish('failed');
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.state = 'closed';
      w.reject(err);
    }
  }

  private finish(state: 'ended' | 'failed'): void {
    this.state = state;
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    this.userSignal?.removeEventListener('abort', this.onUserAbort);
  }

  /** The silence timer: fires `idleMs` after the last chunk, unless the agent is waiting for credit (then the wait is ours). */
  private armIdle(ms: number): void {
    // Ref'd like a pending request's deadline: the reader awaits this stream.
    this.idle = setTimeout(() => {
      this.idle = undefined;
      if (this.state !== 'open') return;
      const now = Date.now();
      if (this.received >= this.granted) this.lastHeard = now;
      const left = this.lastHeard + this.idleMs - now;
      if (left > 0) {
        this.armIdle(left);
        return;
      }
      this.cancel(new NaniteError('NANITE_ERR_TIMEOUT', { message: `${this.route}: no chunk for ${this.idleMs} ms`, data: { route: this.route, timeout: this.idleMs, received: this.received, agent: this.agent } }));
    }, ms);
    // While the agent waits for the reader, nothing is owed to anyone: a stream its reader dropped must not keep the process alive.
    if (this.received >= this.granted) this.idle.unref();
  }
}
