/**
 * The mapper: keeps the registry of live agents from their heartbeats and dispatches requests.
 */
import { EventEmitter } from 'node:events';
import { NaniteError } from '../errors';
import { DeadlineQueue } from '../internal/deadline-queue';
import { generateIdentity } from '../internal/ids';
import { defaultLogger, type Logger } from '../internal/logger';
import { MalformedCounter } from '../internal/malformed-counter';
import { decodePacket } from '../protocol/decode';
import type { ProgressPacket, RequestPacket, ResultPacket } from '../protocol/packets';
import { SelectorSet } from '../selectors/resolve-selector';
import type { AgentView, Selector } from '../selectors/selector';
import { createTransport } from '../transport/create-transport';
import type { MapperLink, Transport } from '../transport/transport';
import { filterCandidates } from './candidates';
import type { FanOut, MapperOptions, MapperRequestOptions, PushOptions, Reply } from './mapper.options';
import { PendingRequest, type PendingCallbacks } from './pending-request';
import { Registry, type AgentRecord } from './registry';
import { RegistryWaiters } from './registry-waiters';

/** Defaults of {@link MapperOptions}. */
export const DEFAULT_MAPPER_OPTIONS = {
  timeout: 30_000,
  reapInterval: 1_000,
  maxHops: 8,
  drainTimeout: 10_000,
  persistentTtl: 60_000,
  discoveryWindow: 500,
} as const;

/** Why an agent left dispatch. */
export type AgentDownReason = 'unregistered' | 'timeout' | 'transport';

/** Events a mapper emits. */
export interface MapperEvents {
  /** An agent registered (new to this mapper). */
  'agent:up': [agent: AgentView];
  /** A known agent re-registered or pinged with a new status. */
  'agent:update': [agent: AgentView];
  /** An agent left dispatch. */
  'agent:down': [agent: AgentView, reason: AgentDownReason];
}

/** Counters a mapper keeps. */
export interface MapperStats {
  /** Packets dropped because they failed validation. */
  malformed: number;
  /** Requests re-sent to another agent after their agent was unreachable or lost. */
  redispatched: number;
  /** Requests waiting for a result now. */
  pending: number;
}

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
export class Mapper extends EventEmitter<MapperEvents> {
  readonly identity: string;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly logger: Logger;
  private readonly registry = new Registry();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly deadlines = new DeadlineQueue<PendingRequest>((p) => this.expire(p));
  private readonly selectors = new SelectorSet();
  private readonly waiters = new RegistryWaiters();
  private readonly malformed: MalformedCounter;
  private readonly defaultSelector: Selector;
  private readonly o: Required<Omit<MapperOptions, 'transport' | 'identity' | 'selector' | 'logger' | 'agentTimeout'>> & { agentTimeout: number | undefined };
  private link: MapperLink | undefined;
  private reaper: NodeJS.Timeout | undefined;
  private state: State = 'idle';
  private nextId = 0;
  private startedAt = 0;
  private redispatched = 0;
  private closing: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(options: MapperOptions) {
    super();
    this.identity = options.identity ?? generateIdentity('mapper');
    this.ownsTransport = typeof options.transport === 'string';
    this.logger = options.logger ?? defaultLogger('nanite-mapper');
    this.transport = typeof options.transport === 'string' ? createTransport(options.transport, { logger: this.logger }) : options.transport;
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
    this.malformed = new MalformedCounter(this.logger, { mapper: this.identity });
  }

  /** Connects, asks every agent to register (Advertise) and starts the reaper. */
  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Mapper ${this.identity} was already started` }));
    this.state = 'starting';
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    try {
      await this.transport.connect();
      this.link = await this.transport.openMapper(this.identity, {
        onPacket: (packet) => this.onPacket(packet),
        onMalformed: (reason) => this.malformed.record(reason),
        onUndeliverable: (packet, agent) => this.onUndeliverable(packet, agent),
        onAgentGone: (agent) => this.drop(agent, 'transport'),
        onReconnect: () => this.advertise(),
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
    return { malformed: this.malformed.count, redispatched: this.redispatched, pending: this.pending.size };
  }

  /** A snapshot of the live agents. */
  agents(): AgentView[] {
    return [...this.registry.all()].map((a) => a.snapshot());
  }

  /**
   * Resolves once at least `count` agents (serving `route`, when given) are live; rejects with
   * `NANITE_ERR_TIMEOUT` after `timeout` ms.
   */
  waitForAgents(options: { route?: string; count?: number; timeout?: number } = {}): Promise<AgentView[]> {
    const count = options.count ?? 1;
    const matching = (): AgentRecord[] => (options.route ? [...this.registry.serving(options.route)] : [...this.registry.all()]);
    return new Promise((resolve, reject) => {
      this.waiters.wait(
        () => matching().length >= count,
        options.timeout ?? 10_000,
        () => resolve(matching().map((a) => a.snapshot())),
        () => reject(new NaniteError('NANITE_ERR_TIMEOUT', { message: `Fewer than ${count} agent(s)${options.route ? ` serving ${options.route}` : ''} after ${options.timeout ?? 10_000} ms` })),
      );
    });
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

  /** Like `request()`, and tells which agent answered and after how many attempts. */
  call<R = unknown>(route: string, payload?: unknown, options: MapperRequestOptions = {}): Promise<Reply<R>> {
    return new Promise<Reply<R>>((resolve, reject) => {
      this.dispatch(route, payload, options, {
        resolve: (result, agent, attempts) => resolve({ result: result as R, agent, attempts }),
        reject,
      }, () => reject(new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'call() takes a single-agent selector; use request() for fan-out' })));
    });
  }

  /** Fire-and-forget: resolves once sent (to every selected agent for a fan-out selector). */
  async push(route: string, payload?: unknown, options: PushOptions = {}): Promise<void> {
    this.assertRunning();
    this.checkHops(options.hops ?? 0);
    const selector = this.selectorFor(options);
    // A fan-out right after start waits for the cluster to answer the Advertise, or it would reach only the first agents to answer.
    if (selector.fanOut) await new Promise<void>((resolve) => this.afterDiscovery(resolve) || resolve());
    const tags = options.tags ?? [];
    const candidates = filterCandidates(this.registry.serving(route), tags, options.target, undefined);
    const info = { route, payload, tags, target: options.target };
    const picked = candidates.length === 0 ? [] : selector.select(candidates, info);
    if (picked.length === 0) {
      await new Promise<void>((resolve, reject) => this.whenNoAgent(route, tags, options.target, options.persistent ?? false, resolve, reject));
      return this.push(route, payload, { ...options, persistent: false });
    }
    const targets = selector.fanOut ? picked : picked.slice(0, 1);
    for (const agent of targets) {
      this.link!.send(agent.identity, this.packet('push', route, payload, 0, options), { persistent: options.persistent ?? false });
    }
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

  private async shutdown(): Promise<void> {
    // Let a start in progress finish (or fail) first, so nothing it opens outlives the close.
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    const wasStarted = this.state !== 'idle';
    this.state = 'closing';
    if (this.reaper) clearInterval(this.reaper);
    if (wasStarted && this.pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.o.drainTimeout);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const err = this.shuttingDown();
    for (const p of [...this.pending.values()]) this.fail(p, err);
    this.waiters.cancelAll();
    this.deadlines.close();
    await this.link?.close();
    if (this.ownsTransport) await this.transport.close();
    this.state = 'closed';
  }

  // ---- dispatch -------------------------------------------------------------------------------

  private dispatch(route: string, payload: unknown, options: MapperRequestOptions, cb: PendingCallbacks, fanOut: (r: FanOut<unknown>) => void): void {
    try {
      this.assertRunning();
      this.checkHops(options.hops ?? 0);
    } catch (err) {
      cb.reject(err as NaniteError);
      return;
    }
    let timeout = options.timeout ?? this.o.timeout;
    if (options.deadline !== undefined) {
      const left = Math.floor(options.deadline - Date.now());
      if (left <= 0) return cb.reject(new NaniteError('NANITE_ERR_TIMEOUT', { message: `The deadline of ${route} had already passed` }));
      timeout = timeout > 0 ? Math.min(timeout, left) : left;
    }
    if (options.signal?.aborted) return cb.reject(aborted(options.signal));
    let selector: Selector;
    try {
      selector = this.selectorFor(options);
    } catch (err) {
      return cb.reject(err as NaniteError);
    }
    const tags = options.tags ?? [];
    if (selector.fanOut) {
      this.fanOut(route, payload, options, selector, tags, timeout, cb, fanOut);
      return;
    }
    const p = new PendingRequest(this.packet('request', route, payload, timeout, options), tags, options.target, selector, cb);
    p.onProgress = options.onProgress;
    p.idempotent = options.idempotent;
    this.track(p, timeout, options.signal);
    this.send(p, options.persistent ?? false);
  }

  private fanOut(route: string, payload: unknown, options: MapperRequestOptions, selector: Selector, tags: readonly string[], timeout: number, cb: PendingCallbacks, done: (r: FanOut<unknown>) => void): void {
    // Right after start, wait out the discovery window: a fan-out must reach every agent, not the first to answer.
    if (this.afterDiscovery(() => (this.state === 'running' ? this.fanOut(route, payload, options, selector, tags, timeout, cb, done) : cb.reject(this.shuttingDown())))) return;
    const candidates = filterCandidates(this.registry.serving(route), tags, options.target, undefined);
    const agents = candidates.length ? selector.select(candidates, { route, payload, tags, target: options.target }) : [];
    if (agents.length === 0) {
      this.whenNoAgent(route, tags, options.target, options.persistent ?? false, () => this.fanOut(route, payload, { ...options, persistent: false }, selector, tags, timeout, cb, done), cb.reject);
      return;
    }
    const out: FanOut<unknown> = {};
    let left = agents.length;
    const settle = (identity: string, outcome: FanOut<unknown>[string]): void => {
      out[identity] = outcome;
      if (--left === 0) done(out);
    };
    for (const agent of agents) {
      const leg = new PendingRequest(this.packet('request', route, payload, timeout, options), tags, agent.identity, selector, {
        resolve: (result) => settle(agent.identity, { ok: true, result }),
        reject: (error) => settle(agent.identity, { ok: false, error }),
      });
      leg.failover = false;
      leg.onProgress = options.onProgress;
      this.track(leg, timeout, options.signal);
      this.sendTo(leg, this.registry.get(agent.identity)!, false);
    }
  }

  private track(p: PendingRequest, timeout: number, signal: AbortSignal | undefined): void {
    this.pending.set(p.packet.id, p);
    if (timeout > 0) {
      p.timeout = timeout;
      this.deadlines.add(timeout, p);
    }
    if (signal) {
      p.signal = signal;
      p.onAbort = () => {
        if (p.agent) this.link?.send(p.agent.identity, { v: 1, type: 'cancel', id: p.packet.id, replyTo: this.identity });
        this.fail(p, aborted(signal));
      };
      signal.addEventListener('abort', p.onAbort, { once: true });
    }
  }

  /** Picks an agent (excluding those tried) and sends; fails or parks when none is left. */
  private send(p: PendingRequest, persistent: boolean): void {
    const candidates = filterCandidates(this.registry.serving(p.route), p.tags, p.target, p.tried);
    const agent = candidates.length === 0 ? undefined : (p.selector.select(candidates, p)[0] as AgentRecord | undefined);
    if (agent && this.registry.get(agent.identity) === agent) {
      this.sendTo(p, agent, persistent);
      return;
    }
    if (agent) {
      // A custom selector returned an agent that is not one of the candidates it was given.
      this.fail(p, new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Selector picked ${agent.identity}, which is not a live candidate` }));
      return;
    }
    if (persistent && p.attempts === 0 && this.link?.park) {
      this.link.park(p.packet, this.o.persistentTtl);
      return;
    }
    this.whenNoAgent(p.route, p.tags, p.target, persistent && p.attempts === 0, () => this.pending.has(p.packet.id) && this.send(p, false), (err) => this.fail(p, err), p);
  }

  /**
   * No candidate now: wait for one when the caller asked for offline failsafe or the mapper is
   * still discovering the cluster right after start; otherwise fail at once.
   */
  private whenNoAgent(route: string, tags: readonly string[], target: string | undefined, persistent: boolean, retry: () => void, reject: (e: NaniteError) => void, p?: PendingRequest): void {
    const discovering = Date.now() - this.startedAt < this.o.discoveryWindow;
    if (!persistent && !discovering) {
      reject(this.noAgent(route, tags, target, p?.tried));
      return;
    }
    const wait = persistent ? this.o.persistentTtl : this.startedAt + this.o.discoveryWindow - Date.now();
    this.waiters.wait(
      () => filterCandidates(this.registry.serving(route), tags, target, p?.tried).length > 0,
      wait,
      retry,
      () => reject(this.noAgent(route, tags, target, p?.tried)),
    );
  }

  /** Schedules `then` for when the discovery window after start closes and returns true; returns false (and schedules nothing) when it has closed already. */
  private afterDiscovery(then: () => void): boolean {
    const left = this.startedAt + this.o.discoveryWindow - Date.now();
    if (left <= 0) return false;
    // A waiter that is never "ready": it ends (runs `then`) when the window closes, or when the mapper closes.
    this.waiters.wait(() => false, left, () => undefined, then);
    return true;
  }

  private sendTo(p: PendingRequest, agent: AgentRecord, persistent: boolean): void {
    p.agent = agent;
    p.attempts++;
    agent.pending++;
    try {
      this.link!.send(agent.identity, p.packet, { persistent });
    } catch (err) {
      this.fail(p, err instanceof NaniteError ? err : new NaniteError('NANITE_ERR_TRANSPORT', { message: 'Could not send the request', cause: err }));
    }
  }

  /** Re-sends to another agent, or fails with `error` when the request may not move. */
  private redispatch(p: PendingRequest, error: NaniteError): void {
    if (p.agent) {
      p.markTried(p.agent.identity);
      p.agent.pending--;
      p.agent = undefined;
    }
    if (!p.failover) {
      this.fail(p, error);
      return;
    }
    this.redispatched++;
    this.send(p, false);
  }

  private expire(p: PendingRequest): void {
    this.fail(p, new NaniteError('NANITE_ERR_TIMEOUT', { message: `${p.route} did not answer within ${p.timeout} ms`, data: { route: p.route, agent: p.agent?.identity, timeout: p.timeout } }));
  }

  private complete(p: PendingRequest): boolean {
    if (!this.pending.delete(p.packet.id)) return false;
    if (p.timeout > 0) this.deadlines.cancel(p);
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
    if (p.agent) p.agent.pending--;
    if (this.drained && this.pending.size === 0) this.drained();
    return true;
  }

  private fail(p: PendingRequest, error: NaniteError): void {
    if (this.complete(p)) p.callbacks.reject(error);
  }

  // ---- incoming -------------------------------------------------------------------------------

  private onPacket(raw: unknown): void {
    const decoded = decodePacket(raw);
    if (!decoded.ok) {
      this.malformed.record(decoded.reason);
      return;
    }
    const packet = decoded.packet;
    switch (packet.type) {
      case 'result':
        this.onResult(packet);
        return;
      case 'progress':
        this.onProgress(packet);
        return;
      case 'register': {
        const { record, added } = this.registry.register(packet, Date.now());
        this.emit(added ? 'agent:up' : 'agent:update', record.snapshot());
        this.waiters.changed();
        return;
      }
      case 'ping': {
        const record = this.registry.ping(packet, Date.now());
        if (record) this.emit('agent:update', record.snapshot());
        // An agent we do not know (we started after it, or reaped it): ask it to register.
        else if (this.state === 'running') this.link?.send(packet.identity, { v: 1, type: 'advertise', mapper: this.identity });
        return;
      }
      case 'unregister':
        this.drop(packet.identity, 'unregistered');
        return;
      default:
        this.malformed.record(`mapper received a ${packet.type} packet`);
    }
  }

  private onResult(r: ResultPacket): void {
    const p = this.pending.get(r.id);
    if (!p) return; // late result of a request that timed out, was cancelled or was answered by another agent
    if (r.ok) {
      const agent = p.agent?.identity ?? r.from;
      const attempts = p.attempts;
      if (this.complete(p)) p.callbacks.resolve(r.result, agent, attempts);
      return;
    }
    const error = NaniteError.fromJSON(r.error!);
    // The agent does not serve the route (our registry was stale): it never ran, so moving is safe.
    if (error.code === 'NANITE_ERR_UNKNOWN_ROUTE' && p.failover) this.redispatch(p, error);
    else this.fail(p, error);
  }

  private onProgress(m: ProgressPacket): void {
    const p = this.pending.get(m.id);
    if (!p?.onProgress) return;
    try {
      p.onProgress(m.key, m.value, m.from);
    } catch (err) {
      this.logger.warn({ err, route: p.route }, 'onProgress listener threw');
    }
  }

  private onUndeliverable(packet: RequestPacket, agent: string): void {
    const record = this.registry.get(agent);
    // The agent stopped taking work (draining) or vanished: no new work for it until it registers again.
    if (record) this.registry.suspend(record);
    if (packet.type === 'push') {
      this.repush(packet, agent);
      return;
    }
    const p = this.pending.get(packet.id);
    if (!p || p.agent?.identity !== agent) return;
    // Never delivered, so re-sending is safe whatever the route's idempotency.
    this.redispatch(p, new NaniteError('NANITE_ERR_NO_AGENT', { message: `Agent ${agent} is gone`, data: { route: p.route, agent } }));
  }

  private repush(packet: RequestPacket, failed: string): void {
    const candidates = filterCandidates(this.registry.serving(packet.route), [], undefined, new Set([failed]));
    const next = candidates.length ? this.defaultSelector.select(candidates, { route: packet.route, payload: packet.payload, tags: [], target: undefined })[0] : undefined;
    if (next) {
      this.redispatched++;
      this.link?.send(next.identity, packet);
    } else {
      this.logger.warn({ route: packet.route, agent: failed }, 'push could not be delivered and no other agent serves its route');
    }
  }

  /** Removes an agent from dispatch and moves or fails the requests it was running. */
  private drop(identity: string, reason: AgentDownReason): void {
    const record = this.registry.remove(identity);
    if (!record) return;
    for (const p of [...this.pending.values()]) {
      if (p.agent !== record) continue;
      if (p.isIdempotent()) this.redispatch(p, new NaniteError('NANITE_ERR_AGENT_LOST', { data: { route: p.route, agent: identity } }));
      else this.fail(p, new NaniteError('NANITE_ERR_AGENT_LOST', { message: `Agent ${identity} went away while handling ${p.route} (not idempotent, so not re-sent)`, data: { route: p.route, agent: identity, reason } }));
    }
    this.emit('agent:down', record.snapshot(), reason);
  }

  private reap(): void {
    const now = Date.now();
    for (const a of [...this.registry.all()]) {
      const limit = this.o.agentTimeout ?? 3 * a.pingInterval;
      if (now - a.lastSeen > limit) this.drop(a.identity, 'timeout');
    }
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

  private packet(type: 'request' | 'push', route: string, payload: unknown, timeout: number, o: PushOptions): RequestPacket {
    const packet: RequestPacket = { v: 1, type, id: this.nextId++, route, payload, replyTo: this.identity, timeout, hops: o.hops ?? 0 };
    if (o.traceId !== undefined) packet.traceId = o.traceId;
    return packet;
  }

  private selectorFor(o: PushOptions): Selector {
    if (o.selector !== undefined) return this.selectors.resolve(o.selector);
    return o.target !== undefined ? this.selectors.resolve('target') : this.defaultSelector;
  }

  private shuttingDown(): NaniteError {
    return new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Mapper ${this.identity} closed before the request completed` });
  }

  private assertRunning(): void {
    if (this.state === 'running') return;
    if (this.state === 'idle' || this.state === 'starting') throw new NaniteError('NANITE_ERR_NOT_STARTED', { message: `Mapper ${this.identity} is not started: call start() first` });
    throw new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Mapper ${this.identity} is closing` });
  }

  private checkHops(hops: number): void {
    if (hops > this.o.maxHops) throw new NaniteError('NANITE_ERR_HOP_LIMIT', { message: `Request passed ${hops} hops (limit ${this.o.maxHops}): is there a cycle of actors calling each other?`, data: { hops, maxHops: this.o.maxHops } });
  }

  private noAgent(route: string, tags: readonly string[], target: string | undefined, tried?: ReadonlySet<string>): NaniteError {
    const known = this.registry.serving(route).length;
    const why = known === 0 ? `no live agent serves ${route}` : `none of the ${known} agent(s) serving ${route} matches${tags.length ? ` tags [${tags.join(', ')}]` : ''}${target ? ` target ${target}` : ''}${tried?.size ? ' (the others were tried)' : ''}`;
    return new NaniteError('NANITE_ERR_NO_AGENT', { message: `No agent: ${why}`, data: { route, tags, target, tried: tried ? [...tried] : [] } });
  }
}

function aborted(signal: AbortSignal): NaniteError {
  const reason: unknown = signal.reason;
  if (reason instanceof NaniteError) return reason;
  return new NaniteError('NANITE_ERR_ABORTED', { cause: reason });
}
