/** One request being handled by an agent: its context, deadline and cancellation. */
import { NaniteError } from '../errors';
import type { RequestPacket } from '../protocol/packets';
import type { DeadlineEntry } from '../internal/deadline-queue';
import type { MapperRequestOptions, PushOptions } from '../mapper/mapper.options';
import type { RouteMap } from '../actor/route-map.types';
import type { TypedRequestContext } from '../mapper/typed-mapper';
import type { JobScope } from '../observability/observer';
import { newTraceId, traceIdOf } from '../observability/trace-context';
import type { RequestContext } from './request-context';
import { requestDeadline } from './request-deadline';
import { guardAbortListeners } from '../internal/guarded-signal';

/** A {@link Job}'s deadline not read from the clock yet (a request handed over in-process at once). */
export const UNFIXED_DEADLINE = -1;

/** What a job needs from its agent. */
export interface JobHost {
  readonly identity: string;
  sendProgress(job: Job, key: string, value: unknown): void;
  /** The request's upload, when its caller sent one. */
  inputOf(job: Job): AsyncIterable<unknown> | undefined;
  /** Starts enforcing the job's deadline (called when the handler first looks at its signal). */
  watchDeadline(job: Job): void;
  nestedRequest<R>(job: Job, route: string, payload: unknown, options: MapperRequestOptions | undefined): Promise<R>;
  nestedPush(job: Job, route: string, payload: unknown, options: PushOptions | undefined): Promise<void>;
  /** The job was aborted (deadline, cancel, drain): what the handler may be blocked on (its upload) must end too. */
  aborted(job: Job, reason: NaniteError): void;
  /** A listener the handler added to its signal threw (or its promise rejected) when the signal was aborted. */
  listenerFailed(job: Job, err: unknown): void;
}

/**
 * What few jobs use (a signal, a watched deadline, an abort, an early error reply, a made-up trace
 * id): kept off {@link Job} itself, made on the first write of such a field, so a plain request
 * allocates a smaller object. Holds the job's links in the deadline queue too (only a job whose
 * handler looked at its signal is in it).
 */
class JobExtras {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineGroup: object | undefined = undefined;
  controller: AbortController | undefined = undefined;
  abortReason: NaniteError | undefined = undefined;
  replied = false;
  ownTraceId: string | undefined = undefined;
}

/**
 * The handler's context. The AbortController is created on first access to `signal`: most
 * handlers never look at it, and an AbortController per request would cost more than the rest of
 * the in-process round trip. Fields most requests never use live in a {@link JobExtras}.
 */
export class Job implements RequestContext, DeadlineEntry {
  /** Links of the agent's list of running jobs. */
  prevJob: Job | undefined = undefined;
  nextJob: Job | undefined = undefined;
  done = false;
  /** The observers' hold on this job (metrics, tracing), when any is configured. */
  scope: JobScope | undefined = undefined;
  private x: JobExtras | undefined = undefined;

  /** When an unfixed deadline was fixed (epoch ms; 0: it was given, or is not fixed yet). */
  private fixedAt = 0;

  /**
   * `deadline`: epoch ms computed at receipt (see `requestDeadline`), so queued time counts; or
   * {@link UNFIXED_DEADLINE} for a request handed over in-process just after it was made (no clock
   * read yet): fixed from the first time it is needed, see {@link Job.fixDeadline}.
   */
  constructor(
    private readonly host: JobHost,
    readonly packet: RequestPacket,
    readonly settle: () => void,
    private fixedDeadline: number,
  ) {}

  private get extras(): JobExtras {
    return (this.x ??= new JobExtras());
  }

  /** @internal DeadlineEntry (only the deadline queue writes these) */
  get deadlineAt(): number {
    return this.x?.deadlineAt ?? 0;
  }

  set deadlineAt(value: number) {
    if (value !== 0 || this.x) this.extras.deadlineAt = value;
  }

  /** @internal DeadlineEntry */
  get deadlinePrev(): DeadlineEntry | undefined {
    return this.x?.deadlinePrev;
  }

  set deadlinePrev(value: DeadlineEntry | undefined) {
    if (value !== undefined || this.x) this.extras.deadlinePrev = value;
  }

  /** @internal DeadlineEntry */
  get deadlineNext(): DeadlineEntry | undefined {
    return this.x?.deadlineNext;
  }

  set deadlineNext(value: DeadlineEntry | undefined) {
    if (value !== undefined || this.x) this.extras.deadlineNext = value;
  }

  /** @internal DeadlineEntry */
  get deadlineGroup(): object | undefined {
    return this.x?.deadlineGroup;
  }

  set deadlineGroup(value: object | undefined) {
    if (value !== undefined || this.x) this.extras.deadlineGroup = value;
  }

  /** The caller already has its answer (an error sent early); the handler's outcome is dropped. */
  get replied(): boolean {
    return this.x?.replied ?? false;
  }

  set replied(value: boolean) {
    if (value || this.x) this.extras.replied = value;
  }

  /** Epoch ms after which the request is not worth finishing (`Infinity`: none). */
  get deadline(): number {
    if (this.fixedDeadline === UNFIXED_DEADLINE) this.fixDeadline();
    return this.fixedDeadline;
  }

  /**
   * Fixes an {@link UNFIXED_DEADLINE} from now (one clock read) and returns that reading; returns
   * the reading it was fixed from earlier, or 0 for a deadline given at receipt.
   */
  fixDeadline(): number {
    if (this.fixedDeadline === UNFIXED_DEADLINE) {
      this.fixedAt = Date.now();
      this.fixedDeadline = requestDeadline(this.packet, this.fixedAt);
    }
    return this.fixedAt;
  }

  get route(): string {
    return this.packet.route;
  }

  get requestId(): string {
    return `${this.packet.replyTo}#${this.packet.id}`;
  }

  /** The caller's trace id, else the W3C trace id of the call chain (made up here for an outermost request). */
  get traceId(): string {
    if (this.packet.traceId !== undefined) return this.packet.traceId;
    const parent = this.traceparent;
    if (parent !== undefined) return traceIdOf(parent);
    return (this.extras.ownTraceId ??= newTraceId());
  }

  /** The W3C trace context nested calls carry: the handler's span (tracing on), else the one the request came with. */
  get traceparent(): string | undefined {
    return this.scope?.traceparent ?? this.packet.traceparent;
  }

  get agent(): string {
    return this.host.identity;
  }

  get hops(): number {
    return this.packet.hops;
  }

  /**
   * Created on first access, and only then is the deadline enforced: a handler that never looks at
   * its signal cannot be interrupted anyway, and the caller's mapper times the request out itself.
   */
  get signal(): AbortSignal {
    const x = this.extras;
    if (!x.controller) {
      x.controller = new AbortController();
      // Aborted from a timer or a transport callback: a listener's throw must not be the process's death.
      guardAbortListeners(x.controller.signal, (err) => this.host.listenerFailed(this, err));
      if (x.abortReason) x.controller.abort(x.abortReason);
      else if (!this.done && this.deadline !== Infinity) this.host.watchDeadline(this);
    }
    return x.controller.signal;
  }

  /** The caller's upload (`mapper.request(route, payload, { stream })`), read once; undefined without one. */
  get input(): AsyncIterable<unknown> | undefined {
    return this.host.inputOf(this);
  }

  /** Why the job was aborted, if it was. */
  get aborted(): NaniteError | undefined {
    return this.x?.abortReason;
  }

  abort(reason: NaniteError): void {
    if (this.x?.abortReason || this.done) return;
    const x = this.extras;
    x.abortReason = reason;
    x.controller?.abort(reason);
    this.host.aborted(this, reason);
  }

  progress(key: string, value: unknown): void {
    if (typeof key !== 'string') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'progress key must be a string' });
    if (!this.done && !this.x?.abortReason) this.host.sendProgress(this, key, value);
  }

  request<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<R> {
    return this.host.nestedRequest<R>(this, route, payload, options);
  }

  push(route: string, payload?: unknown, options?: PushOptions): Promise<void> {
    return this.host.nestedPush(this, route, payload, options);
  }

  typed<M extends RouteMap>(): TypedRequestContext<M> {
    return this as unknown as TypedRequestContext<M>;
  }
}
