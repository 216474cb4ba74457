/**
 * REQ (protocol 0x30): sends requests to REP peers and matches replies by request id.
 *
 * Like NNG's req0 with one context per request, any number of requests may be outstanding at once
 * over the same pipes, each with its own id; replies may come back in any order. Requests go
 * round-robin over the ready pipes that can take them, wait (bounded) while there is none, are
 * resent when their pipe closes before the reply came and, like nanomsg's `NN_REQ_RESEND_IVL`,
 * after `resendInterval` without a reply.
 */
import { NaniteError } from '../../errors';
import { DeadlineQueue, type DeadlineEntry } from '../../internal/deadline-queue';
import { encodeId, leadingId, SpIdAllocator } from './sp-ids';
import { checkInteger, stripUndefined, type SpSocketOptions } from './sp-options';
import type { SpPipe } from './sp-pipe';
import { SpSocket, type SpSocketStats } from './sp-socket';
import { isAbortSignal } from '../../internal/abort-signal';
import { MAX_TIMER_DELAY } from '../../internal/timers';

/** Options of {@link SpReqSocket}. */
export interface SpReqOptions extends SpSocketOptions {
  /** Resend a request that got no reply after this long (ms); 0: only resend when its pipe closes. nanomsg `NN_REQ_RESEND_IVL`, NNG `NNG_OPT_REQ_RESENDTIME`. Default 60 000. */
  resendInterval?: number;
  /** Default timeout of a request (ms); 0: none. Default 30 000. */
  requestTimeout?: number;
  /** Requests outstanding at once (sent or waiting for a pipe); more are refused with `NANITE_ERR_BUFFER_FULL`. Default 65 536. */
  maxOutstanding?: number;
}

/** Defaults of {@link SpReqOptions} beyond {@link DEFAULT_SP_OPTIONS}. */
export const DEFAULT_SP_REQ_OPTIONS = { resendInterval: 60_000, requestTimeout: 30_000, maxOutstanding: 65_536 } as const;

/** Options of one {@link SpReqSocket.request}. */
export interface SpRequestOptions {
  /** ms until the request fails with `NANITE_ERR_TIMEOUT` (its `data.sent` is false when no pipe ever took it); 0: none. Default the socket's `requestTimeout`. */
  timeout?: number;
  /** Cancels the request (`NANITE_ERR_ABORTED`); a reply that comes later is dropped and counted as late. */
  signal?: AbortSignal;
}

/** Counters of a {@link SpReqSocket}. */
export interface SpReqStats extends SpSocketStats {
  /** Requests accepted by request(). */
  requests: number;
  replies: number;
  /** Sends after the first one (pipe closed, or resend interval passed). */
  resends: number;
  timeouts: number;
  /** Requests waiting for a reply now. */
  outstanding: number;
  /** Of those, how many wait for a pipe that can take them. */
  waiting: number;
}

class ResendEntry implements DeadlineEntry {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineGroup: object | undefined = undefined;
  constructor(readonly request: Outstanding) {}
}

class Outstanding implements DeadlineEntry {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineGroup: object | undefined = undefined;
  readonly resend = new ResendEntry(this);
  pipe: SpPipe | undefined = undefined;
  /** Every pipe it was sent on (a reply is believed only from one of them). */
  readonly sentOn: SpPipe[] = [];
  sends = 0;
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly id: number,
    readonly header: Buffer,
    readonly body: Uint8Array,
    readonly resolve: (reply: Buffer) => void,
    readonly reject: (e: NaniteError) => void,
    readonly signal: AbortSignal | undefined,
  ) {}
}

/** A REQ socket. Dial or listen, then `await req.request(body)`. */
export class SpReqSocket extends SpSocket {
  private readonly resendInterval: number;
  private readonly requestTimeout: number;
  private readonly maxOutstanding: number;
  private readonly ids = new SpIdAllocator();
  private readonly outstanding = new Map<number, Outstanding>();
  /** Requests waiting for a pipe, oldest first. */
  private readonly waiting = new Set<Outstanding>();
  /** Requests each pipe carries (sent, not answered), by pipe id: resent when the pipe closes. */
  private readonly carried = new Map<number, Set<Outstanding>>();
  private ring: SpPipe[] = [];
  private cursor = 0;
  private readonly timeouts = new DeadlineQueue<Outstanding>((r) => this.expire(r), { keepAlive: true });
  private readonly resends = new DeadlineQueue<ResendEntry>((e) => this.resendNow(e.request), { keepAlive: false });
  private counts = { requests: 0, replies: 0, resends: 0, timeouts: 0 };

  constructor(options: SpReqOptions = {}) {
    super('req', options);
    const o = { ...DEFAULT_SP_REQ_OPTIONS, ...stripUndefined(options) };
    this.resendInterval = checkInteger('resendInterval', o.resendInterval, 0, MAX_TIMER_DELAY);
    this.requestTimeout = checkInteger('requestTimeout', o.requestTimeout, 0, MAX_TIMER_DELAY);
    this.maxOutstanding = checkInteger('maxOutstanding', o.maxOutstanding, 1, 10_000_000);
  }

  /**
   * Sends `body` as one request and resolves with the reply body. Rejects with
   * `NANITE_ERR_TIMEOUT`, `NANITE_ERR_ABORTED`, `NANITE_ERR_BUFFER_FULL` (too many outstanding),
   * `NANITE_ERR_INVALID_ARGUMENT` (not bytes, or larger than `maxMessageSize`) or
   * `NANITE_ERR_SHUTTING_DOWN` (socket closed).
   */
  request(body: Uint8Array, options: SpRequestOptions = {}): Promise<Buffer> {
    if (!(body instanceof Uint8Array)) return Promise.reject(invalid('request body must be a Uint8Array (Buffer)'));
    if (body.length + 4 > this.options.maxMessageSize) return Promise.reject(invalid(`request of ${body.length} bytes exceeds maxMessageSize`));
    const timeout = options.timeout ?? this.requestTimeout;
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_TIMER_DELAY) return Promise.reject(invalid(`timeout must be an integer in [0, ${MAX_TIMER_DELAY}] (ms)`));
    if (options.signal !== undefined && !isAbortSignal(options.signal)) return Promise.reject(invalid('signal must be an AbortSignal'));
    if (this.closed) return Promise.reject(new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: 'The SP socket is closed' }));
    if (options.signal?.aborted) return Promise.reject(new NaniteError('NANITE_ERR_ABORTED'));
    if (this.outstanding.size >= this.maxOutstanding) {
      return Promise.reject(new NaniteError('NANITE_ERR_BUFFER_FULL', { message: `${this.maxOutstanding} SP requests are already outstanding` }));
    }
    return new Promise<Buffer>((resolve, reject) => {
      const id = this.ids.allocate((candidate) => this.outstanding.has(candidate));
      const r = new Outstanding(id, encodeId(id), body, resolve, reject, options.signal);
      this.outstanding.set(id, r);
      this.counts.requests++;
      if (timeout > 0) this.timeouts.add(timeout, r);
      if (options.signal) {
        r.onAbort = () => this.fail(r, new NaniteError('NANITE_ERR_ABORTED'));
        options.signal.addEventListener('abort', r.onAbort, { once: true });
      }
      if (this.waiting.size > 0 || !this.send(r)) this.waiting.add(r);
    });
  }

  override stats(): SpReqStats {
    return { ...super.stats(), ...this.counts, outstanding: this.outstanding.size, waiting: this.waiting.size };
  }

  protected onPipeReady(pipe: SpPipe): void {
    this.ring.push(pipe);
    this.carried.set(pipe.id, new Set());
    this.pump();
  }

  protected onPipeClosed(pipe: SpPipe): void {
    this.ring = this.ring.filter((p) => p !== pipe);
    const stranded = this.carried.get(pipe.id);
    this.carried.delete(pipe.id);
    if (!stranded) return;
    // nanomsg and NNG resend at once what the lost pipe carried.
    for (const r of stranded) {
      r.pipe = undefined;
      this.resends.cancel(r.resend);
      if (this.waiting.size > 0 || !this.send(r)) this.waiting.add(r);
    }
  }

  protected onDrain(): void {
    this.pump();
  }

  protected onMessage(pipe: SpPipe, message: Buffer): void {
    const id = leadingId(message);
    if (id < 0) return this.fault('malformed', pipe);
    const r = this.outstanding.get(id);
    if (!r) return this.fault(this.ids.issuedRecently(id) ? 'late' : 'unknown-id', pipe);
    // Ids are sequential: a peer that sees one can guess the next, sent to another peer.
    if (!r.sentOn.includes(pipe)) return this.fault('wrong-pipe', pipe);
    this.counts.replies++;
    this.finish(r);
    r.resolve(message.subarray(4));
  }

  protected onClose(): void {
    const error = new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: 'The SP socket closed before the reply' });
    for (const r of [...this.outstanding.values()]) this.fail(r, error);
    this.timeouts.close();
    this.resends.close();
  }

  /** Sends `r` on the next pipe that can take it; false when none can. */
  private send(r: Outstanding): boolean {
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const pipe = this.ring[(this.cursor + i) % n];
      if (!pipe.send([r.header, r.body])) continue;
      this.cursor = (this.cursor + i + 1) % n;
      if (r.sends++ > 0) this.counts.resends++;
      r.pipe = pipe;
      if (!r.sentOn.includes(pipe)) r.sentOn.push(pipe);
      this.carried.get(pipe.id)?.add(r);
      if (this.resendInterval > 0) this.resends.add(this.resendInterval, r.resend);
      return true;
    }
    return false;
  }

  private pump(): void {
    for (const r of this.waiting) {
      if (!this.send(r)) return;
      this.waiting.delete(r);
    }
  }

  private resendNow(r: Outstanding): void {
    if (!this.outstanding.has(r.id)) return;
    if (r.pipe) this.carried.get(r.pipe.id)?.delete(r);
    r.pipe = undefined;
    if (this.waiting.size > 0 || !this.send(r)) this.waiting.add(r);
  }

  private expire(r: Outstanding): void {
    this.counts.timeouts++;
    // `sent: false` tells the caller the request never left this process: safe to try elsewhere.
    const sent = r.sends > 0;
    const message = sent ? 'No SP reply before the timeout' : 'No SP peer could take the request before the timeout';
    this.fail(r, new NaniteError('NANITE_ERR_TIMEOUT', { message, data: { sent } }));
  }

  private fail(r: Outstanding, error: NaniteError): void {
    if (!this.outstanding.has(r.id)) return;
    this.finish(r);
    r.reject(error);
  }

  private finish(r: Outstanding): void {
    this.outstanding.delete(r.id);
    this.waiting.delete(r);
    if (r.pipe) this.carried.get(r.pipe.id)?.delete(r);
    this.timeouts.cancel(r);
    this.resends.cancel(r.resend);
    if (r.onAbort) r.signal?.removeEventListener('abort', r.onAbort);
  }
}

function invalid(message: string): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message });
}
