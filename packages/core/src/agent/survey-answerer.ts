/**
 * How an agent answers surveys (mapper.survey): an agent serving the surveyed route (and carrying
 * every tag asked for) runs the route's handler with the survey's payload and deadline and sends
 * one answer to the surveyor; every other agent stays silent.
 *
 * Surveys do not take request slots (a discovery question must reach a busy agent too), so they are
 * bounded on their own: at most `maxRunning` handlers answer surveys at once; a survey arriving
 * beyond that is dropped unanswered and counted (one log line per burst). A handler still running at
 * the survey's deadline is aborted through its signal and answers nobody (the surveyor has stopped
 * listening).
 */
import type { ActorRoute } from '../actor/actor.types';
import { NaniteError, toNaniteError } from '../errors';
import { BurstLog } from '../internal/burst-log';
import type { Logger } from '../internal/logger';
import type { MapperRequestOptions, PushOptions } from '../mapper/mapper.options';
import type { AnswerPacket, RequestPacket, SurveyPacket } from '../protocol/packets';
import { isPayloadError } from '../protocol/wire-safety';
import type { AgentLink } from '../transport/transport';
import { Job, type JobHost } from './job';
import type { NestedCaller } from './nested-caller';
import { pendingOutcome } from '../internal/handler-outcome';
import { requestDeadline } from './request-deadline';
import { closeSource, isStreamSource } from './stream-source';

/** Default of {@link SurveyAnswererOptions.maxRunning}. */
export const DEFAULT_MAX_SURVEYS = 16;

/** What a {@link SurveyAnswerer} needs from its agent. */
export interface SurveyAnswererOptions {
  identity: string;
  tags: readonly string[];
  logger: Logger;
  handlers: ReadonlyMap<string, ActorRoute>;
  link: () => AgentLink | undefined;
  nested: NestedCaller;
  /** Survey handlers running at once; more surveys are dropped unanswered. */
  maxRunning: number;
  /** An abort listener a handler added to its signal threw (see guarded-signal.ts). */
  listenerFailed?: (route: string, err: unknown) => void;
}

/** Runs survey handlers and sends their answers. Owns their deadline timers; `close()` clears them. */
export class SurveyAnswerer implements JobHost {
  readonly identity: string;
  /** Surveys answered (with a result or an error). */
  answered = 0;
  /** Surveys dropped unanswered: too many at once, or the answer could not be sent. */
  dropped = 0;
  private readonly timers = new Map<Job, NodeJS.Timeout>();
  private readonly overflow: BurstLog;
  private readonly lost: BurstLog;
  private closed = false;

  constructor(private readonly o: SurveyAnswererOptions) {
    this.identity = o.identity;
    this.overflow = new BurstLog({
      logger: o.logger,
      bindings: { agent: o.identity },
      message: `more than ${o.maxRunning} surveys at once: dropped unanswered (further ones in the next 10 s are only counted)`,
    });
    this.lost = new BurstLog({ logger: o.logger, bindings: { agent: o.identity }, message: 'could not send a survey answer (further ones in the next 10 s are only counted)' });
  }

  /** Survey handlers running now. */
  get running(): number {
    return this.timers.size;
  }

  /** A (validated) survey off the wire: answer it, or stay silent when it is not for this agent. */
  accept(packet: SurveyPacket): void {
    if (this.closed) return;
    const route = this.o.handlers.get(packet.route);
    if (!route || !(packet.tags ?? []).every((t) => this.o.tags.includes(t))) return;
    const now = Date.now();
    const deadline = requestDeadline(packet, now);
    if (deadline <= now) return;
    if (this.timers.size >= this.o.maxRunning) {
      this.dropped++;
      this.overflow.record({ route: packet.route, surveyor: packet.replyTo });
      return;
    }
    const request: RequestPacket = { v: 1, type: 'request', id: 0, route: packet.route, payload: packet.payload, replyTo: packet.replyTo, timeout: packet.timeout, hops: 0, traceId: `survey-${packet.id}` };
    const job = new Job(this, request, noop, deadline);
    const timer = setTimeout(() => {
      // The slot frees at the deadline even if the handler ignores its signal: its answer would reach nobody.
      this.timers.delete(job);
      job.abort(new NaniteError('NANITE_ERR_TIMEOUT', { message: `the survey of ${packet.route} ended` }));
    }, Math.max(0, deadline - now));
    // The surveyor's process keeps itself alive while it listens; an agent's survey timer must not.
    timer.unref();
    this.timers.set(job, timer);
    let out: unknown;
    let pending: PromiseLike<unknown> | undefined;
    try {
      out = route.handler(packet.payload, job);
      pending = pendingOutcome(out);
    } catch (err) {
      this.finish(job, packet, false, err);
      return;
    }
    if (pending !== undefined) {
      pending.then(
        (value) => this.finish(job, packet, true, value),
        (err: unknown) => this.finish(job, packet, false, err),
      );
    } else this.finish(job, packet, true, out);
  }

  /** Aborts the survey handlers still running (they answer nobody) and clears their timers. Idempotent. */
  close(): void {
    this.closed = true;
    for (const [job, timer] of this.timers) {
      clearTimeout(timer);
      job.abort(new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Agent ${this.identity} is stopping` }));
    }
    this.timers.clear();
  }

  private finish(job: Job, packet: SurveyPacket, ok: boolean, value: unknown): void {
    job.done = true;
    const timer = this.timers.get(job);
    if (timer === undefined) return; // past its deadline, or closed meanwhile
    clearTimeout(timer);
    this.timers.delete(job);
    let streamed = false;
    try {
      streamed = ok && isStreamSource(value);
    } catch (err) {
      ok = false;
      value = err;
    }
    if (streamed) {
      // An answer is one value: a handler that streams is stopped (a file stream closed), and says so.
      closeSource(value, undefined, undefined);
      ok = false;
      value = new NaniteError('NANITE_ERR_STREAM', { message: `${packet.route} streams its result: a survey takes one value per agent (use mapper.stream() on one agent)`, data: { route: packet.route } });
    }
    // Past the deadline (or aborted): the surveyor no longer listens.
    if (job.aborted) return;
    const answer: AnswerPacket = ok
      ? { v: 1, type: 'answer', id: packet.id, from: this.identity, ok: true, result: value }
      : { v: 1, type: 'answer', id: packet.id, from: this.identity, ok: false, error: toNaniteError(value).toJSON() };
    let err = this.send(packet.replyTo, answer);
    if (isPayloadError(err)) {
      err = this.send(packet.replyTo, { v: 1, type: 'answer', id: packet.id, from: this.identity, ok: false, error: err.toJSON() });
    }
    if (err === undefined) this.answered++;
    else {
      this.dropped++;
      this.lost.record({ err, route: packet.route, surveyor: packet.replyTo });
    }
  }

  private send(mapper: string, answer: AnswerPacket): unknown {
    try {
      this.o.link()?.reply(mapper, answer);
      return undefined;
    } catch (err) {
      return err;
    }
  }

  /** @internal JobHost: surveys have no progress channel; values are ignored. */
  sendProgress(): void {}

  /** @internal JobHost: the deadline timer runs from the start. */
  watchDeadline(): void {}

  /** @internal JobHost: a survey carries no upload stream. */
  inputOf(): undefined {
    return undefined;
  }

  /** @internal JobHost */
  nestedRequest<R>(job: Job, route: string, payload: unknown, options: MapperRequestOptions | undefined): Promise<R> {
    return this.o.nested.request<R>(job, route, payload, options);
  }

  /** @internal JobHost: a survey carries no upload, nothing else waits on the job. */
  aborted(): void {}

  /** @internal JobHost */
  listenerFailed(job: Job, err: unknown): void {
    this.o.listenerFailed?.(job.route, err);
  }

  /** @internal JobHost */
  nestedPush(job: Job, route: string, payload: unknown, options: PushOptions | undefined): Promise<void> {
    return this.o.nested.push(job, route, payload, options);
  }
}

function noop(): void {}
