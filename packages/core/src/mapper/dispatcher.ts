/**
 * Where a mapper's requests go: picking agents, sending, failing over, sending fan-out legs (the
 * fan-out itself is in fan-out.ts), and matching results and progress to the requests waiting for them.
 */
import { NaniteError } from '../errors';
import { LocalIdCounter, RequestIdPool } from '../internal/ids';
import type { ProgressPacket, RequestPacket, ResultPacket } from '../protocol/packets';
import type { ChunkPacket, CreditPacket } from '../protocol/stream-packets';
import type { RequestInfo, Selector } from '../selectors/selector';
import { NOT_HANDLED, sendOwnRequest, type OwnMapperLink } from '../transport/own-link';
import type { SendOptions } from '../transport/transport';
import { AgentWait } from './agent-wait';
import { filterCandidates } from './candidates';
import type { Dispatch, DispatchContext } from './dispatch.types';
import { fanOut, type FanOutContext } from './fan-out';
import { abortedError, choseNoneError, notSentError, timeoutError } from './mapper-errors';
import { pickAgent, pickAgents } from './pick-agents';
import { PendingRequest, type PendingCallbacks } from './pending-request';
import { PendingTable } from './pending-table';
import type { FanOutSink } from './request-reply';
import { Pusher, type PushDispatch } from './pusher';
import type { MapperRequestOptions, PushOptions } from './mapper.options';
import type { StreamHooks } from './stream.options';
import type { UploadHooks } from './upload-sender';
import { AgentRecord } from './registry';

/** Routes requests for one mapper; owns the pending table. */
export class Dispatcher {
  private readonly pending = new PendingTable((p) => this.expire(p));
  private readonly ids = new RequestIdPool();
  /** Ids of requests sent through an in-process link (memory://). */
  private readonly localIds = new LocalIdCounter();
  // Empty tables are not searched: requests answered in-process during their send never enter them.
  private readonly idTaken = (id: number): boolean =>
    (this.pending.size !== 0 && this.pending.get(id) !== undefined) || this.sending?.packet.id === id || this.pusher.has(id);
  private readonly wait: AgentWait;
  private readonly pusher: Pusher;
  private readonly fanOutContext: FanOutContext;
  /** Requests re-sent to another agent after theirs was unreachable or lost. */
  redispatched = 0;
  /** The request being handed to the transport now (an in-process agent may answer before the send returns). */
  private sending: PendingRequest | undefined;

  constructor(private readonly ctx: DispatchContext) {
    this.wait = new AgentWait(ctx);
    this.pusher = new Pusher({
      registry: ctx.registry,
      wait: this.wait,
      faults: ctx.faults,
      failoverWindow: ctx.failoverWindow,
      link: () => ctx.link(),
      pick: (selector, candidates, info, all) => this.pick(selector, candidates, info, all),
      packet: (d) => this.packet('push', d.route, d.payload, d.options, 0),
      suspend: (agent) => this.suspend(agent),
      redispatched: () => this.redispatched++,
    });
    this.fanOutContext = {
      identity: ctx.identity,
      registry: ctx.registry,
      wait: this.wait,
      isRunning: () => ctx.isRunning(),
      pick: (selector, candidates, info, all) => this.pick(selector, candidates, info, all),
      leg: (d, agent, timeout, cb) => this.leg(d, agent, timeout, cb),
      expiredBeforeSend: (route, timeout, agent) => this.expiredBeforeSend(route, timeout, agent),
    };
  }

  /** Requests waiting for a result now. */
  get size(): number {
    return this.pending.size;
  }

  /** Pushes handed back by their agent and waiting for another to take them now. */
  get heldPushes(): number {
    return this.pusher.heldCount;
  }

  /** A request to one agent, failing over among the candidates. */
  single(d: Dispatch, cb: PendingCallbacks): void {
    this.request(d.route, d.payload, d.options, d.selector, d.tags, d.timeout, d.deadline, d.now, cb, d.stream, d.upload);
  }

  /**
   * {@link Dispatcher.single} from its parts (`mapper.request()`'s plain path makes no
   * {@link Dispatch}): `timeout` ms (0: none); `deadline` epoch ms (0: none, or not fixed yet when
   * `now`, the caller's clock reading, is 0 too).
   */
  request(route: string, payload: unknown, options: MapperRequestOptions, selector: Selector, tags: readonly string[], timeout: number, deadline: number, now: number, cb: PendingCallbacks, stream?: StreamHooks, upload?: UploadHooks): void {
    const p = new PendingRequest(this.packet('request', route, payload, options, timeout), tags, options.target, selector, cb);
    p.onProgress = options.onProgress;
    p.idempotent = options.idempotent;
    p.delivery = options.delivery;
    p.deadline = deadline;
    if (stream) {
      p.stream = stream;
      p.packet.stream = stream.window;
    }
    if (upload) {
      p.upload = upload;
      p.packet.upload = true;
    }
    const persistent = options.persistent ?? false;
    // One clock read per request at most, and none for one an in-process agent answers during its
    // send (a synchronous handler: no time passes that a deadline could count). Only a plain
    // request through a link that hands requests over in-process goes out unanchored.
    this.pending.add(p, timeout, options.signal, this.aborted, 'later');
    if (now === 0 && (persistent || stream !== undefined || upload !== undefined || (this.ctx.link() as OwnMapperLink | undefined)?.[sendOwnRequest] === undefined)) now = this.anchor(p);
    // The deadline is armed once sent: an in-process agent may have answered already (local calls).
    const read = this.send(p, persistent, now);
    if (p.tracking !== 1) return;
    if (p.deadline === 0 && p.timeout > 0) now = this.anchor(p, read);
    else if (now === 0) now = read || Date.now();
    if (p.sentAt === 0) p.sentAt = now;
    this.pending.arm(p, p.timeout > 0 ? p.deadline - p.timeout : now);
  }

  /** A request to every agent the selector picks, gathering one outcome per agent identity (see fan-out.ts). */
  fanOut(d: Dispatch, cb: PendingCallbacks, done: FanOutSink): void {
    fanOut(this.fanOutContext, d, cb, done);
  }

  /** Fire-and-forget; waits (discovery window, offline failsafe) like a request would. */
  push(d: PushDispatch): Promise<void> {
    return this.pusher.push(d);
  }

  onResult(r: ResultPacket): void {
    if (r.ok) {
      this.onSuccess(r.from, r.id, r.result, r.status);
      return;
    }
    const p = this.find(r.id);
    if (!p) return; // late result of a request that timed out, was cancelled or was answered by another agent
    if (!this.fromItsAgent(p, r.from, 'result')) return;
    this.observe(p, r.status);
    const error = NaniteError.fromJSON(r.error!);
    // The agent does not serve the route (our registry was stale, or a Register forged): it never ran, so moving is safe.
    if (error.code === 'NANITE_ERR_UNKNOWN_ROUTE' && p.agent) this.ctx.stale(p.agent);
    if (error.code === 'NANITE_ERR_UNKNOWN_ROUTE' && p.failover) this.redispatch(p, error);
    else this.fail(p, error);
  }

  /**
   * A successful result: off a packet, or handed over as its parts by an in-process agent
   * (`MapperSink.onLocalResult`, transport/memory/local-calls.ts).
   */
  onSuccess(from: string, id: number, result: unknown, status: number | undefined): void {
    const p = this.find(id);
    if (!p) return; // late result of a request that timed out, was cancelled or was answered by another agent
    if (!this.fromItsAgent(p, from, 'result')) return;
    this.observe(p, status);
    const agent = p.agent?.identity ?? from;
    const attempts = p.attempts;
    if (this.pending.complete(p)) p.callbacks.resolve(result, agent, attempts);
  }

  onProgress(m: ProgressPacket): void {
    const p = this.find(m.id);
    if (!p?.onProgress || !this.fromItsAgent(p, m.from, 'progress')) return;
    const fault = (err: unknown): void => this.ctx.faults.record('listenerFaults', 'onProgress-threw', { err, route: p.route }, 'an onProgress listener threw');
    try {
      // An async listener's rejection is its throw: counted, never an unhandled rejection.
      const r: unknown = p.onProgress(m.key, m.value, m.from);
      if (r instanceof Promise) r.catch(fault);
    } catch (err) {
      fault(err);
    }
  }

  /** A chunk of a result stream (see mapper/result-stream.ts). */
  onChunk(c: ChunkPacket): void {
    const p = this.pending.get(c.id);
    if (!p?.stream || !this.fromItsAgent(p, c.from, 'chunk')) return;
    p.stream.onChunk(c, p);
  }

  /** Upload credit from the agent running a request (see mapper/upload-sender.ts). */
  onCredit(c: CreditPacket): void {
    const p = this.pending.get(c.id);
    if (!p?.upload || c.from === undefined || !this.fromItsAgent(p, c.from, 'credit')) return;
    p.upload.onCredit(c, p);
  }

  /**
   * A request or push came back from an agent that is gone or stopped taking work. Only what this
   * mapper has in flight for that agent is re-sent (and the agent suspended); the rest is counted.
   */
  onUndeliverable(packet: RequestPacket, agent: string): void {
    if (packet.type === 'push') {
      this.pusher.returned(packet, agent);
      return;
    }
    const p = packet.type === 'request' ? this.pending.get(packet.id) : undefined;
    if (!p || p.agent?.identity !== agent) {
      this.ctx.faults.record('strayReturns', 'stray-request-return', { agent }, 'a returned request this mapper does not have in flight for that agent was dropped');
      return;
    }
    this.suspend(agent);
    // Never delivered, so re-sending is safe whatever the route's idempotency.
    this.redispatch(p, new NaniteError('NANITE_ERR_NO_AGENT', { message: `Agent ${agent} is gone`, data: { route: p.route, agent } }));
  }

  /** `from` unregistered and registered again as `to`: the requests still on it stay, now on its new record. */
  adopt(from: AgentRecord, to: AgentRecord): void {
    for (const p of this.pending.list()) {
      if (p.agent !== from) continue;
      p.agent = to;
      from.pending--;
      to.pending++;
    }
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
    // Waiting for an agent to appear: nobody runs them, so nothing is worth waiting for (parked ones are at the broker, and may be answered).
    for (const p of this.pending.list()) if (p.agent === undefined && !p.parked) this.fail(p, error);
    await this.pending.whenEmpty(ms);
    for (const p of this.pending.list()) this.fail(p, error);
    this.pending.close();
    this.pusher.sent.clear();
  }

  // ---- internals ------------------------------------------------------------------------------

  /**
   * Fresh load (piggybacked status) and response time: the next pick sees them, not one ping later.
   * An answer given during its own send came from an in-process agent's synchronous handler: no
   * response time is sampled (a clock read costs more than the rest of that answer); its status,
   * which counts the process's event-loop utilisation, still is.
   */
  private observe(p: PendingRequest, status: number | undefined): void {
    if (!p.agent) return;
    if (p === this.sending) this.ctx.registry.observeResult(p.agent, status, undefined, 0);
    else this.ctx.registry.observeResult(p.agent, status, p.sentAt === 0 ? undefined : p.sentAt, Date.now());
  }

  /** The pending request `id` names: the one being sent (an in-process agent answers during the send) or one in the table. */
  private find(id: number): PendingRequest | undefined {
    const s = this.sending;
    return s !== undefined && s.packet.id === id && s.tracking !== 0 ? s : this.pending.get(id);
  }

  private packet(type: 'request' | 'push', route: string, payload: unknown, o: PushOptions, timeout: number): RequestPacket {
    const id = this.ctx.link()?.inProcess === true ? this.localIds.take(this.idTaken) : this.ids.take(this.idTaken);
    const packet: RequestPacket = { v: 1, type, id, route, payload, replyTo: this.ctx.identity, timeout, hops: o.hops ?? 0 };
    if (o.traceId !== undefined) packet.traceId = o.traceId;
    if (o.traceparent !== undefined) packet.traceparent = o.traceparent;
    return packet;
  }

  /** One fan-out leg: never moved to another agent. */
  private leg(d: Dispatch, agent: AgentRecord, timeout: number, cb: PendingCallbacks): void {
    const leg = new PendingRequest(this.packet('request', d.route, d.payload, d.options, d.timeout), d.tags, agent.identity, d.selector, cb);
    leg.failover = false;
    leg.delivery = d.options.delivery;
    leg.onProgress = d.options.onProgress;
    leg.deadline = d.deadline;
    this.pending.add(leg, timeout, d.options.signal, this.aborted);
    this.sendTo(leg, agent, false, Date.now());
  }

  /** The caller's signal aborted a pending request (one function for all, not one per request). */
  private readonly aborted = (req: PendingRequest): void => {
    // Runs in the signal's listener: a link that cannot send (closing, broker gone) must not throw out of it.
    try {
      if (req.agent) this.ctx.link()?.send(req.agent.identity, { v: 1, type: 'cancel', id: req.packet.id, replyTo: this.ctx.identity });
    } catch (err) {
      this.ctx.faults.record('unsentCancels', 'cancel-not-sent', { err, route: req.route }, 'a cancel could not be sent (the agent runs the request to its end)');
    }
    this.fail(req, abortedError(req.signal!));
  };

  /** Runs a selector (user code, guarded); a counted `NANITE_ERR_SELECTOR` when it misbehaved. */
  private pick(selector: Selector, candidates: readonly AgentRecord[], info: RequestInfo, all: boolean): AgentRecord[] | NaniteError {
    const picked = pickAgents(selector, candidates, info, all);
    if (picked.ok) return picked.agents;
    this.ctx.faults.record('selectorFaults', `selector-${picked.kind}`, { route: info.route, err: picked.error.cause }, picked.error.message);
    return picked.error;
  }

  /** {@link Dispatcher.pick} of one agent; `undefined` when the selector chose none. */
  private pickOne(selector: Selector, candidates: readonly AgentRecord[], info: RequestInfo): AgentRecord | NaniteError | undefined {
    const picked = pickAgent(selector, candidates, info);
    if (picked === undefined || picked instanceof AgentRecord) return picked;
    this.ctx.faults.record('selectorFaults', `selector-${picked.kind}`, { route: info.route, err: picked.error.cause }, picked.error.message);
    return picked.error;
  }

  /**
   * Fixes the deadline of a request made without a clock reading (its `timeout` from `now`) and
   * returns `now`; a no-op, but for the reading, on one already fixed.
   */
  private anchor(p: PendingRequest, now = 0): number {
    if (now === 0) now = Date.now();
    if (p.deadline === 0 && p.timeout > 0) p.deadline = now + p.timeout;
    return now;
  }

  /**
   * Picks an agent (excluding those tried, unless they came back since) and sends; parks, waits or
   * fails when none is left (a request that was sent before waits the failover window).
   * `now` 0: not read (see {@link Dispatcher.single}). Returns the time an in-process agent read
   * the clock while it took the request (0: none; see transport/own-link.ts).
   */
  private send(p: PendingRequest, persistent: boolean, now = this.anchor(p)): number {
    if (p.deadline > 0 && p.deadline <= now) {
      this.fail(p, this.expiredBeforeSend(p.route, p.timeout, p.agent?.identity));
      return 0;
    }
    const candidates = filterCandidates(this.ctx.registry.serving(p.route), p.tags, p.target, p.tried);
    const picked = candidates.length === 0 ? undefined : this.pickOne(p.selector, candidates, p);
    if (picked instanceof NaniteError) {
      this.fail(p, picked);
      return 0;
    }
    if (picked !== undefined) return this.sendTo(p, picked, persistent, now);
    if (candidates.length !== 0) {
      this.fail(p, choseNoneError(p.route, candidates.length, p.tags, p.target));
      return 0;
    }
    // Waiting or parking counts time: from here on the deadline is fixed.
    if (now === 0) now = this.anchor(p);
    const link = this.ctx.link();
    if (persistent && p.attempts === 0 && link?.park) {
      p.parked = true;
      p.packet.sentAt = now;
      link.park(p.packet, p.deadline > 0 ? Math.min(this.ctx.persistentTtl, p.deadline - now) : this.ctx.persistentTtl);
      return 0;
    }
    const retry = (): void => {
      if (this.pending.has(p)) this.send(p, false);
    };
    const how = p.attempts > 0 ? 'failover' : persistent ? 'persistent' : 'fresh';
    this.wait.whenNoAgent({ route: p.route, tags: p.tags, target: p.target, deadline: p.deadline, tried: p.tried }, how, retry, (err) => this.fail(p, err));
    return 0;
  }

  /**
   * Sends with the time left as the packet's `timeout` and the transport's `ttl`; never once the
   * deadline is gone. `now` 0 (not read): handed to the transport's own entry with the whole
   * timeout and no `sentAt`. Returns what {@link Dispatcher.send} returns.
   */
  private sendTo(p: PendingRequest, agent: AgentRecord, persistent: boolean, now: number): number {
    const left = p.deadline > 0 ? Math.ceil(p.deadline - now) : now === 0 ? p.timeout : 0;
    if (p.deadline > 0 && left <= 0) {
      this.fail(p, this.expiredBeforeSend(p.route, p.timeout, agent.identity));
      return 0;
    }
    p.packet.timeout = left;
    if (now !== 0) p.packet.sentAt = p.sentAt = now;
    p.agent = agent;
    p.attempts++;
    agent.pending++;
    const link = this.ctx.link() as OwnMapperLink;
    const outer = this.sending;
    this.sending = p;
    try {
      // A packet this dispatcher built goes through the transport's own entry when it has one
      // (memory://: not re-validated on receipt, no options object; see transport/own-link.ts).
      const own = link[sendOwnRequest];
      const read = own === undefined ? NOT_HANDLED : own.call(link, agent.identity, p.packet, now);
      if (read !== NOT_HANDLED) return read;
      if (now === 0) {
        // Not handed over after all (a wrapper of the link): a wire send counts time.
        now = this.anchor(p);
        p.packet.timeout = p.timeout;
        p.packet.sentAt = p.sentAt = now;
      }
      link.send(agent.identity, p.packet, sendOptions(p, persistent, now, p.packet.timeout));
    } catch (err) {
      this.fail(p, err instanceof NaniteError ? err : new NaniteError('NANITE_ERR_TRANSPORT', { message: 'Could not send the request', cause: err }));
    } finally {
      this.sending = outer;
    }
    return 0;
  }

  /** Re-sends to another agent, or fails with `error` when the request may not move. */
  private redispatch(p: PendingRequest, error: NaniteError): void {
    if (p.agent) {
      p.markTried(p.agent);
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

  /** True when `from` is the agent the request (or this fan-out leg) was sent to; otherwise counts a stray. */
  private fromItsAgent(p: PendingRequest, from: string, what: string): boolean {
    // A parked request may be taken by whichever agent serves the route first.
    if (p.agent ? p.agent.identity === from : p.parked) return true;
    this.ctx.faults.record('strayReplies', `stray-${what}`, { route: p.route, from, expected: p.agent?.identity }, `a ${what} from an agent the request was not sent to was dropped`);
    return false;
  }

  /**
   * Out of dispatch, and asked to register again: a draining agent does not answer; a live one the
   * broker returned a request of by mistake (seen while a cluster node leaves) is back in one round
   * trip, not on its next Ping.
   */
  private suspend(agent: string): void {
    const record = this.ctx.registry.get(agent);
    if (!record) return;
    this.ctx.registry.suspend(record);
    this.ctx.stale(record);
  }

  private expiredBeforeSend(route: string, timeout: number, agent: string | undefined): NaniteError {
    this.ctx.faults.expiredBeforeSend++;
    return notSentError(route, timeout, agent);
  }

  private expire(p: PendingRequest): void {
    this.fail(p, timeoutError(p.route, p.timeout, p.agent?.identity));
  }

  private fail(p: PendingRequest, error: NaniteError): void {
    if (this.pending.complete(p)) p.callbacks.reject(error);
  }
}

function sendOptions(p: PendingRequest, persistent: boolean, now: number, left: number): SendOptions {
  const options: SendOptions = { persistent, now };
  if (p.delivery !== undefined) options.delivery = p.delivery;
  if (left > 0) options.ttl = left;
  return options;
}
