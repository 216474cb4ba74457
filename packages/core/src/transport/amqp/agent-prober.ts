/**
 * Notices fast that an agent holding a mapper's requests died.
 *
 * An agent's request queue is exclusive: the broker deletes it the moment the agent's connection
 * closes (a killed process's socket is closed by its kernel at once). Besides its identity, the
 * queue is bound to `P.agent` with the key `probe.<identity>`, a binding it keeps while draining.
 * Every `interval` ms the prober publishes an empty `mandatory` probe with that key and
 * `expiration: 0` for each agent holding in-flight requests of this mapper: while the queue exists
 * the probe is routed (and dropped at once, or ignored by the agent), and once it is gone the
 * broker returns it, which the mapper link hands to {@link AgentProber.returned}.
 *
 * Cost: one tiny publish per such agent per interval, no round trip, nothing while idle. (A passive
 * queue declare would do too, but on another connection's exclusive queue it fails with
 * RESOURCE_LOCKED, closing the channel and filling the broker's log.)
 */
import type { Channel } from 'amqplib';
import { PROBE_PREFIX, PROBE_TYPE, probeKey } from './amqp.wire';

const EMPTY = Buffer.alloc(0);

/** What the prober needs from its mapper link. */
export interface AgentProberSettings {
  interval: number;
  /** The `P.agent` exchange. */
  exchange: string;
  /** Agents to probe now. */
  candidates(): string[];
  /** The agent's queue is gone. */
  gone(agent: string): void;
}

/** Periodic mandatory probes of agents' queues. */
export class AgentProber {
  private timer: NodeJS.Timeout | undefined;
  private ch: Channel | undefined;

  constructor(private readonly s: AgentProberSettings) {}

  /** Starts probing over `ch` (the mapper's channel, whose returns the link passes to {@link returned}). */
  start(ch: Channel): void {
    this.stop();
    this.ch = ch;
    this.timer = setInterval(() => this.tick(), this.s.interval);
    this.timer.unref();
  }

  /** Stops probing. Idempotent. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.ch = undefined;
  }

  /** A returned message: true when it was a probe (and its agent is reported gone). */
  returned(routingKey: string, type: unknown): boolean {
    if (type !== PROBE_TYPE || !routingKey.startsWith(PROBE_PREFIX)) return false;
    this.s.gone(routingKey.slice(PROBE_PREFIX.length));
    return true;
  }

  private tick(): void {
    const ch = this.ch;
    if (!ch) return;
    try {
      for (const agent of this.s.candidates()) {
        ch.publish(this.s.exchange, probeKey(agent), EMPTY, { mandatory: true, expiration: '0', type: PROBE_TYPE });
      }
    } catch {
      // The channel closed under us: the link re-attaches and restarts probing on the new one.
    }
  }
}
