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
}

/**
 * The handler's context. The AbortController is created on first access to `signal`: most
 * handlers never look at it, and an AbortController per request would cost more than the rest of
 * the in-process round trip.
 */
export class Job implements RequestContext, DeadlineEntry {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineGroup: object | undefined = undefined;
  /** Links of the agent's list of running jobs. */
  prevJob: Job | undefined = undefined;
  nextJob: Job | undefined = undefined;
  private controller: AbortController | undefined;
  private abortReason: NaniteError | undefined;
  done = false;
  /** The caller already has its answer (an error sent early); the handler's outcome is dropped. */
  replied = false;
  /** The observers' hold on this job (metrics, tracing), when any is configured. */
  scope: JobScope | undefined = undefined;
  /** A trace id made up on first use, when the request carried none. */
  private ownTraceId: string | undefined;

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
    return (this.ownTraceId ??= newTraceId());
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
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
      else if (!this.done && this.deadline !== Infinity) this.host.watchDeadline(this);
    }
    return this.controller.signal;
  }

  /** The caller's upload (`mapper.request(route, payload, { stream })`), read once; undefined without one. */
  get input(): AsyncIterable<unknown> | undefined {
    return this.host.inputOf(this);
  }

  /** Why the job was aborted, if it was. */
  get aborted(): NaniteError | undefined {
    return this.abortReason;
  }

  abort(reason: NaniteError): void {
    if (this.abortReason || this.done) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  progress(key: string, value: unknown): void {
    if (typeof key !== 'string') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'progress key must be a string' });
    if (!this.done && !this.abortReason) this.host.sendProgress(this, key, value);
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
