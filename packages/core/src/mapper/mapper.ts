/**
 * The mapper: its lifecycle and public API. It keeps the registry of live agents from their
 * heartbeats (heartbeats.ts), routes what arrives (mapper-inbox.ts), checks requests
 * (request-intake.ts) and hands them to its dispatcher.
 */
import type { RouteMap } from '../actor/route-map.types';
import { NaniteError } from '../errors';
import { defaultIdentityOn, withSecurity } from '../serializer/secure/with-security';
import { checkIdentity, generateIdentity } from '../internal/ids';
import { checkObjectList, checkTransportOption } from '../internal/component-checks';
import { checkLogger, defaultLogger, type Logger } from '../internal/logger';
import { MalformedCounter } from '../internal/malformed-counter';
import { MapperObservers } from '../observability/mapper-observers';
import { observePush, observeRequest } from '../observability/observed-request';
import type { Observer } from '../observability/observer';
import { checkTraceParent } from '../observability/trace-context';
import { SelectorSet } from '../selectors/resolve-selector';
import type { AgentView, Selector } from '../selectors/selector';
import { createTransport } from '../transport/create-transport';
import { DirectTransport } from '../transport/direct/direct.transport';
import type { MapperLink, Transport } from '../transport/transport';
import type { Dispatch } from './dispatch.types';
import { Dispatcher } from './dispatcher';
import { GuardedEmitter } from './guarded-emitter';
import { Heartbeats } from './heartbeats';
import { MapperRoster } from './mapper-roster';
import { LoopLag } from './roster/loop-lag';
import type { RosterAgent, RosterStats } from './roster/roster.options';
import { checkHops, countOption, shuttingDownError, waitOption } from './mapper-errors';
import { checkPushOptions, checkRoute } from './options-check';
import { receive, route, type MapperInbox } from './mapper-inbox';
import { MapperFaults } from './mapper-faults';
import { DEFAULT_MAPPER_OPTIONS, type AgentDownReason, type FanOut, type MapperEvents, type MapperOptions, type MapperRequestOptions, type MapperStats, type PushOptions, type Reply } from './mapper.options';
import type { AgentBoundPacket } from '../protocol/packets';
import type { PendingCallbacks } from './pending-request';
import { RequestReply, type FanOutSink } from './request-reply';
import type { TypedMapper } from './typed-mapper';
import { Registry, type AgentRecord } from './registry';
import { listeningAgents } from './listening-agents';
import type { SurveyRun } from './survey-run';
import type { SurveyOptions } from './survey.options';
import { Surveys } from './surveys';
import { RegistryWaiters } from './registry-waiters';
import { NO_OPTIONS, anchorDispatch, checkPlain, tagsOf, toDispatch, type IntakeLimits } from './request-intake';
import { ResultStream, type ResultStreamHost } from './result-stream';
import { dropUpload, isUpload, prepareUpload } from './upload-sender';
import type { StreamHooks, StreamOptions } from './stream.options';
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
  private readonly surveys: Surveys;
  private readonly malformed: MalformedCounter;
  private readonly defaultSelector: Selector;
  private readonly dispatcher: Dispatcher;
  private readonly intake: IntakeLimits;
  /** Metrics / tracing hooks; `current` is undefined (and skipped) when nobody observes. */
  private readonly observers: MapperObservers;
  private readonly o: Required<Omit<MapperOptions, 'transport' | 'direct' | 'identity' | 'selector' | 'logger' | 'agentTimeout' | 'maxAgents' | 'roster' | 'observers' | 'security'>> & { agentTimeout: number | undefined };
  private link: MapperLink | undefined;
  /** An upload's chunks go out through the link (one closure for every request, not one each). */
  private readonly uploadSend = (agent: string, packet: AgentBoundPacket): void => this.link?.send(agent, packet);
  private readonly rosterPart: MapperRoster | undefined;
  private reaper: NodeJS.Timeout | undefined;
  /** How late the reaper's ticks run: a late one follows a stall of ours (see reap). */
  private readonly reapLag: LoopLag;
  private state: State = 'idle';
  /** When the mapper last Advertised to a cluster it had not heard (start, or the link back after an outage): the discovery window opens. */
  private discoveringSince = 0;
  private closing: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private streamHost: ResultStreamHost | undefined;

  constructor(options: MapperOptions) {
    super();
    // Checked before anything is opened: a bad option throws with nothing to clean up.
    const discoveryWindow = waitOption('discoveryWindow', options.discoveryWindow, DEFAULT_MAPPER_OPTIONS.discoveryWindow);
    if (options.maxAgents !== undefined && options.maxAgents !== Infinity) countOption('maxAgents', options.maxAgents, 0);
    const failoverWindow = waitOption('failoverWindow', options.failoverWindow, DEFAULT_MAPPER_OPTIONS.failoverWindow);
    const identity = checkIdentity('mapper', options.identity);
    this.ownsTransport = typeof options.transport === 'string';
    checkTransportOption(options.transport, 'mapper');
    checkObjectList('observers', options.observers);
    this.logger = checkLogger(options.logger) ?? defaultLogger('nanite-mapper');
    // Security wraps the direct data path, so packets going over SP are sealed too.
    const given = typeof options.transport === 'string' ? createTransport(options.transport, { logger: this.logger }) : options.transport;
    const direct = options.direct ? new DirectTransport(given, { logger: this.logger, direct: true, ownsInner: this.ownsTransport }) : given;
    this.transport = withSecurity(direct, options.security, this.ownsTransport, this.logger);
    this.identity = identity ?? defaultIdentityOn(this.transport, 'mapper') ?? generateIdentity('mapper');
    this.defaultSelector = this.selectors.resolve(options.selector ?? 'least_loaded');
    this.o = {
      timeout: waitOption('timeout', options.timeout, DEFAULT_MAPPER_OPTIONS.timeout),
      reapInterval: waitOption('reapInterval', options.reapInterval, DEFAULT_MAPPER_OPTIONS.reapInterval) || 1,
      maxHops: countOption('maxHops', options.maxHops, DEFAULT_MAPPER_OPTIONS.maxHops),
      drainTimeout: waitOption('drainTimeout', options.drainTimeout, DEFAULT_MAPPER_OPTIONS.drainTimeout),
      persistentTtl: waitOption('persistentTtl', options.persistentTtl, DEFAULT_MAPPER_OPTIONS.persistentTtl),
      discoveryWindow,
      failoverWindow,
      agentTimeout: options.agentTimeout === undefined ? undefined : waitOption('agentTimeout', options.agentTimeout, 0),
    };
    this.reapLag = new LoopLag(this.o.reapInterval);
    this.intake = { timeout: this.o.timeout, maxHops: this.o.maxHops, selectorFor: (o) => this.selectorFor(o) };
    this.malformed = new MalformedCounter(this.logger, { mapper: this.identity });
    this.faults = new MapperFaults(this.logger, { mapper: this.identity });
    this.registry = new Registry(options.maxAgents ?? DEFAULT_MAPPER_OPTIONS.maxAgents);
    this.heartbeats = new Heartbeats({
      registry: this.registry,
      waiters: this.waiters,
      faults: this.faults,
      notify: (event: 'agent:up' | 'agent:update' | 'agent:down', record: AgentRecord, reason?: AgentDownReason) => {
        this.rosterPart?.observe(event, record, reason);
        // A snapshot per Ping only when someone listens.
        if (this.listenerCount(event) === 0) return;
        if (event === 'agent:down') this.notify(event, record.snapshot(), reason!);
        else this.notify(event, record.snapshot());
      },
      admits: (identity, rejoin) => this.rosterPart?.roster.admits(identity, rejoin) ?? true,
      refused: (identity) => this.rosterPart?.refused(identity),
      agentLost: (record, reason) => this.dispatcher.agentLost(record, reason),
      adopt: (from, to) => this.dispatcher.adopt(from, to),
      advertiseTo: (identity) => {
        if (this.state === 'running') this.link?.send(identity, { v: 1, type: 'advertise', mapper: this.identity });
      },
    });
    this.surveys = new Surveys({ identity: this.identity, logger: this.logger, link: () => this.link, listening: (route, tags) => listeningAgents(this.registry, route, tags) });
    if (options.roster !== false) {
      this.rosterPart = new MapperRoster(options.roster ?? {}, {
        identity: this.identity,
        transport: this.transport,
        registry: this.registry,
        heartbeats: () => this.heartbeats,
        logger: this.logger,
        emit: (event, agent) => this.notify(event, agent),
        tellRemoved: (identity) => {
          if (this.state === 'running') this.link?.send(identity, { v: 1, type: 'advertise', mapper: this.identity, removed: true, agent: identity });
        },
        agentTimeout: options.agentTimeout,
      });
    }
    this.dispatcher = new Dispatcher({
      identity: this.identity,
      registry: this.registry,
      waiters: this.waiters,
      logger: this.logger,
      faults: this.faults,
      persistentTtl: this.o.persistentTtl,
      failoverWindow: this.o.failoverWindow,
      link: () => this.link,
      isRunning: () => this.state === 'running',
      discoveryLeft: () => this.discoveringSince + this.o.discoveryWindow - Date.now(),
      stale: (record) => this.heartbeats.confirm(record, Date.now()),
    });
    this.observers = new MapperObservers({
      identity: this.identity,
      transport: this.transport,
      logger: this.logger,
      stats: () => this.stats,
      agents: () => this.registry.all(),
      rosterStates: () => this.rosterPart?.roster.countStates(),
      malformed: () => this.malformed.byKind(),
    }, options.observers, (hook, err) => this.faults.record('listenerFaults', `observer-${hook}`, { hook, err }, `an observer's ${hook}() threw; it was skipped`));
  }

  /** Attaches an observer (metrics, tracing, a dashboard) to a running mapper; returns the function that detaches it. */
  observe(observer: Observer): () => void {
    return this.observers.add(observer);
  }

  /** Connects, asks every agent to register (Advertise) and starts the reaper. */
  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Mapper ${this.identity} was already started` }));
    this.state = 'starting';
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    const inbox: MapperInbox = { malformed: this.malformed, dispatcher: this.dispatcher, heartbeats: this.heartbeats, surveys: this.surveys };
    try {
      await this.rosterPart?.load();
      await this.transport.connect();
      this.link = await this.transport.openMapper(this.identity, {
        onPacket: (packet, sender) => receive(inbox, packet, sender),
        onLocalReply: (packet) => route(inbox, packet),
        onLocalResult: (from, id, result, status) => this.dispatcher.onSuccess(from, id, result, status),
        onMalformed: (reason) => this.malformed.record(reason),
        // The agent stopped taking work (draining) or vanished: the dispatcher suspends it and re-sends
        // what it had in flight there (only that: a forged or duplicated return is counted and dropped).
        onUndeliverable: (packet, agent) => this.dispatcher.onUndeliverable(packet, agent),
        onAgentGone: (agent) => this.heartbeats.gone(agent),
        onReconnect: () => {
          // Nobody could ping through the outage: count silence from now, not from before it.
          this.registry.touchAll(Date.now());
          this.rosterPart?.reconnected();
          // Agents answer this Advertise as at start: a request that finds none meanwhile waits the
          // discovery window for them instead of failing at once.
          this.discoveringSince = Date.now();
          this.advertise();
        },
      });
    } catch (err) {
      this.state = 'closed';
      await this.rosterPart?.close();
      if (this.ownsTransport) await this.transport.close();
      throw err;
    }
    // close() was called while we were connecting: it waits for us, then closes what we opened.
    if (this.closing) return;
    await this.rosterPart?.start();
    this.state = 'running';
    this.discoveringSince = Date.now();
    this.advertise();
    this.reaper = setInterval(() => this.reap(), this.o.reapInterval);
    this.reaper.unref();
  }

  /** True between `start()` and `close()`. */
  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** The broker node (`host:port`) the mapper's transport is connected to (clusters); undefined otherwise. */
  get node(): string | undefined {
    return this.transport.node;
  }

  /** Counters since start. */
  get stats(): MapperStats {
    return { malformed: this.malformed.count, redispatched: this.dispatcher.redispatched, pending: this.dispatcher.size, heldPushes: this.dispatcher.heldPushes, agents: this.registry.size, ...this.faults.counts(), ...this.surveys.stats };
  }

  /** A snapshot of the live agents. */
  agents(): AgentView[] {
    return [...this.registry.all()].map((a) => a.snapshot());
  }

  /** Every agent this mapper's roster holds (live, suspect, down, removed, or not heard of since a restart). */
  roster(): RosterAgent[] {
    return this.rosterPart?.roster.list() ?? [];
  }

  /**
   * Retires an agent on every mapper: it turns `removed` (gossiped), leaves dispatch, and its
   * heartbeats are refused from now on. Returns its entry, or undefined when the roster never knew it.
   */
  forget(identity: string): RosterAgent | undefined {
    if (!this.rosterPart) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Mapper ${this.identity} runs without a roster (roster: false)` });
    return this.rosterPart.roster.forget(identity);
  }

  /** Counters of the roster (gossip traffic, stalls discounted, saves failed); undefined without a roster. */
  rosterStats(): RosterStats | undefined {
    return this.rosterPart?.roster.stats;
  }

  /** Pauses (true) or resumes this mapper's roster gossip: a partition of the roster, for tests and maintenance. */
  pauseGossip(paused: boolean): void {
    this.rosterPart?.roster.pauseGossip(paused);
  }

  /**
   * Resolves once at least `count` agents (serving `route`, when given) are live; rejects with
   * `NANITE_ERR_TIMEOUT` after `timeout` ms, `NANITE_ERR_SHUTTING_DOWN` once the mapper is closing.
   */
  waitForAgents(options: WaitForAgentsOptions = {}): Promise<AgentView[]> {
    if (this.state === 'closing' || this.state === 'closed') return Promise.reject(new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Mapper ${this.identity} is closing` }));
    try {
      return waitForAgents(this.registry, this.waiters, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Sends a request and resolves with its result. With `selector: 'all'`, resolves with one outcome per agent. */
  request<R = unknown>(route: string, payload: unknown, options: MapperRequestOptions & { selector: 'all' }): Promise<FanOut<R>>;
  request<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<R>;
  request<R = unknown>(route: string, payload?: unknown, options: MapperRequestOptions = NO_OPTIONS): Promise<R | FanOut<R>> {
    // One object takes the outcome; an answer given during the dispatch makes an already settled promise (request-reply.ts).
    const reply = new RequestReply();
    this.dispatch(route, payload, options, reply, reply);
    return reply.promise<R | FanOut<R>>();
  }

  /** Like `request()`, and tells which agent answered and after how many attempts. Takes single-agent selectors only. */
  call<R = unknown>(route: string, payload?: unknown, options: MapperRequestOptions = NO_OPTIONS): Promise<Reply<R>> {
    return new Promise<Reply<R>>((resolve, reject) => {
      this.dispatch(route, payload, options, {
        resolve: (result, agent, attempts) => resolve({ result: result as R, agent, attempts }),
        reject,
      }, undefined);
    });
  }

  /**
   * Reads a handler's result as a stream of chunks (Buffers or JSON values), with flow control:
   * the handler runs only as far ahead as the reader allows (`window` chunks). See docs/streams.md.
   * ```ts
   * for await (const chunk of mapper.stream<Buffer>('/files/read', { name: 'big.bin' })) out.write(chunk);
   * ```
   */
  stream<T = unknown>(route: string, payload?: unknown, options: StreamOptions = {}): ResultStream<T> {
    this.streamHost ??= {
      identity: this.identity,
      timeout: this.o.timeout,
      dispatch: (r, p, o, cb, hooks) => this.dispatch(r, p, o, cb, undefined, hooks),
      credit: (agent, packet) => this.link?.send(agent, packet),
    };
    return new ResultStream<T>(this.streamHost, route, payload, options);
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

  /**
   * Asks every agent serving `route` (by fanout: agents this mapper never heard of too; over SP:
   * `endpoints` and listening agents) and yields one answer per agent (`ok: false` for a handler's
   * error) until the deadline (`deadline` epoch ms, or `timeout` ms, default 1 000). Silent agents
   * are just absent; `break`, `signal` or `close()` end it. See surveys.ts.
   */
  survey<R = unknown>(route: string, payload?: unknown, options: SurveyOptions = {}): SurveyRun<R> {
    this.assertRunning();
    return this.surveys.start<R>(route, payload, options);
  }

  /** Fire-and-forget: resolves once sent (to every selected agent for a fan-out selector). */
  async push(route: string, payload?: unknown, options: PushOptions = {}): Promise<void> {
    const observation = this.observers.current;
    if (observation) return observePush(observation, route, options, (o) => this.sendPush(route, payload, o));
    return this.sendPush(route, payload, options);
  }

  private async sendPush(route: string, payload: unknown, options: PushOptions): Promise<void> {
    this.assertRunning();
    checkRoute(route);
    checkPushOptions(options);
    checkHops(options.hops ?? 0, this.o.maxHops);
    checkTraceParent(options.traceparent);
    return this.dispatcher.push({ route, payload, options, selector: this.selectorFor(options), tags: options.tags ?? [] });
  }

  /**
   * Stops dispatching (new calls fail with `NANITE_ERR_SHUTTING_DOWN`), fails at once what waits for
   * an agent to appear (requests, pushes, `waitForAgents()`), waits up to `drainTimeout` for the
   * requests agents hold, fails the rest, then closes the link (and the transport when the mapper
   * created it). Idempotent.
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
    this.surveys.closeAll();
    // What waits for an agent to appear fails now (requests, pushes, fan-outs, waitForAgents()), not after the drain.
    this.waiters.cancelAll(shuttingDownError(this.identity));
    await this.dispatcher.drain(this.o.drainTimeout, shuttingDownError(this.identity));
    this.heartbeats.close();
    await this.rosterPart?.close();
    await this.link?.close();
    if (this.ownsTransport) await this.transport.close();
    this.observers.close();
    this.state = 'closed';
  }

  /** Validates a request and hands it to the dispatcher; `fanOut` undefined refuses fan-out selectors before anything runs. */
  private dispatch(route: string, payload: unknown, options: MapperRequestOptions, cb: PendingCallbacks, fanOut: FanOutSink | undefined, stream?: StreamHooks): void {
    const observation = this.observers.current;
    const observed = observation && observeRequest(observation, route, options, cb, fanOut);
    if (observed) ({ options, cb, fanOut } = observed);
    let d: Dispatch | undefined;
    let selector: Selector | undefined;
    try {
      this.assertRunning();
      checkRoute(route);
      // The plain request (no absolute deadline, no upload, no result stream, one agent) is handed
      // to the dispatcher as its parts: no Dispatch object (the in-process path's allocations count).
      if (stream === undefined && options.deadline === undefined && !isUpload(payload, options)) selector = checkPlain(options, this.intake, fanOut !== undefined);
      if (selector === undefined || selector.fanOut) {
        d = toDispatch(route, payload, options, this.intake, fanOut !== undefined);
        cb = prepareUpload(d, cb, this.identity, this.uploadSend);
      }
    } catch (err) {
      dropUpload(payload, options);
      cb.reject(err instanceof NaniteError ? err : new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { cause: err }));
      return;
    }
    if (d === undefined) this.dispatcher.request(route, payload, options, selector!, tagsOf(options), options.timeout ?? this.intake.timeout, 0, 0, cb);
    else {
      if (stream) d.stream = stream;
      if (fanOut && d.selector.fanOut) {
        anchorDispatch(d);
        this.dispatcher.fanOut(d, cb, fanOut);
      } else this.dispatcher.single(d, cb);
    }
  }

  protected listenerFault(event: string, err: unknown): void {
    this.faults.record('listenerFaults', `listener-${event}`, { event, err }, `a mapper '${event}' listener threw`);
  }

  private reap(): void {
    const now = Date.now();
    // A tick that runs late follows a stall of this process (a long GC, a CPU-bound handler): the
    // Pings that arrived meanwhile still wait in socket buffers and are read after this timer, so
    // silence measured now is ours. Judge on the next tick (the roster's detector has the same guard).
    if (this.reapLag.tick(now) > 0) return;
    // During a broker outage silence proves nothing: reaping would drop every agent at once.
    if (this.transport.isConnected === false) return;
    this.heartbeats.reap(now, this.o.agentTimeout);
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
