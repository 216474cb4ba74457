/**
 * The agent: hosts actors, heartbeats its status to every mapper, runs requests.
 */
import { actorRoutes, type ActorLike } from '../actor/actor-routes';
import type { ActorRoute } from '../actor/actor.types';
import { NaniteError, toNaniteError } from '../errors';
import { DeadlineQueue } from '../internal/deadline-queue';
import { generateIdentity } from '../internal/ids';
import { defaultLogger, type Logger } from '../internal/logger';
import { MalformedCounter } from '../internal/malformed-counter';
import type { MapperRequestOptions, PushOptions } from '../mapper/mapper.options';
import { decodePacket } from '../protocol/decode';
import type { RequestPacket } from '../protocol/packets';
import { createTransport } from '../transport/create-transport';
import type { AgentLink, Settle, Transport } from '../transport/transport';
import type { AgentOptions } from './agent.options';
import { Job, type JobHost } from './job';
import { JobList } from './job-list';
import { NestedCaller } from './nested-caller';
import { defaultStatus } from './status';
import { Heartbeat } from './heartbeat';

/** Defaults of {@link AgentOptions}. */
export const DEFAULT_AGENT_OPTIONS = {
  pingInterval: 5_000,
  concurrency: 64,
  drainTimeout: 10_000,
} as const;

type AgentState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped';

/** Counters an agent keeps. */
export interface AgentStats {
  /** Requests and pushes whose handler completed. */
  handled: number;
  /** Of those, how many threw or were aborted. */
  failed: number;
  /** Packets dropped because they failed validation. */
  malformed: number;
}

/**
 * An agent hosts actors and serves their routes to mappers.
 *
 * ```ts
 * const agent = new Agent({ transport: 'memory://demo', actors: [new Foo()], tags: ['eu'] });
 * await agent.start();   // Register, then Ping every pingInterval
 * await agent.stop();    // stop taking work, finish in-flight handlers, UnRegister, close
 * ```
 */
export class Agent implements JobHost {
  readonly identity: string;
  readonly tags: readonly string[];
  readonly concurrency: number;
  readonly pingInterval: number;

  private readonly handlers = new Map<string, ActorRoute>();
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly drainTimeout: number;
  private readonly logger: Logger;
  // Unref'd: aborting a handler at its deadline is housekeeping; the caller's mapper keeps its own process alive.
  private readonly deadlines = new DeadlineQueue<Job>(
    (job) => job.abort(new NaniteError('NANITE_ERR_TIMEOUT', { message: `${job.route} exceeded its ${job.packet.timeout} ms deadline` })),
    { keepAlive: false },
  );
  private readonly jobs = new JobList();
  private readonly waiting: Array<{ packet: RequestPacket; settle: Settle }> = [];
  private readonly malformed: MalformedCounter;
  private readonly idleWaiters: Array<() => void> = [];
  private link: AgentLink | undefined;
  private readonly heartbeat: Heartbeat;
  private state: AgentState = 'idle';
  private running = 0;
  private handled = 0;
  private failed = 0;
  private readonly nested: NestedCaller;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: AgentOptions) {
    this.identity = options.identity ?? generateIdentity('agent');
    this.tags = [...(options.tags ?? [])];
    this.concurrency = positiveInt('concurrency', options.concurrency ?? DEFAULT_AGENT_OPTIONS.concurrency);
    this.pingInterval = positiveInt('pingInterval', options.pingInterval ?? DEFAULT_AGENT_OPTIONS.pingInterval);
    this.drainTimeout = options.drainTimeout ?? DEFAULT_AGENT_OPTIONS.drainTimeout;
    this.logger = options.logger ?? defaultLogger('nanite-agent');
    this.ownsTransport = typeof options.transport === 'string';
    this.transport = typeof options.transport === 'string' ? createTransport(options.transport, { logger: this.logger }) : options.transport;
    this.malformed = new MalformedCounter(this.logger, { agent: this.identity });
    this.heartbeat = new Heartbeat({
      identity: this.identity,
      tags: this.tags,
      concurrency: this.concurrency,
      pingInterval: this.pingInterval,
      status: options.status ?? defaultStatus,
      logger: this.logger,
      link: () => this.link,
      routes: () => [...this.handlers.values()].map((r) => ({ route: r.route, idempotent: r.idempotent })),
      load: () => ({ inFlight: this.running, queued: this.waiting.length }),
    });
    this.nested = new NestedCaller(this.transport, { logger: this.logger, ...options.mapper }, () => this.state === 'running' || this.state === 'draining', this.identity);
    for (const actor of options.actors ?? []) this.addActor(actor);
  }

  /** Adds an actor's routes. After `start()`, the agent re-registers so mappers learn them. */
  addActor(actor: ActorLike): this {
    const routes = actorRoutes(actor);
    for (const r of routes) {
      if (this.handlers.has(r.route)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Route ${r.route} is served twice on agent ${this.identity}` });
    }
    for (const r of routes) this.handlers.set(r.route, r);
    this.link?.addRoutes?.(routes.map((r) => r.route)).catch((err: unknown) => this.logger.warn({ err, agent: this.identity }, 'could not consume the parked requests of the added routes'));
    if (this.state === 'running') this.register();
    return this;
  }

  /** The routes this agent serves. */
  routes(): string[] {
    return [...this.handlers.keys()];
  }

  /** Counters since start. */
  get stats(): AgentStats {
    return { handled: this.handled, failed: this.failed, malformed: this.malformed.count };
  }

  /** Handlers running now. */
  get inFlight(): number {
    return this.running;
  }

  /** True between `start()` and `stop()`. */
  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Connects, registers with every mapper and starts heartbeating. */
  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Agent ${this.identity} was already started` }));
    this.state = 'starting';
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    try {
      await this.transport.connect();
      this.link = await this.transport.openAgent(
        this.identity,
        {
          onPacket: (packet, settle) => this.onPacket(packet, settle),
          onMalformed: (reason) => this.malformed.record(reason),
          onReconnect: () => this.register(),
        },
        { prefetch: this.concurrency, routes: this.routes() },
      );
    } catch (err) {
      this.state = 'stopped';
      if (this.ownsTransport) await this.transport.close();
      throw err;
    }
    // stop() was called while we were connecting: it waits for us, then drains what we opened.
    if (this.stopping) return;
    this.state = 'running';
    this.heartbeat.start();
  }

  /**
   * Graceful stop, in order: stop taking work, let in-flight handlers finish (aborting them after
   * `drainTimeout`), UnRegister, close the link and (if owned) the transport. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    // Let a start in progress finish (or fail) first, so nothing it opens outlives the stop.
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    if (this.state === 'idle' || this.state === 'stopped') {
      if (this.state === 'idle' && this.ownsTransport) await this.transport.close();
      this.state = 'stopped';
      return;
    }
    this.state = 'draining';
    const link = this.link;
    await link?.pause();
    await this.whenIdle(this.drainTimeout);
    this.heartbeat.stop();
    this.heartbeat.unregister();
    await this.nested.close();
    this.deadlines.close();
    await link?.close();
    if (this.ownsTransport) await this.transport.close();
    this.state = 'stopped';
  }

  private whenIdle(timeout: number): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
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

  private register(): void {
    if (this.state === 'running') this.heartbeat.register();
  }

  private onPacket(raw: unknown, settle: Settle): void {
    const decoded = decodePacket(raw);
    if (!decoded.ok) {
      this.malformed.record(decoded.reason);
      settle();
      return;
    }
    const packet = decoded.packet;
    switch (packet.type) {
      case 'request':
      case 'push':
        this.accept(packet, settle);
        return;
      case 'advertise':
        this.register();
        settle();
        return;
      case 'cancel':
        this.findJob(packet.replyTo, packet.id)?.abort(new NaniteError('NANITE_ERR_ABORTED', { message: 'The caller cancelled the request' }));
        settle();
        return;
      default:
        this.malformed.record(`agent received a ${packet.type} packet`);
        settle();
    }
  }

  private accept(packet: RequestPacket, settle: Settle): void {
    if (this.running >= this.concurrency) {
      this.waiting.push({ packet, settle });
      return;
    }
    this.run(packet, settle);
  }

  private run(packet: RequestPacket, settle: Settle): void {
    const route = this.handlers.get(packet.route);
    if (!route) {
      this.reply(packet, false, new NaniteError('NANITE_ERR_UNKNOWN_ROUTE', { message: `Agent ${this.identity} does not serve ${packet.route}`, data: { route: packet.route } }));
      settle();
      return;
    }
    const job = new Job(this, packet, settle, Date.now());
    this.running++;
    this.jobs.add(job);
    let out: unknown;
    try {
      out = route.handler(packet.payload, job);
    } catch (err) {
      this.finish(job, false, err);
      return;
    }
    if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
      (out as PromiseLike<unknown>).then(
        (value) => this.finish(job, true, value),
        (err: unknown) => this.finish(job, false, err),
      );
    } else {
      this.finish(job, true, out);
    }
  }

  private finish(job: Job, ok: boolean, value: unknown): void {
    job.done = true;
    if (job.deadlineGroup) this.deadlines.cancel(job);
    const packet = job.packet;
    this.jobs.remove(job);
    this.running--;
    this.handled++;
    const aborted = job.aborted;
    if (!ok || aborted) this.failed++;
    if (aborted) this.reply(packet, false, aborted);
    else if (ok) this.reply(packet, true, value);
    else {
      const error = toNaniteError(value);
      if (packet.type === 'push') this.logger.warn({ err: value, route: packet.route, traceId: job.traceId }, 'push handler failed');
      this.reply(packet, false, error);
    }
    job.settle();
    this.next();
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const { packet, settle } = this.waiting.shift()!;
      this.run(packet, settle);
    }
    if (this.running === 0 && this.waiting.length === 0 && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private reply(packet: RequestPacket, ok: boolean, value: unknown): void {
    if (packet.type === 'push' || !this.link) return;
    try {
      if (ok) this.link.reply(packet.replyTo, { v: 1, type: 'result', id: packet.id, from: this.identity, ok: true, result: value });
      else this.link.reply(packet.replyTo, { v: 1, type: 'result', id: packet.id, from: this.identity, ok: false, error: (value as NaniteError).toJSON() });
    } catch (err) {
      this.logger.error({ err, route: packet.route, requestId: `${packet.replyTo}#${packet.id}` }, 'could not send the result');
    }
  }

  /** @internal JobHost */
  watchDeadline(job: Job): void {
    // Keyed by the time left when the handler first looked, so a queue group stays in deadline order.
    this.deadlines.add(Math.max(0, Math.ceil(job.deadline - Date.now())), job);
  }

  private findJob(replyTo: string, id: number): Job | undefined {
    // Cancels are rare: a scan of the (at most `concurrency`) running jobs beats a per-request index.
    for (const job of this.jobs) if (job.packet.id === id && job.packet.replyTo === replyTo) return job;
    return undefined;
  }

  /** @internal JobHost */
  sendProgress(job: Job, key: string, value: unknown): void {
    const p = job.packet;
    if (p.type === 'push' || !this.link) return;
    this.link.reply(p.replyTo, { v: 1, type: 'progress', id: p.id, from: this.identity, key, value });
  }

  /** @internal JobHost */
  nestedRequest<R>(job: Job, route: string, payload: unknown, options: MapperRequestOptions | undefined): Promise<R> {
    return this.nested.request<R>(job, route, payload, options);
  }

  /** @internal JobHost */
  nestedPush(job: Job, route: string, payload: unknown, options: PushOptions | undefined): Promise<void> {
    return this.nested.push(job, route, payload, options);
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${name} must be a positive integer, got ${value}` });
  return value;
}
