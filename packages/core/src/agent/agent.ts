/**
 * The agent: hosts actors, heartbeats its status to every mapper, runs requests.
 */
import { actorRoutes, type ActorLike } from '../actor/actor-routes';
import type { ActorRoute } from '../actor/actor.types';
import { NaniteError } from '../errors';
import { defaultIdentityOn, withSecurity } from '../serializer/secure/with-security';
import { generateIdentity } from '../internal/ids';
import { defaultLogger, type Logger } from '../internal/logger';
import { MalformedCounter } from '../internal/malformed-counter';
import { decodePacket } from '../protocol/decode';
import { createTransport } from '../transport/create-transport';
import type { AgentLink, Settle, Transport } from '../transport/transport';
import type { AgentOptions } from './agent.options';
import { Heartbeat } from './heartbeat';
import { defaultMaxQueued } from './job-queue';
import { JobRunner } from './job-runner';
import { NestedCaller } from './nested-caller';
import { defaultStatus } from './status';

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
  /** Of those, how many threw, were aborted, or returned a result that could not cross the wire. */
  failed: number;
  /** Packets dropped because they failed validation. */
  malformed: number;
  /** Requests (answered `NANITE_ERR_TIMEOUT`) and pushes dropped unrun: their deadline passed while queued. */
  expired: number;
  /** Requests refused with `NANITE_ERR_OVERLOADED` and pushes dropped: the waiting queue was full. */
  overloaded: number;
  /** Queued, not started requests refused (`NANITE_ERR_SHUTTING_DOWN`) and pushes dropped by `close()`. */
  shed: number;
  /** Times the status function threw or returned a non-finite number (a fallback was advertised). */
  statusFaults: number;
}

/**
 * An agent hosts actors and serves their routes to mappers.
 *
 * ```ts
 * const agent = new Agent({ transport: 'memory://demo', actors: [new Foo()], tags: ['eu'] });
 * await agent.start();   // Register, then Ping every pingInterval
 * await agent.close();   // stop taking work, finish in-flight handlers, UnRegister, close
 * ```
 */
export class Agent {
  readonly identity: string;
  readonly tags: readonly string[];
  readonly concurrency: number;
  readonly pingInterval: number;
  /** Most requests waiting for a free slot; more are refused with `NANITE_ERR_OVERLOADED`. */
  readonly maxQueued: number;

  private readonly handlers = new Map<string, ActorRoute>();
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly drainTimeout: number;
  private readonly logger: Logger;
  private readonly malformed: MalformedCounter;
  private link: AgentLink | undefined;
  private readonly heartbeat: Heartbeat;
  private readonly runner: JobRunner;
  private state: AgentState = 'idle';
  private readonly nested: NestedCaller;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: AgentOptions) {
    this.tags = [...(options.tags ?? [])];
    this.concurrency = positiveInt('concurrency', options.concurrency ?? DEFAULT_AGENT_OPTIONS.concurrency);
    this.pingInterval = positiveInt('pingInterval', options.pingInterval ?? DEFAULT_AGENT_OPTIONS.pingInterval);
    this.maxQueued = options.maxQueued ?? defaultMaxQueued(this.concurrency);
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `maxQueued must be a non-negative integer, got ${this.maxQueued}` });
    this.drainTimeout = options.drainTimeout ?? DEFAULT_AGENT_OPTIONS.drainTimeout;
    this.logger = options.logger ?? defaultLogger('nanite-agent');
    this.ownsTransport = typeof options.transport === 'string';
    this.transport = withSecurity(typeof options.transport === 'string' ? createTransport(options.transport, { logger: this.logger }) : options.transport, options.security, this.ownsTransport, this.logger);
    this.identity = options.identity ?? defaultIdentityOn(this.transport, 'agent') ?? generateIdentity('agent');
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
      load: () => ({ inFlight: this.runner.running, queued: this.runner.queued }),
    });
    this.nested = new NestedCaller(this.transport, { logger: this.logger, ...options.mapper }, () => this.state === 'running' || this.state === 'draining', this.identity);
    this.runner = new JobRunner({
      identity: this.identity,
      concurrency: this.concurrency,
      maxQueued: this.maxQueued,
      logger: this.logger,
      handlers: this.handlers,
      link: () => this.link,
      nested: this.nested,
    });
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
    const r = this.runner;
    return { handled: r.handled, failed: r.failed, malformed: this.malformed.count, expired: r.expired, overloaded: r.overloaded, shed: r.shed, statusFaults: this.heartbeat.statusFaults };
  }

  /** Handlers running now. */
  get inFlight(): number {
    return this.runner.running;
  }

  /** Requests waiting for a free slot now. */
  get queued(): number {
    return this.runner.queued;
  }

  /** True between `start()` and `close()`. */
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
    // close() was called while we were connecting: it waits for us, then drains what we opened.
    if (this.stopping) return;
    this.state = 'running';
    this.heartbeat.start();
  }

  /**
   * Graceful stop, in order: stop taking work, answer queued (not started) requests with
   * `NANITE_ERR_SHUTTING_DOWN` and drop queued pushes in one pass, let in-flight handlers finish
   * (aborting them after `drainTimeout`), UnRegister, close the link and (if owned) the transport.
   * Idempotent.
   */
  close(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  /** Alias of {@link Agent.close} (the name of earlier releases). */
  stop(): Promise<void> {
    return this.close();
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
    this.runner.beginDrain();
    await link?.pause();
    await this.runner.whenIdle(this.drainTimeout);
    this.heartbeat.stop();
    this.heartbeat.unregister();
    await this.nested.close();
    this.runner.close();
    await link?.close();
    if (this.ownsTransport) await this.transport.close();
    this.state = 'stopped';
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
        this.runner.accept(packet, settle);
        return;
      case 'advertise':
        this.register();
        settle();
        return;
      case 'cancel':
        this.runner.cancel(packet.replyTo, packet.id);
        settle();
        return;
      default:
        this.malformed.record(`agent received a ${packet.type} packet`);
        settle();
    }
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${name} must be a positive integer, got ${value}` });
  return value;
}
