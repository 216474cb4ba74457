/**
 * Where a mapper's requests go: picking agents, sending, failing over, gathering fan-outs, and
 * matching results and progress to the requests waiting for them.
 */
import { NaniteError } from '../errors';
import type { Logger } from '../internal/logger';
import type { ProgressPacket, RequestPacket, ResultPacket } from '../protocol/packets';
import type { Selector } from '../selectors/selector';
import type { MapperLink, SendOptions } from '../transport/transport';
import { filterCandidates } from './candidates';
import { abortedError, noAgentError, shuttingDownError } from './mapper-errors';
import type { FanOut, MapperRequestOptions, PushOptions } from './mapper.options';
import { PendingRequest, type PendingCallbacks } from './pending-request';
import { PendingTable } from './pending-table';
import type { AgentRecord, Registry } from './registry';
import type { RegistryWaiters } from './registry-waiters';

/** What the dispatcher needs from its mapper. */
export interface DispatchContext {
  readonly identity: string;
  readonly registry: Registry;
  readonly waiters: RegistryWaiters;
  readonly logger: Logger;
  /** How long an offline-failsafe request may wait for an agent (ms). */
  readonly persistentTtl: number;
  /** Selector for re-sending pushes that came back. */
  readonly defaultSelector: Selector;
  link(): MapperLink | undefined;
  isRunning(): boolean;
  /** Milliseconds left in the discovery window after start (<= 0 once it closed). */
  discoveryLeft(): number;
}

/** A request, resolved into what dispatch needs. */
export interface Dispatch {
  route: string;
  payload: unknown;
  options: MapperRequestOptions;
  selector: Selector;
  tags: readonly string[];
  /** Deadline in ms (0: none). */
  timeout: number;
}

function sendOptions(persistent: boolean, delivery: SendOptions['delivery']): SendOptions {
  return delivery === undefined ? { persistent } : { persistent, delivery };
}

/** Routes requests for one mapper; owns the pending table. */
export class Dispatcher {
  private readonly pending = new PendingTable((p) => this.expire(p));
  private nextId = 0;
  /** Requests re-sent to another agent after theirs was unreachable or lost. */
  redispatched = 0;

  constructor(private readonly ctx: DispatchContext) {}

  /** Requests waiting for a result now. */
  get size(): number {
    return this.pending.size;
  }

  /** A request to one agent, failing over among the candidates. */
  single(d: Dispatch, cb: PendingCallbacks): void {
    const p = new PendingRequest(this.packet('request', d), d.tags, d.options.target, d.selector, cb);
    p.onProgress = d.options.onProgress;
    p.idempotent = d.options.idempotent;
    this.track(p, d);
    p.delivery = d.options.delivery;
    this.send(p, d.options.persistent ?? false);
  }

  /** A request to every agent the selector picks, gathering one outcome per agent identity. */
  fanOut(d: Dispatch, cb: PendingCallbacks, done: (r: FanOut<unknown>) => void): void {
    // Right after start, wait out the discovery window: a fan-out must reach every agent, not the first to answer.
    if (this.afterDiscovery(() => (this.ctx.isRunning() ? this.fanOut(d, cb, done) : cb.reject(shuttingDownError(this.ctx.identity))))) return;
    const { route, payload, options, selector, tags } = d;
    const candidates = filterCandidates(this.ctx.registry.serving(route), tags, options.target, undefined);
    const agents = candidates.length ? selector.select(candidates, { route, payload, tags, target: options.target }) : [];
    if (agents.length === 0) {
      this.whenNoAgent(route, tags, options.target, options.persistent ?? false, () => this.fanOut({ ...d, options: { ...options, persistent: false } }, cb, done), cb.reject);
      return;
    }
    const out: FanOut<unknown> = {};
    let left = agents.length;
    const settle = (identity: string, outcome: FanOut<unknown>[string]): void => {
      out[identity] = outcome;
      if (--left === 0) done(out);
    };
    for (const agent of agents) {
      const leg = new PendingRequest(this.packet('request', d), tags, agent.identity, selector, {
        resolve: (result) => settle(agent.identity, { ok: true, result }),
        reject: (error) => settle(agent.identity, { ok: false, error }),
      });
      leg.failover = false;
      leg.delivery = options.delivery;
      leg.onProgress = options.onProgress;
      this.track(leg, d);
      this.sendTo(leg, this.ctx.registry.get(agent.identity)!, false);
    }
  }

  /** Fire-and-forget; waits (discovery window, offline failsafe) like a request would. */
  async push(d: Omit<Dispatch, 'timeout'>): Promise<void> {
    const { route, payload, options, selector, tags } = d;
    // A fan-out right after start waits for the cluster to answer the Advertise.
    if (selector.fanOut) await new Promise<void>((resolve) => this.afterDiscovery(resolve) || resolve());
    const candidates = filterCandidates(this.ctx.registry.serving(route), tags, options.target, undefined);
    const picked = candidates.length === 0 ? [] : selector.select(candidates, { route, payload, tags, target: options.target });
    if (picked.length === 0) {
      await new Promise<void>((resolve, reject) => this.whenNoAgent(route, tags, options.target, options.persistent ?? false, resolve, reject));
      return this.push({ ...d, options: { ...options, persistent: false } });
    }
    for (const agent of selector.fanOut ? picked : picked.slice(0, 1)) {
      this.ctx.link()!.send(agent.identity, this.packet('push', { ...d, timeout: 0 }), sendOptions(options.persistent ?? false, options.delivery));
    }
  }

  onResult(r: ResultPacket): void {
    const p = this.pending.get(r.id);
    if (!p) return; // late result of a request that timed out, was cancelled or was answered by another agent
    if (r.ok) {
      const agent = p.agent?.identity ?? r.from;
      const attempts = p.attempts;
      if (this.pending.complete(p)) p.callbacks.resolve(r.result, agent, attempts);
      return;
    }
    const error = NaniteError.fromJSON(r.error!);
    // The agent does not serve the route (our registry was stale): it never ran, so moving is safe.
    if (error.code === 'NANITE_ERR_UNKNOWN_ROUTE' && p.failover) this.redispatch(p, error);
    else this.fail(p, error);
  }

  onProgress(m: ProgressPacket): void {
    const p = this.pending.get(m.id);
    if (!p?.onProgress) return;
    try {
      p.onProgress(m.key, m.value, m.from);
    } catch (err) {
      this.ctx.logger.warn({ err, route: p.route }, 'onProgress listener threw');
    }
  }

  /** A request or push came back from an agent that is gone or stopped taking work. */
  onUndeliverable(packet: RequestPacket, agent: string): void {
    if (packet.type === 'push') {
      this.repush(packet, agent);
      return;
    }
    const p = this.pending.get(packet.id);
    if (!p || p.agent?.identity !== agent) return;
    // Never delivered, so re-sending is safe whatever the route's idempotency.
    this.redispatch(p, new NaniteError('NANITE_ERR_NO_AGENT', { message: `Agent ${agent} is gone`, data: { route: p.route, agent } }));
  }

  /** An agent left: its idempotent requests move to other agents, the others fail with `NANITE_ERR_AGENT_LOST`. */
  agentLost(record: AgentRecord, reason: string): void {
    const identity = record.identity;
    for (const p of this.pending.list()) {
      if (p.agent !== record) continue;
      if (p.isIdempotent()) this.redispatch(p, new NaniteError('NANITE_ERR_AGENT_LOST', { data: { route: p.route, agent: identity } }));
      else this.fail(p, new NaniteError('NANITE_ERR_AGENT_LOST', { message: `Agent ${identity} went away while handling ${p.route} (not idempotent, so not re-sent)`, data: { route: p.route, agent: identity, reason } }));
    }
  }

  /** Waits up to `ms` for pending requests, then fails the rest with `error` and clears every timer. */
  async drain(ms: number, error: NaniteError): Promise<void> {
    await this.pending.whenEmpty(ms);
    for (const p of this.pending.list()) this.fail(p, error);
    this.pending.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  private packet(type: 'request' | 'push', d: Pick<Dispatch, 'route' | 'payload' | 'timeout' | 'options'>): RequestPacket {
    const o: PushOptions = d.options;
    const packet: RequestPacket = { v: 1, type, id: this.nextId++, route: d.route, payload: d.payload, replyTo: this.ctx.identity, timeout: d.timeout, hops: o.hops ?? 0 };
    if (o.traceId !== undefined) packet.traceId = o.traceId;
    return packet;
  }

  private track(p: PendingRequest, d: Dispatch): void {
    this.pending.add(p, d.timeout, d.options.signal, (req) => {
      if (req.agent) this.ctx.link()?.send(req.agent.identity, { v: 1, type: 'cancel', id: req.packet.id, replyTo: this.ctx.identity });
      this.fail(req, abortedError(req.signal!));
    });
  }

  /** Picks an agent (excluding those tried) and sends; parks, waits or fails when none is left. */
  private send(p: PendingRequest, persistent: boolean): void {
    const registry = this.ctx.registry;
    const candidates = filterCandidates(registry.serving(p.route), p.tags, p.target, p.tried);
    const agent = candidates.length === 0 ? undefined : (p.selector.select(candidates, p)[0] as AgentRecord | undefined);
    if (agent && registry.get(agent.identity) === agent) {
      this.sendTo(p, agent, persistent);
      return;
    }
    if (agent) {
      // A custom selector returned an agent that is not one of the candidates it was given.
      this.fail(p, new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Selector picked ${agent.identity}, which is not a live candidate` }));
      return;
    }
    const link = this.ctx.link();
    if (persistent && p.attempts === 0 && link?.park) {
      link.park(p.packet, this.ctx.persistentTtl);
      return;
    }
    this.whenNoAgent(p.route, p.tags, p.target, persistent && p.attempts === 0, () => this.pending.has(p) && this.send(p, false), (err) => this.fail(p, err), p.tried);
  }

  private sendTo(p: PendingRequest, agent: AgentRecord, persistent: boolean): void {
    p.agent = agent;
    p.attempts++;
    agent.pending++;
    try {
      this.ctx.link()!.send(agent.identity, p.packet, sendOptions(persistent, p.delivery));
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

  private repush(packet: RequestPacket, failed: string): void {
    const candidates = filterCandidates(this.ctx.registry.serving(packet.route), [], undefined, new Set([failed]));
    const next = candidates.length ? this.ctx.defaultSelector.select(candidates, { route: packet.route, payload: packet.payload, tags: [], target: undefined })[0] : undefined;
    if (next) {
      this.redispatched++;
      this.ctx.link()?.send(next.identity, packet);
    } else {
      this.ctx.logger.warn({ route: packet.route, agent: failed }, 'push could not be delivered and no other agent serves its route');
    }
  }

  /**
   * No candidate now: wait for one when the caller asked for offline failsafe or the mapper is
   * still discovering the cluster right after start; otherwise fail at once.
   */
  private whenNoAgent(route: string, tags: readonly string[], target: string | undefined, persistent: boolean, retry: () => void, reject: (e: NaniteError) => void, tried?: ReadonlySet<string>): void {
    const registry = this.ctx.registry;
    const discovery = this.ctx.discoveryLeft();
    const fail = (): void => reject(noAgentError(route, registry.serving(route).length, tags, target, tried));
    if (!persistent && discovery <= 0) {
      fail();
      return;
    }
    this.ctx.waiters.wait(() => filterCandidates(registry.serving(route), tags, target, tried).length > 0, persistent ? this.ctx.persistentTtl : discovery, retry, fail);
  }

  /** Schedules `then` for when the discovery window closes and returns true; false (nothing scheduled) once it has closed. */
  private afterDiscovery(then: () => void): boolean {
    const left = this.ctx.discoveryLeft();
    if (left <= 0) return false;
    // A waiter that is never "ready": it ends (runs `then`) when the window closes, or when the mapper closes.
    this.ctx.waiters.wait(() => false, left, () => undefined, then);
    return true;
  }

  private expire(p: PendingRequest): void {
    this.fail(p, new NaniteError('NANITE_ERR_TIMEOUT', { message: `${p.route} did not answer within ${p.timeout} ms`, data: { route: p.route, agent: p.agent?.identity, timeout: p.timeout } }));
  }

  private fail(p: PendingRequest, error: NaniteError): void {
    if (this.pending.complete(p)) p.callbacks.reject(error);
  }
}
