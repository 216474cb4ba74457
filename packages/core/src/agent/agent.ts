/**
 * The agent: hosts actors, heartbeats its status to every mapper, runs requests.
 */
import { actorRoutes, type ActorLike } from '../actor/actor-routes';
import type { ActorRoute } from '../actor/actor.types';
import { NaniteError } from '../errors';
import { defaultIdentityOn, withSecurity } from '../serializer/secure/with-security';
import { checkIdentity, checkTags, generateIdentity } from '../internal/ids';
import { MAX_TIMER_DELAY } from '../internal/timers';
import { checkObjectList, checkTransportOption } from '../internal/component-checks';
import { checkLogger, defaultLogger, type Logger } from '../internal/logger';
import { BurstLog } from '../internal/burst-log';
import { MalformedCounter } from '../internal/malformed-counter';
import { observeAgent } from '../observability/combine';
import type { AgentObservation } from '../observability/observer';
import { decodePacket } from '../protocol/decode';
import { DEFAULT_PRIORITY } from '../protocol/packets';
import { createTransport } from '../transport/create-transport';
import { DirectAgentLink } from '../transport/direct/direct-agent.link';
import type { DirectServerStats } from '../transport/direct/direct-server';
import { DirectTransport } from '../transport/direct/direct.transport';
import type { AgentLink, Settle, Transport } from '../transport/transport';
import type { AgentOptions } from './agent.options';
import { resolveAgentVersion } from './agent-version';
import { Heartbeat } from './heartbeat';
import { defaultMaxQueued } from './job-queue';
import { JobRunner } from './job-runner';
import { NestedCaller } from './nested-caller';
import { defaultStatus } from './status';
import { DEFAULT_MAX_SURVEYS, SurveyAnswerer } from './survey-answerer';

/** Defaults of {@link AgentOptions}. */
export const DEFAULT_AGENT_OPTIONS = {
  pingInterval: 5_000,
  concurrency: 64,
  drainTimeout: 10_000,
  streamStallTimeout: 600_000,
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
  /** Surveys answered (result or error). */
  surveysAnswered: number;
  /** Surveys dropped unanswered (more than `maxSurveys` at once, or the answer could not be sent). */
  surveysDropped: number;
  /** Times an observer's hook threw: it was skipped, the handler and its reply went on. */
  listenerFaults: number;
  /** Times an abort listener a handler added to `ctx.signal` threw (or its promise rejected): counted and logged, never thrown. */
  abortListenerFaults: number;
  /** Upload chunks and ends for no running request (late, after the handler finished; or forged): dropped. */
  strayUploads: number;
  /**
   * Requests (answered `NANITE_ERR_ABORTED`) and pushes cancelled before they started: while they
   * waited for a slot, or (amqp://) before they arrived, their cancel having overtaken them.
   */
  cancelledBeforeStart: number;
  /** Cancels that found nothing and were forgotten unmatched to bound the table (amqp://: see `cancelledBeforeStart`). */
  earlyCancelsForgotten: number;
  /** Cancels remembered now, waiting for the request they name to arrive (amqp://: see `cancelledBeforeStart`); they lapse after 60 s. */
  earlyCancelsWaiting: number;
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
  /** Routing tier advertised in Register (1 = preferred … 16). */
  readonly priority: number;
  /** The software version advertised in Register (the `version` option), if any. */
  readonly version: string | undefined;
  /** Most requests waiting for a free slot; more are refused with `NANITE_ERR_OVERLOADED`. */
  readonly maxQueued: number;

  private readonly handlers = new Map<string, ActorRoute>();
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly drainTimeout: number;
  private readonly logger: Logger;
  private readonly malformed: MalformedCounter;
  /** Observers' hooks that threw (user code: counted, one log line per burst). */
  private readonly observerFaults: BurstLog;
  /** Abort listeners of handlers that threw (user code run from a timer or a transport callback). */
  private readonly abortListenerFaults: BurstLog;
  private link: AgentLink | undefined;
  private readonly heartbeat: Heartbeat;
  private readonly runner: JobRunner;
  /** Metrics / tracing hooks; undefined (and skipped) when no observer is configured. */
  private readonly observation: AgentObservation | undefined;
  private state: AgentState = 'idle';
  private readonly rejoin: boolean;
  /** Until then (epoch ms) Registers ask to be re-admitted after a retire. */
  private rejoinUntil = 0;
  private readonly nested: NestedCaller;
  private readonly surveys: SurveyAnswerer;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: AgentOptions) {
    this.tags = checkTags(options.tags);
    const identity = checkIdentity('agent', options.identity);
    this.concurrency = positiveInt('concurrency', options.concurrency ?? DEFAULT_AGENT_OPTIONS.concurrency);
    // A longer interval is one Node's timers cannot hold: they fire it every millisecond instead.
    this.pingInterval = positiveInt('pingInterval', options.pingInterval ?? DEFAULT_AGENT_OPTIONS.pingInterval, MAX_TIMER_DELAY);
    this.priority = options.priority ?? DEFAULT_PRIORITY;
    if (!Number.isInteger(this.priority) || this.priority < 1 || this.priority > 16) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `priority must be an integer in 1..16, got ${this.priority}` });
    this.version = resolveAgentVersion(options.version);
    this.maxQueued = options.maxQueued ?? defaultMaxQueued(this.concurrency);
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `maxQueued must be a non-negative integer, got ${this.maxQueued}` });
    this.drainTimeout = options.drainTimeout ?? DEFAULT_AGENT_OPTIONS.drainTimeout;
    if (typeof this.drainTimeout !== 'number' || !(this.drainTimeout >= 0) || this.drainTimeout > MAX_TIMER_DELAY) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `drainTimeout must be a number of ms in [0, ${MAX_TIMER_DELAY}], got ${String(this.drainTimeout)}` });
    checkTransportOption(options.transport, 'agent');
    checkObjectList('actors', options.actors);
    checkObjectList('observers', options.observers);
    this.logger = checkLogger(options.logger) ?? defaultLogger('nanite-agent');
    this.ownsTransport = typeof options.transport === 'string';
    // Security wraps the direct data path, so packets going over SP are sealed too.
    const given = typeof options.transport === 'string' ? createTransport(options.transport, { logger: this.logger }) : options.transport;
    const direct = options.listen !== undefined ? new DirectTransport(given, { logger: this.logger, ...options.direct, listen: options.listen, ownsInner: this.ownsTransport }) : given;
    this.transport = withSecurity(direct, options.security, this.ownsTransport, this.logger);
    this.identity = identity ?? defaultIdentityOn(this.transport, 'agent') ?? generateIdentity('agent');
    this.malformed = new MalformedCounter(this.logger, { agent: this.identity });
    this.observerFaults = new BurstLog({ logger: this.logger, level: 'error', bindings: { agent: this.identity }, message: "an observer's hook threw; it was skipped (further ones are only counted for a while)" });
    this.abortListenerFaults = new BurstLog({ logger: this.logger, level: 'error', bindings: { agent: this.identity }, windowPerKey: true, message: 'an abort listener a handler added to ctx.signal threw; it was caught (further ones are only counted for a while)' });
    this.heartbeat = new Heartbeat({
      identity: this.identity,
      tags: this.tags,
      concurrency: this.concurrency,
      pingInterval: this.pingInterval,
      priority: this.priority,
      version: this.version,
      status: options.status ?? defaultStatus,
      logger: this.logger,
      link: () => this.link,
      routes: () => [...this.handlers.values()].map((r) => ({ route: r.route, idempotent: r.idempotent })),
      inFlight: () => this.runner.running,
      queued: () => this.runner.queued,
      node: () => this.transport.node,
      rejoin: () => Date.now() < this.rejoinUntil,
    });
    this.rejoin = options.rejoin === true;
    this.observation = observeAgent(options.observers, {
      identity: this.identity,
      transport: this.transport,
      logger: this.logger,
      concurrency: this.concurrency,
      maxQueued: this.maxQueued,
      stats: () => this.stats,
      inFlight: () => this.runner.running,
      queued: () => this.runner.queued,
      malformed: () => this.malformed.byKind(),
    }, (hook, err) => this.observerFaults.record({ hook, err }));
    this.nested = new NestedCaller(this.transport, { logger: this.logger, ...(options.listen !== undefined ? { direct: true } : {}), ...(options.observers ? { observers: options.observers } : {}), ...options.mapper }, () => this.state === 'running' || this.state === 'draining', this.identity);
    this.runner = new JobRunner({
      identity: this.identity,
      concurrency: this.concurrency,
      maxQueued: this.maxQueued,
      logger: this.logger,
      handlers: this.handlers,
      link: () => this.link,
      nested: this.nested,
      observation: this.observation,
      status: () => this.heartbeat.current(),
      listenerFailed: this.abortListenerFailed,
      streamStallTimeout: checkedStallTimeout(options.streamStallTimeout ?? DEFAULT_AGENT_OPTIONS.streamStallTimeout),
    });
    this.surveys = new SurveyAnswerer({
      identity: this.identity,
      tags: this.tags,
      logger: this.logger,
      handlers: this.handlers,
      link: () => this.link,
      nested: this.nested,
      maxRunning: positiveInt('maxSurveys', options.maxSurveys ?? DEFAULT_MAX_SURVEYS),
      listenerFailed: this.abortListenerFailed,
    });
    for (const actor of options.actors ?? []) this.addActor(actor);
  }

  private readonly abortListenerFailed = (route: string, err: unknown): void => {
    this.abortListenerFaults.record({ route, err }, route);
  };

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
    return { handled: r.handled, failed: r.failed, malformed: this.malformed.count, expired: r.expired, overloaded: r.overloaded, shed: r.shed, statusFaults: this.heartbeat.statusFaults, surveysAnswered: this.surveys.answered, surveysDropped: this.surveys.dropped, listenerFaults: this.observerFaults.count, abortListenerFaults: this.abortListenerFaults.count, strayUploads: r.strayUploads, cancelledBeforeStart: r.cancelledBeforeStart, earlyCancelsForgotten: r.earlyCancels.forgotten, earlyCancelsWaiting: r.earlyCancels.size };
  }

  /** The SP endpoint the agent serves requests on (the bound URL: the real port when 0 was asked), once started with `listen`. */
  get endpoint(): string | undefined {
    return this.link instanceof DirectAgentLink ? this.link.endpoint : undefined;
  }

  /** Counters of the SP endpoint (connections per protocol, faults, JSON requests and malformed bodies, bounced requests), once started with `listen`. */
  endpointStats(): DirectServerStats | undefined {
    return this.link instanceof DirectAgentLink ? this.link.endpointStats() : undefined;
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
          onLocalRequest: (packet, settle, receivedAt) => this.runner.acceptLocal(packet, settle, receivedAt),
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
    if (this.rejoin) this.rejoinUntil = Date.now() + 3 * this.pingInterval;
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
      // Never started, or its start failed: what the constructor set up goes too (a metrics
      // observer would otherwise list it, and keep it, forever: a background start retries with a new agent).
      await this.nested.close();
      this.observation?.close();
      this.state = 'stopped';
      return;
    }
    this.state = 'draining';
    const link = this.link;
    this.runner.beginDrain();
    this.surveys.close();
    await link?.pause();
    await this.runner.whenIdle(this.drainTimeout);
    this.heartbeat.stop();
    this.heartbeat.unregister();
    await this.nested.close();
    this.runner.close();
    await link?.close();
    if (this.ownsTransport) await this.transport.close();
    this.observation?.close();
    this.state = 'stopped';
  }

  /** A mapper says the cluster retired this agent: stop, unless it was restarted to rejoin (see `rejoin`). */
  private removed(mapper: string): void {
    if (Date.now() < this.rejoinUntil || this.state !== 'running') return;
    this.logger.warn({ agent: this.identity, mapper }, 'this agent was removed from the cluster (nanite forget); stopping. Restart it with rejoin (--rejoin) or a new identity to serve again');
    void this.stop();
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
        // A removal names its agent: one meant for another (a copy, replayed here) is a plain Advertise.
        if (packet.removed && (packet.agent === undefined || packet.agent === this.identity)) this.removed(packet.mapper);
        else this.register();
        settle();
        return;
      case 'cancel':
        this.runner.cancel(packet.replyTo, packet.id);
        settle();
        return;
      case 'survey':
        // Settled at once: surveys are bounded by the answerer (maxSurveys), not by request slots.
        settle();
        if (this.state === 'running') this.surveys.accept(packet);
        return;
      case 'credit':
        this.runner.credit(packet.replyTo, packet.id, packet.n);
        settle();
        return;
      case 'chunk':
        this.runner.chunk(packet);
        settle();
        return;
      case 'end':
        this.runner.end(packet);
        settle();
        return;
      default:
        this.malformed.record(`agent received a ${packet.type} packet`);
        settle();
    }
  }
}

function checkedStallTimeout(ms: unknown): number {
  if (typeof ms !== 'number' || !(ms >= 0) || ms > MAX_TIMER_DELAY) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `streamStallTimeout must be a number of ms in [0, ${MAX_TIMER_DELAY}] (0: wait for ever), got ${typeof ms === 'number' ? ms : typeof ms}` });
  return ms;
}

function positiveInt(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value <= 0 || value > max) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${name} must be a positive integer${max < Number.MAX_SAFE_INTEGER ? ` of at most ${max}` : ''}, got ${value}` });
  return value;
}
