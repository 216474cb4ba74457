/**
 * The mapper: its lifecycle and public API. It keeps the registry of live agents from their
 * heartbeats (heartbeats.ts), routes what arrives (mapper-inbox.ts), checks requests
 * (request-intake.ts) and hands them to its dispatcher.
 */
import type { RouteMap } from '../actor/route-map.types';
import { NaniteError } from '../errors';
import { defaultIdentityOn, withSecurity } from '../serializer/secure/with-security';
import { generateIdentity } from '../internal/ids';
import { defaultLogger, type Logger } from '../internal/logger';
import { MalformedCounter } from '../internal/malformed-counter';
import { SelectorSet } from '../selectors/resolve-selector';
import type { AgentView, Selector } from '../selectors/selector';
import { createTransport } from '../transport/create-transport';
import type { MapperLink, Transport } from '../transport/transport';
import type { Dispatch } from './dispatch.types';
import { Dispatcher } from './dispatcher';
import { GuardedEmitter } from './guarded-emitter';
import { Heartbeats } from './heartbeats';
import { checkHops, shuttingDownError } from './mapper-errors';
import { receive, type MapperInbox } from './mapper-inbox';
import { MapperFaults } from './mapper-faults';
import { DEFAULT_MAPPER_OPTIONS, type AgentDownReason, type FanOut, type MapperEvents, type MapperOptions, type MapperRequestOptions, type MapperStats, type PushOptions, type Reply } from './mapper.options';
import type { PendingCallbacks } from './pending-request';
import type { TypedMapper } from './typed-mapper';
import { Registry } from './registry';
import { RegistryWaiters } from './registry-waiters';
import { toDispatch, type IntakeLimits } from './request-intake';
import { waitForAgents } from './wait-for-agents';
import type { WaitForAgentsOptions } from './wait-for-agents.options';

export { DEFAULT_MAPPER_OPTIONS };
export type { AgentDownReason, MapperEvents, MapperStats };

type State = 'idle' | 'starting' | 'running' | 'closing' | 'closed';

/**
 * A mapper: hears every agent's heartbeat and dispatches requests to them.
 *
 * ```ts
 * const mapper = new Mapper({ transport: 'memory://demo' });
 * await mapper.start();
 * const sum = await mapper.request<number>('/calc/add', [1, 2], { timeout: 1000 });
 * const all = await mapper.request('/simple/echo', 'hi', { selector: 'all' }); // { fred: {ok, result}, bob: ... }
 * ```
 */
export class Mapper extends GuardedEmitter<MapperEvents> {
  readonly identity: string;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly logger: Logger;
  private readonly registry: Registry;
  private readonly faults: MapperFaults;
  private readonly heartbeats: Heartbeats;
  private readonly selectors = new SelectorSet();
  private readonly waiters = new RegistryWaiters();
  private readonly malformed: MalformedCounter;
  private readonly defaultSelector: Selector;
  private readonly dispatcher: Dispatcher;
  private readonly intake: IntakeLimits;
  private readonly o: Required<Omit<MapperOptions, 'transport' | 'identity' | 'selector' | 'logger' | 'agentTimeout' | 'maxAgents' | 'security'>> & { agentTimeout: number | undefined };
  private link: MapperLink | undefined;
  private reaper: NodeJS.Timeout | undefined;
  private state: State = 'idle';
  private startedAt = 0;
  private closing: Promise<void> | undefined;
  private starting: Promise<void> | undefined;

  constructor(options: MapperOptions) {
    super();
    this.ownsTransport = typeof options.transport === 'string';
    this.logger = options.logger ?? defaultLogger('nanite-mapper');
    this.transport = withSecurity(typeof options.transport === 'string' ? createTransport(options.transport, { logger: this.logger }) : options.transport, options.security, this.ownsTransport, this.logger);
    this.identity = options.identity ?? defaultIdentityOn(this.transport, 'mapper') ?? generateIdentity('mapper');
    this.defaultSelector = this.selectors.resolve(options.selector ?? 'least_loaded');
    this.o = {
      timeout: options.timeout ?? DEFAULT_MAPPER_OPTIONS.timeout,
      reapInterval: options.reapInterval ?? DEFAULT_MAPPER_OPTIONS.reapInterval,
      maxHops: options.maxHops ?? DEFAULT_MAPPER_OPTIONS.maxHops,
      drainTimeout: options.drainTimeout ?? DEFAULT_MAPPER_OPTIONS.drainTimeout,
      persistentTtl: options.persistentTtl ?? DEFAULT_MAPPER_OPTIONS.persistentTtl,
      discoveryWindow: options.discoveryWindow ?? DEFAULT_MAPPER_OPTIONS.discoveryWindow,
      agentTimeout: options.agentTimeout,
    };
    this.intake = { timeout: this.o.timeout, maxHops: this.o.maxHops, selectorFor: (o) => this.selectorFor(o) };
    this.malformed = new MalformedCounter(this.logger, { mapper: this.identity });
    this.faults = new MapperFaults(this.logger, { mapper: this.identity });
    this.registry = new Registry(options.maxAgents ?? DEFAULT_MAPPER_OPTIONS.maxAgents);
    this.heartbeats = new Heartbeats({
      registry: this.registry,
      waiters: this.waiters,
      faults: this.faults,
      notify: (event: keyof MapperEvents, agent: AgentView, reason?: AgentDownReason) => (event === 'agent:down' ? this.notify(event, agent, reason!) : this.notify(event, agent)),
      agentLost: (record, reason) => this.dispatcher.agentLost(record, reason),
      advertiseTo: (identity) => {
        if (this.state === 'running') this.link?.send(identity, { v: 1, type: 'advertise', mapper: this.identity });
      },
    });
    this.dispatcher = new Dispatcher({
      identity: this.identity,
      registry: this.registry,
      waiters: this.waiters,
      logger: this.logger,
      faults: this.faults,
      persistentTtl: this.o.persistentTtl,
      defaultSelector: this.defaultSelector,
      link: () => this.link,
      isRunning: () => this.state === 'running',
      discoveryLeft: () => this.startedAt + this.o.discoveryWindow - Date.now(),
      stale: (record) => this.heartbeats.confirm(record, Date.now()),
    });
  }

  /** Connects, asks every agent to register (Advertise) and starts the reaper. */
  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Mapper ${this.identity} was already started` }));
    this.state = 'starting';
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    const inbox: MapperInbox = { malformed: this.malformed, dispatcher: this.dispatcher, heartbeats: this.heartbeats };
    try {
      await this.transport.connect();
      this.link = await this.transport.openMapper(this.identity, {
        onPacket: (packet) => receive(inbox, packet),
        onMalformed: (reason) => this.malformed.record(reason),
        // The agent stopped taking work (draining) or vanished: the dispatcher suspends it and re-sends
        // what it had in flight there (only that: a forged or duplicated return is counted and dropped).
        onUndeliverable: (packet, agent) => this.dispatcher.onUndeliverable(packet, agent),
        onAgentGone: (agent) => this.heartbeats.drop(agent, 'transport'),
        onReconnect: () => {
          // Nobody could ping through the outage: count silence from now, not from before it.
          const now = Date.now();
          for (const a of this.registry.all()) a.lastSeen = now;
          this.advertise();
        },
      });
    } catch (err) {
      this.state = 'closed';
      if (this.ownsTransport) await this.transport.close();
      throw err;
    }
    // close() was called while we were connecting: it waits for us, then closes what we opened.
    if (this.closing) return;
    this.state = 'running';
    this.startedAt = Date.now();
    this.advertise();
    this.reaper = setInterval(() => this.reap(), this.o.reapInterval);
    this.reaper.unref();
  }

  /** True between `start()` and `close()`. */
  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Counters since start. */
  get stats(): MapperStats {
    return { malformed: this.malformed.count, redispatched: this.dispatcher.redispatched, pending: this.dispatcher.size, agents: this.registry.size, ...this.faults.counts() };
  }

  /** A snapshot of the live agents. */
  agents(): AgentView[] {
    return [...this.registry.all()].map((a) => a.snapshot());
  }

  /**
   * Resolves once at least `count` agents (serving `route`, when given) are live; rejects with
   * `NANITE_ERR_TIMEOUT` after `timeout` ms.
   */
  waitForAgents(options: WaitForAgentsOptions = {}): Promise<AgentView[]> {
    return waitForAgents(this.registry, this.waiters, options);
  }

  /** Sends a request and resolves with its result. With `selector: 'all'`, resolves with one outcome per agent. */
  request<R = unknown>(route: string, payload: unknown, options: MapperRequestOptions & { selector: 'all' }): Promise<FanOut<R>>;
  request<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<R>;
  request<R = unknown>(route: string, payload?: unknown, options: MapperRequestOptions = {}): Promise<R | FanOut<R>> {
    return new Promise<R | FanOut<R>>((resolve, reject) => {
      // The promise's own resolve takes the result (extra arguments are ignored): no wrapper closures on the hot path.
      const settle = resolve as (value: unknown) => void;
      this.dispatch(route, payload, options, { resolve: settle, reject }, settle);
    });
  }

  /** Like `request()`, and tells which agent answered and after how many attempts. Takes single-agent selectors only. */
  call<R = unknown>(route: string, payload?: unknown, options: MapperRequestOptions = {}): Promise<Reply<R>> {
    return new Promise<Reply<R>>((resolve, reject) => {
      this.dispatch(route, payload, options, {
        resolve: (result, agent, attempts) => resolve({ result: result as R, agent, attempts }),
        reject,
      }, undefined);
    });
  }

  /**
   * This mapper, its `request`/`call`/`push` typed by a route map: only known routes, checked
   * payloads, the handlers' result types. The same object (no runtime cost).
   * ```ts
   * const api = mapper.typed<RoutesOf<[typeof Calc, typeof billing]>>();
   * const sum = await api.request('/calc/add', [1, 2]); // number
   * ```
   */
  typed<M extends RouteMap>(): TypedMapper<M> {
    return this as unknown as TypedMapper<M>;
  }

  /** Fire-and-forget: resolves once sent (to every selected agent for a fan-out selector). */
  async push(route: string, payload?: unknown, options: PushOptions = {}): Promise<void> {
    this.assertRunning();
    checkHops(options.hops ?? 0, this.o.maxHops);
    return this.dispatcher.push({ route, payload, options, selector: this.selectorFor(options), tags: options.tags ?? [] });
  }

  /**
   * Stops dispatching (new calls fail with `NANITE_ERR_SHUTTING_DOWN`), waits up to
   * `drainTimeout` for pending requests, fails the rest, then closes the link (and the transport
   * when the mapper created it). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Alias of {@link Mapper.close}, so `stop()` works on agents and mappers alike. */
  stop(): Promise<void> {
    return this.close();
  }

  private async shutdown(): Promise<void> {
    // Let a start in progress finish (or fail) first, so nothing it opens outlives the close.
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    this.state = 'closing';
    if (this.reaper) clearInterval(this.reaper);
    await this.dispatcher.drain(this.o.drainTimeout, shuttingDownError(this.identity));
    this.waiters.cancelAll();
    await this.link?.close();
    if (this.ownsTransport) await this.transport.close();
    this.state = 'closed';
  }

  /** Validates a request and hands it to the dispatcher; `fanOut` undefined refuses fan-out selectors before anything runs. */
  private dispatch(route: string, payload: unknown, options: MapperRequestOptions, cb: PendingCallbacks, fanOut: ((r: FanOut<unknown>) => void) | undefined): void {
    let d: Dispatch;
    try {
      this.assertRunning();
      d = toDispatch(route, payload, options, this.intake, fanOut !== undefined);
    } catch (err) {
      cb.reject(err instanceof NaniteError ? err : new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { cause: err }));
      return;
    }
    if (fanOut && d.selector.fanOut) this.dispatcher.fanOut(d, cb, fanOut);
    else this.dispatcher.single(d, cb);
  }

  protected listenerFault(event: string, err: unknown): void {
    this.faults.record('listenerFaults', `listener-${event}`, { event, err }, `a mapper '${event}' listener threw`);
  }

  private reap(): void {
    // During a broker outage silence proves nothing: reaping would drop every agent at once.
    if (this.transport.isConnected === false) return;
    this.heartbeats.reap(Date.now(), this.o.agentTimeout);
  }

  private advertise(): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    try {
      this.link?.broadcast({ v: 1, type: 'advertise', mapper: this.identity });
    } catch (err) {
      this.logger.warn({ err }, 'advertise not sent; agents will be learned from their pings');
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private selectorFor(o: PushOptions): Selector {
    if (o.selector !== undefined) return this.selectors.resolve(o.selector);
    return o.target !== undefined ? this.selectors.resolve('target') : this.defaultSelector;
  }

  private assertRunning(): void {
    if (this.state === 'running') return;
    if (this.state === 'idle' || this.state === 'starting') throw new NaniteError('NANITE_ERR_NOT_STARTED', { message: `Mapper ${this.identity} is not started: call start() first` });
    throw new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Mapper ${this.identity} is closing` });
  }
}
