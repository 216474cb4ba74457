/**
 * Fire-and-forget sends of one mapper, and what happens when a push comes back undelivered: like a
 * request moving off an agent it lost, it goes to another agent that may take it (its target and
 * tags still hold), or waits the failover window for one to appear or come back; a fan-out leg is
 * never moved (the other agents have their own copies).
 */
import { NaniteError } from '../errors';
import type { RequestPacket } from '../protocol/packets';
import type { RequestInfo, Selector } from '../selectors/selector';
import type { MapperLink, SendOptions } from '../transport/transport';
import type { AgentWait } from './agent-wait';
import { filterCandidates } from './candidates';
import type { MapperFaults } from './mapper-faults';
import type { PushOptions } from './mapper.options';
import type { AgentRecord, Registry } from './registry';
import { choseNoneError } from './mapper-errors';
import { SentPushes, type PushCopy } from './sent-pushes';
import { TriedAgents } from './tried-agents';

/** A push, resolved into what sending needs. */
export interface PushDispatch {
  route: string;
  payload: unknown;
  options: PushOptions;
  selector: Selector;
  tags: readonly string[];
}

/** What the pusher needs from its dispatcher. */
export interface PushContext {
  readonly registry: Registry;
  readonly wait: AgentWait;
  readonly faults: MapperFaults;
  /** How long a push that came back may wait for an agent to take it (ms). */
  readonly failoverWindow: number;
  link(): MapperLink | undefined;
  /** Runs a selector; a NaniteError (already counted) when it misbehaved. */
  pick(selector: Selector, candidates: readonly AgentRecord[], info: RequestInfo, all: boolean): AgentRecord[] | NaniteError;
  /** A new push packet with a fresh id. */
  packet(d: PushDispatch): RequestPacket;
  /** Takes an agent out of dispatch until it registers again. */
  suspend(agent: string): void;
  /** Counts a re-sent push. */
  redispatched(): void;
}

/** Most pushes held at once for an agent to take them; past it a returned push is dropped and counted. */
const MAX_HELD = 10_000;

/** Sends pushes and moves the ones that come back to an agent that may take them. */
export class Pusher {
  /** Pushes sent lately, by id: only these are re-sent when they come back. */
  readonly sent = new SentPushes();
  /** Ids of pushes that came back and wait for an agent. */
  private readonly held = new Set<number>();

  constructor(private readonly ctx: PushContext) {}

  /** True when a push with this id was sent lately or waits to be sent again (its id is not reused). */
  /** Pushes handed back and waiting for an agent to take them now. */
  get heldCount(): number {
    return this.held.size;
  }

  has(id: number): boolean {
    return (this.sent.size !== 0 && this.sent.has(id)) || (this.held.size !== 0 && this.held.has(id));
  }

  /** Sends to the agent the selector picks (every one for a fan-out); waits like a request would when none serves the route. */
  async push(d: PushDispatch): Promise<void> {
    const { route, payload, options, selector, tags } = d;
    // A fan-out right after start waits for the cluster to answer the Advertise.
    if (selector.fanOut) await new Promise<void>((resolve) => this.ctx.wait.afterDiscovery(0, resolve) || resolve());
    const candidates = filterCandidates(this.ctx.registry.serving(route), tags, options.target, undefined);
    const picked = candidates.length === 0 ? [] : this.ctx.pick(selector, candidates, { route, payload, tags, target: options.target }, selector.fanOut === true);
    if (picked instanceof NaniteError) throw picked;
    if (picked.length === 0 && candidates.length !== 0) throw choseNoneError(route, candidates.length, tags, options.target);
    if (picked.length === 0) {
      await new Promise<void>((resolve, reject) => this.ctx.wait.whenNoAgent({ route, tags, target: options.target, deadline: 0 }, options.persistent === true ? 'persistent' : 'fresh', resolve, reject));
      return this.push({ ...d, options: { ...options, persistent: false } });
    }
    const sendOptions: SendOptions = options.delivery === undefined ? { persistent: options.persistent ?? false } : { persistent: options.persistent ?? false, delivery: options.delivery };
    const leg = selector.fanOut === true;
    for (const agent of picked) this.send(agent.identity, { packet: this.ctx.packet(d), selector, tags, target: options.target, options: sendOptions, leg });
  }

  /**
   * The transport handed a push back: move our own copy, only if we sent that push to that agent.
   * The agent may have left dispatch already (a draining agent hands back what reached it late, after
   * its UnRegister; a dead one's queue returns what was on its way): our sent table, not the
   * registry, says whether the return is ours.
   */
  returned(packet: RequestPacket, agent: string): void {
    const copy = typeof packet.id === 'number' ? this.sent.take(packet.id, agent) : undefined;
    if (!copy) {
      this.ctx.faults.record('strayReturns', 'stray-push-return', { agent }, 'a returned push this mapper did not send to that agent (or already re-sent) was dropped');
      return;
    }
    this.ctx.suspend(agent);
    const route = copy.packet.route;
    if (copy.leg) {
      this.ctx.faults.record('undeliveredPushes', 'push-leg-undeliverable', { route, agent }, 'one agent of a fan-out push could not be given its copy; it was dropped (the others have theirs)');
      return;
    }
    copy.tried ??= new TriedAgents();
    // Gone from the registry: whoever registers under its identity next is another entry, free to take it.
    const record = this.ctx.registry.get(agent);
    if (record) copy.tried.add(record);
    copy.until ??= Date.now() + this.ctx.failoverWindow;
    this.move(copy, agent);
  }

  /** Sends the copy to an agent that may take it (picked by the selector it was pushed with), or holds it. */
  private move(copy: PushCopy, from: string): void {
    const route = copy.packet.route;
    const candidates = filterCandidates(this.ctx.registry.serving(route), copy.tags, copy.target, copy.tried);
    const next = candidates.length === 0 ? [] : this.ctx.pick(copy.selector, candidates, { route, payload: copy.packet.payload, tags: copy.tags, target: copy.target }, false);
    if (next instanceof NaniteError) return; // counted and logged by pick
    if (next.length === 0) {
      this.hold(copy, from);
      return;
    }
    this.ctx.redispatched();
    try {
      this.send(next[0]!.identity, copy);
    } catch (err) {
      // We are inside a transport callback or a registry change: nobody awaits this push any more.
      this.ctx.faults.record('undeliveredPushes', 'push-resend-failed', { route, err }, 'a returned push could not be re-sent; it was dropped');
    }
  }

  /** No agent may take it now: wait until its failover window ends for one to appear or come back. */
  private hold(copy: PushCopy, from: string): void {
    const id = copy.packet.id;
    const route = copy.packet.route;
    const drop = (): void => {
      this.held.delete(id);
      this.ctx.faults.record('undeliveredPushes', 'push-undeliverable', { route, agent: from }, 'a push could not be delivered and no other agent took it within the failover window; it was dropped');
    };
    if (this.held.size >= MAX_HELD || Date.now() >= copy.until!) {
      drop();
      return;
    }
    this.held.add(id);
    const retry = (): void => {
      this.held.delete(id);
      if (Date.now() >= copy.until!) drop();
      else this.move(copy, from);
    };
    this.ctx.wait.whenNoAgent({ route, tags: copy.tags, target: copy.target, deadline: copy.until!, tried: copy.tried }, 'failover', retry, drop);
  }

  private send(agent: string, copy: PushCopy): void {
    const now = Date.now();
    copy.packet.sentAt = now;
    this.ctx.link()!.send(agent, copy.packet, copy.options);
    this.sent.add(agent, copy, now);
  }
}
