/** Fire-and-forget sends of one mapper, and what happens when a push comes back undelivered. */
import { NaniteError } from '../errors';
import type { RequestPacket } from '../protocol/packets';
import type { RequestInfo, Selector } from '../selectors/selector';
import type { MapperLink, SendOptions } from '../transport/transport';
import type { AgentWait } from './agent-wait';
import { filterCandidates } from './candidates';
import type { MapperFaults } from './mapper-faults';
import type { PushOptions } from './mapper.options';
import type { AgentRecord, Registry } from './registry';
import { SentPushes } from './sent-pushes';
import { excludeIdentity } from './tried-agents';

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
  /** Selector for re-sending pushes that came back. */
  readonly defaultSelector: Selector;
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

/** Sends pushes and re-sends the ones that come back, once, to another agent. */
export class Pusher {
  /** Pushes sent lately, by id: only these are re-sent when they come back. */
  readonly sent = new SentPushes();

  constructor(private readonly ctx: PushContext) {}

  /** Sends to the agent the selector picks (every one for a fan-out); waits like a request would when none serves the route. */
  async push(d: PushDispatch): Promise<void> {
    const { route, payload, options, selector, tags } = d;
    // A fan-out right after start waits for the cluster to answer the Advertise.
    if (selector.fanOut) await new Promise<void>((resolve) => this.ctx.wait.afterDiscovery(0, resolve) || resolve());
    const candidates = filterCandidates(this.ctx.registry.serving(route), tags, options.target, undefined);
    const picked = candidates.length === 0 ? [] : this.ctx.pick(selector, candidates, { route, payload, tags, target: options.target }, selector.fanOut === true);
    if (picked instanceof NaniteError) throw picked;
    if (picked.length === 0) {
      await new Promise<void>((resolve, reject) => this.ctx.wait.whenNoAgent({ route, tags, target: options.target, deadline: 0 }, options.persistent === true ? 'persistent' : 'fresh', resolve, reject));
      return this.push({ ...d, options: { ...options, persistent: false } });
    }
    const sendOptions: SendOptions = options.delivery === undefined ? { persistent: options.persistent ?? false } : { persistent: options.persistent ?? false, delivery: options.delivery };
    for (const agent of picked) this.send(agent.identity, this.ctx.packet(d), sendOptions);
  }

  /** The transport handed a push back: re-send our own copy once, only if we sent that push to that agent. */
  returned(packet: RequestPacket, agent: string): void {
    const ours = this.ctx.registry.get(agent) && typeof packet.id === 'number' ? this.sent.take(packet.id, agent) : undefined;
    if (!ours) {
      this.ctx.faults.record('strayReturns', 'stray-push-return', { agent }, 'a returned push this mapper did not send to that agent (or already re-sent) was dropped');
      return;
    }
    this.ctx.suspend(agent);
    const candidates = filterCandidates(this.ctx.registry.serving(ours.route), [], undefined, excludeIdentity(agent));
    const next = candidates.length ? this.ctx.pick(this.ctx.defaultSelector, candidates, { route: ours.route, payload: ours.payload, tags: [], target: undefined }, false) : [];
    if (next instanceof NaniteError) return; // counted and logged by pick
    if (next.length === 0) {
      this.ctx.faults.record('undeliveredPushes', 'push-undeliverable', { route: ours.route, agent }, 'a push could not be delivered and no other agent serves its route; it was dropped');
      return;
    }
    this.ctx.redispatched();
    try {
      this.send(next[0]!.identity, ours);
    } catch (err) {
      // We are inside a transport callback: nobody awaits this push any more.
      this.ctx.faults.record('undeliveredPushes', 'push-resend-failed', { route: ours.route, err }, 'a returned push could not be re-sent; it was dropped');
    }
  }

  private send(agent: string, packet: RequestPacket, options?: SendOptions): void {
    const now = Date.now();
    packet.sentAt = now;
    this.ctx.link()!.send(agent, packet, options);
    this.sent.add(agent, packet, now);
  }
}
