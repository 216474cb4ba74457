/**
 * The agent's request intake and execution: deadlines from receipt, the bounded waiting queue,
 * at most `concurrency` handlers at once, outcomes turned into replies, shedding on stop.
 */
import type { ActorRoute } from '../actor/actor.types';
import { NaniteError, toNaniteError } from '../errors';
import { BurstLog } from '../internal/burst-log';
import { DeadlineQueue } from '../internal/deadline-queue';
import type { Logger } from '../internal/logger';
import type { MapperRequestOptions, PushOptions } from '../mapper/mapper.options';
import { startJobScope } from '../observability/job-scope';
import { requestLogIds } from '../observability/trace-context';
import type { AgentObservation } from '../observability/observer';
import type { RequestPacket } from '../protocol/packets';
import type { AgentLink, Settle } from '../transport/transport';
import { EarlyCancels } from './early-cancels';
import { Job, UNFIXED_DEADLINE, type JobHost } from './job';
import { JobList } from './job-list';
import { JobQueue } from './job-queue';
import type { NestedCaller } from './nested-caller';
import { Replier } from './replier';
import { requestDeadline } from './request-deadline';
import { StreamPumps } from './stream-pumps';
import { Uploads } from './uploads';
import type { ChunkPacket, EndPacket } from '../protocol/stream-packets';
import { pendingOutcome } from '../internal/handler-outcome';
import { isStreamSource } from './stream-source';

/** What a {@link JobRunner} needs from its agent. */
export interface JobRunnerOptions {
  identity: string;
  concurrency: number;
  maxQueued: number;
  logger: Logger;
  handlers: ReadonlyMap<string, ActorRoute>;
  link: () => AgentLink | undefined;
  nested: NestedCaller;
  /** Metrics / tracing hooks, when configured. */
  observation?: AgentObservation | undefined;
  /** The agent's status now, piggybacked on every result (see {@link Replier}). */
  status?: () => number;
  /** An abort listener a handler added to its signal threw (see guarded-signal.ts). */
  listenerFailed?: (route: string, err: unknown) => void;
  /** Ms a result stream waits for its reader's credit before it is aborted (0: for ever). */
  streamStallTimeout?: number;
}

/** Owns the deadline timers of running jobs; `close()` clears them. */
export class JobRunner implements JobHost {
  readonly identity: string;
  /** Handlers running now. */
  running = 0;
  /** Requests and pushes whose handler completed. */
  handled = 0;
  /** Of those, how many threw, were aborted, or produced a result that could not cross the wire. */
  failed = 0;
  /** Requests and pushes dropped unrun because their deadline passed while they were queued. */
  expired = 0;
  /** Queued, not started work refused (requests) or dropped (pushes) because the agent was stopping. */
  shed = 0;
  /**
   * Requests and pushes cancelled before they started: while they waited for a slot here, or
   * before they arrived (see early-cancels.ts). Requests are answered `NANITE_ERR_ABORTED`.
   */
  cancelledBeforeStart = 0;
  /** Cancels that arrived before their request, on links whose cancels may overtake requests. */
  readonly earlyCancels: EarlyCancels;
  private readonly o: JobRunnerOptions;
  // Unref'd: aborting a handler at its deadline is housekeeping; the caller's mapper keeps its own process alive.
  private readonly deadlines = new DeadlineQueue<Job>(
    (job) => job.abort(new NaniteError('NANITE_ERR_TIMEOUT', { message: `${job.route} exceeded its ${job.packet.timeout} ms deadline` })),
    { keepAlive: false },
  );
  private readonly jobs = new JobList();
  private readonly queue: JobQueue;
  private readonly replier: Replier;
  private readonly idleWaiters: Array<() => void> = [];
  /** Once per route and message (bounded): a flood of failing pushes must not flood the log; stats.failed counts them all. */
  private readonly pushFaults: BurstLog;
  private draining = false;
  private readonly streams: StreamPumps;
  private readonly uploads: Uploads;

  constructor(options: JobRunnerOptions) {
    this.o = options;
    this.identity = options.identity;
    this.queue = new JobQueue(options.maxQueued, options.logger, { agent: options.identity });
    this.earlyCancels = new EarlyCancels(options.logger, { agent: options.identity });
    this.replier = new Replier(options.identity, options.logger, options.link, options.status);
    this.uploads = new Uploads(options.identity, options.link);
    this.streams = new StreamPumps({ identity: options.identity, link: options.link, finish: (job, ok, value) => this.finish(job, ok, value), stallTimeout: options.streamStallTimeout });
    this.pushFaults = new BurstLog({ logger: options.logger, quietMs: Infinity, windowPerKey: true, maxKeys: 100, message: 'push handler failed' });
  }

  /** Requests waiting for a free slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Requests refused and pushes dropped because the queue was full. */
  get overloaded(): number {
    return this.queue.overloaded;
  }

  /** A request or push off the wire: run it, queue it, or refuse it at once. `now`: the time of receipt, when the caller already read the clock. */
  accept(packet: RequestPacket, settle: Settle, now = Date.now()): void {
    if (this.earlyCancels.take(packet.replyTo, packet.id, now)) {
      this.notStarted(packet, settle);
      return;
    }
    const deadline = requestDeadline(packet, now);
    if (deadline <= now) this.expire(packet, settle);
    else if (this.running < this.o.concurrency) this.run(packet, settle, deadline);
    else if (this.draining) this.refuseWhileStopping([{ packet, settle }], false);
    else if (!this.queue.push({ packet, settle, deadline, receivedAt: now })) {
      this.replier.error(packet, new NaniteError('NANITE_ERR_OVERLOADED', { message: `Agent ${this.identity} has ${this.queue.max} requests waiting already`, data: { agent: this.identity, maxQueued: this.queue.max, notStarted: true } }));
      settle();
    }
  }

  /**
   * A request handed over in-process (transport/memory/local-calls.ts). `receivedAt` undefined and
   * no `sentAt`: the mapper made it just now and read no clock (a packet with a `sentAt` may have
   * waited: it is checked as off a wire). When it can start at once, its deadline is fixed only
   * once something needs it — the handler goes asynchronous, looks at its signal or deadline, or
   * calls out — so a handler that answers synchronously (a function call its caller sits in) costs
   * no clock read. Returns the time the clock was read for it (0: not read), which the mapper's
   * own deadline for the request then starts from.
   */
  acceptLocal(packet: RequestPacket, settle: Settle, receivedAt: number | undefined): number {
    if (receivedAt === undefined && packet.sentAt === undefined && this.running < this.o.concurrency) return this.run(packet, settle, UNFIXED_DEADLINE);
    const now = receivedAt ?? Date.now();
    this.accept(packet, settle, now);
    return receivedAt === undefined ? now : 0;
  }

  /**
   * The caller gave up: aborts its running handler, or takes it out of the waiting queue (it never
   * starts). A cancel for a request not here yet is remembered only when the link says cancels may
   * overtake requests (early-cancels.ts): in-process request ids are sequential, and a remembered
   * cancel from anyone on the bus would stop a later honest request.
   */
  cancel(replyTo: string, id: number): void {
    // Cancels are rare: a scan of the (at most `concurrency`) running jobs beats a per-request index.
    let running = false;
    for (const job of this.jobs) {
      if (job.packet.id === id && job.packet.replyTo === replyTo) {
        running = true;
        job.abort(new NaniteError('NANITE_ERR_ABORTED', { message: 'The caller cancelled the request' }));
      }
    }
    if (running) return;
    const waiting = this.queue.remove(replyTo, id);
    if (waiting) {
      this.notStarted(waiting.packet, waiting.settle);
      this.checkIdle();
    } else if (this.o.link()?.cancelsMayOvertake === true) this.earlyCancels.remember(replyTo, id);
  }

  /** A request or push whose caller cancelled it before it started: answered (requests), never run. */
  private notStarted(packet: RequestPacket, settle: Settle): void {
    this.cancelledBeforeStart++;
    if (packet.type === 'request') this.replier.error(packet, new NaniteError('NANITE_ERR_ABORTED', { message: 'The caller cancelled the request before it started', data: { notStarted: true } }));
    settle();
  }

  /** The caller of a result stream made room for `n` more chunks. */
  credit(replyTo: string, id: number, n: number): void {
    const job = this.find(replyTo, id);
    if (job) this.streams.grant(job, n);
  }

  /** A chunk of a running request's upload. */
  chunk(c: ChunkPacket): void {
    this.uploads.chunk(this.find(c.from, c.id), c);
  }

  /** The end of a running request's upload. */
  end(e: EndPacket): void {
    this.uploads.end(this.find(e.from, e.id), e);
  }

  /** Chunks and ends of uploads that had no running request (late or forged). */
  get strayUploads(): number {
    return this.uploads.stray;
  }

  // Stream packets are few per request: a scan of the (at most `concurrency`) running jobs beats an index.
  private find(replyTo: string, id: number): Job | undefined {
    for (const job of this.jobs) if (job.packet.id === id && job.packet.replyTo === replyTo) return job;
    return undefined;
  }

  /**
   * First step of a stop: queued, not started work is answered `NANITE_ERR_SHUTTING_DOWN`
   * (requests) or dropped (pushes) in one pass, and so is work arriving later that would wait.
   */
  beginDrain(): void {
    this.draining = true;
    this.refuseWhileStopping(this.queue.takeAll(), true);
    this.checkIdle();
  }

  /** Resolves when no handler runs, or after `timeout` ms once the stragglers were aborted. */
  whenIdle(timeout: number): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Not unref'd: stop() awaits it, and it is the only thing bounding that wait.
      const timer = setTimeout(() => {
        const reason = new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Agent ${this.identity} stopped before the handler finished` });
        for (const job of [...this.jobs]) job.abort(reason);
        // Aborted handlers get one more turn to settle; whatever is left is abandoned with an error reply.
        setImmediate(resolve);
      }, timeout);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Clears the deadline timers. Idempotent. */
  close(): void {
    this.deadlines.close();
  }

  /** `summary`: log one line for the batch (the drain's pass); stragglers arriving later are only counted. */
  private refuseWhileStopping(items: ReadonlyArray<{ packet: RequestPacket; settle: Settle }>, summary: boolean): void {
    if (items.length === 0) return;
    let requests = 0;
    for (const { packet, settle } of items) {
      if (packet.type === 'request') {
        requests++;
        this.replier.error(packet, new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Agent ${this.identity} is stopping; the request did not start`, data: { agent: this.identity, notStarted: true } }));
      }
      settle();
    }
    this.shed += items.length;
    if (summary) this.o.logger.warn({ agent: this.identity, requests, pushes: items.length - requests }, 'stopping: refused queued requests (NANITE_ERR_SHUTTING_DOWN) and dropped queued pushes');
  }

  private expire(packet: RequestPacket, settle: Settle): void {
    this.expired++;
    this.replier.error(packet, new NaniteError('NANITE_ERR_TIMEOUT', { message: `${packet.route} was not started: its ${packet.timeout} ms deadline passed while it was queued`, data: { route: packet.route, expired: true } }));
    settle();
  }

  /** Returns the time an {@link UNFIXED_DEADLINE} was fixed from (0: it was not). */
  private run(packet: RequestPacket, settle: Settle, deadline: number, receivedAt?: number): number {
    const route = this.o.handlers.get(packet.route);
    if (!route) {
      this.replier.error(packet, new NaniteError('NANITE_ERR_UNKNOWN_ROUTE', { message: `Agent ${this.identity} does not serve ${packet.route}`, data: { route: packet.route } }));
      settle();
      return 0;
    }
    // A stream settles its delivery when it starts (stream-pumps.ts), then again when it ends.
    const job = new Job(this, packet, packet.stream === undefined && packet.upload !== true ? settle : once(settle), deadline);
    this.running++;
    this.jobs.add(job);
    if (this.o.observation) job.scope = startJobScope(this.o.observation, job, receivedAt);
    // An upload's chunks arrive through the same delivery window as requests: free its slot now.
    if (packet.upload === true) job.settle();
    let out: unknown;
    let pending: PromiseLike<unknown> | undefined;
    try {
      out = job.scope?.run ? job.scope.run(() => route.handler(packet.payload, job)) : route.handler(packet.payload, job);
      pending = pendingOutcome(out);
    } catch (err) {
      this.finish(job, false, err);
      return 0;
    }
    if (pending !== undefined) {
      pending.then(
        (value) => this.finish(job, true, value),
        (err: unknown) => this.finish(job, false, err),
      );
      // The handler went asynchronous: time now passes, so its deadline runs from here (at the latest).
      return job.fixDeadline();
    }
    this.finish(job, true, out);
    return 0;
  }

  private finish(job: Job, ok: boolean, value: unknown): void {
    let streaming: boolean;
    try {
      streaming = job.packet.stream !== undefined || isStreamSource(value);
    } catch (err) {
      // The result's Symbol.asyncIterator getter threw: the handler's error.
      streaming = false;
      ok = false;
      value = err;
    }
    if (streaming && this.streams.take(job, ok, value)) return;
    job.done = true;
    if (job.packet.upload === true) this.uploads.release(job);
    if (job.deadlineGroup) this.deadlines.cancel(job);
    const packet = job.packet;
    this.jobs.remove(job);
    this.running--;
    this.handled++;
    const aborted = job.aborted;
    let failed = !ok || aborted !== undefined;
    let error: NaniteError | undefined = aborted;
    if (job.replied) {
      // Already answered (a progress value could not cross the wire).
    } else if (aborted) this.replier.error(packet, aborted);
    else if (ok) {
      error = this.replier.result(packet, value);
      failed = error !== undefined;
    } else {
      error = toNaniteError(value);
      if (packet.type === 'push') this.pushFailed(packet, error);
      this.replier.error(packet, error);
    }
    if (failed) this.failed++;
    job.scope?.end(error ?? (failed ? toNaniteError(value) : undefined));
    job.settle();
    this.next();
  }

  private pushFailed(packet: RequestPacket, error: NaniteError): void {
    this.pushFaults.record({ err: error, route: packet.route, ...requestLogIds(packet) }, `${packet.route}\u0000${error.message}`);
  }

  private next(): void {
    // Nothing waits (the common case): no dequeue attempt, no idle check unless someone waits for idle.
    if (this.queue.length === 0) {
      if (this.idleWaiters.length !== 0) this.checkIdle();
      return;
    }
    while (this.running < this.o.concurrency) {
      const w = this.queue.shift();
      if (!w) break;
      if (w.deadline !== Infinity && w.deadline <= Date.now()) this.expire(w.packet, w.settle);
      else this.run(w.packet, w.settle, w.deadline, w.receivedAt);
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.running === 0 && this.queue.length === 0 && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** @internal JobHost */
  watchDeadline(job: Job): void {
    // Keyed by the time left when the handler first looked, so a queue group stays in deadline order.
    this.deadlines.add(Math.max(0, Math.ceil(job.deadline - Date.now())), job);
  }

  /** @internal JobHost */
  inputOf(job: Job): AsyncIterable<unknown> | undefined {
    return this.uploads.readerFor(job);
  }

  /** @internal JobHost */
  sendProgress(job: Job, key: string, value: unknown): void {
    const err = this.replier.progress(job.packet, key, value);
    if (!err) return;
    // The caller learns at once; the handler learns through its signal, and its outcome is dropped.
    this.replier.error(job.packet, err);
    job.replied = true;
    job.abort(err);
  }

  /** @internal JobHost */
  nestedRequest<R>(job: Job, route: string, payload: unknown, options: MapperRequestOptions | undefined): Promise<R> {
    return this.o.nested.request<R>(job, route, payload, options);
  }

  /** @internal JobHost: a handler waiting for its upload's next chunk learns of the abort (else it waits, and holds its slot, for good). */
  aborted(job: Job, reason: NaniteError): void {
    this.uploads.abort(job, reason);
  }

  /** @internal JobHost */
  listenerFailed(job: Job, err: unknown): void {
    this.o.listenerFailed?.(job.route, err);
  }

  /** @internal JobHost */
  nestedPush(job: Job, route: string, payload: unknown, options: PushOptions | undefined): Promise<void> {
    return this.o.nested.push(job, route, payload, options);
  }
}

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}
