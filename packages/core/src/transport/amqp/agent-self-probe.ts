/**
 * An agent checking that the broker still routes to its own queues.
 *
 * After a cluster node crashes, every surviving node cleans up the queues that lived there, reading
 * the records first and deleting them later. An agent that re-declared its queue in between (same
 * name, on a surviving node) can have the new queue's record and bindings deleted by the slower
 * node's clean-up (rabbitmq-server#9798): the queue process and the agent's consumer live on, no
 * cancel arrives, but nothing is routed to it any more. Mappers then see the agent's Pings while
 * every request and Advertise sent to it is returned or dropped — out of dispatch for good.
 *
 * So with each heartbeat the agent publishes one empty `mandatory` probe to its own queue through
 * the default exchange (`amq.default`, which routes by queue name: the one exchange besides its
 * heartbeat and reply exchanges the documented least-privilege permissions let an agent write to).
 * Routed, it is dropped at once (`expiration: 0`, or acknowledged by the agent's inbox); returned,
 * the broker may have no record of the queue any more.
 *
 * One return is not proof: while another node of the cluster leaves, a broker has been seen to
 * return a probe of a queue that lives on (an agent on a surviving node re-attached for nothing,
 * losing the requests queued for it). A return is confirmed by a second probe `confirmDelay` ms
 * later; only when that one comes back too is the queue reported lost (and the link attaches again
 * under a fresh name). A confirming probe not returned within `confirmWait` ms was routed: the
 * suspicion ends. Cost: one tiny publish per heartbeat, one more per unconfirmed return.
 *
 * The agent link keeps two: one for its request queue, one for its control queue (the same
 * clean-up can remove either record; without the control queue, cancels and what follows running
 * requests would be dropped unseen). Either loss attaches again under fresh names for both.
 */
import type { Channel, Message } from 'amqplib';
import { PROBE_TYPE } from './amqp.wire';

const EMPTY = Buffer.alloc(0);
/** The default exchange: routes a message to the queue named by its routing key. */
const DEFAULT_EXCHANGE = '';
/** `messageId` of a confirming probe (heartbeat probes carry none). */
const CONFIRM_ID = 'nanite.probe.confirm';

/** What a {@link SelfProbe} needs from its agent link. */
export interface SelfProbeSettings {
  /** How long after a returned probe the confirming one goes out (ms). */
  confirmDelay: number;
  /** How long the confirming probe may take to come back before it counts as routed (ms). */
  confirmWait: number;
  /** The broker returned two probes of `queue` on `ch` in a row: it no longer routes to it. */
  lost(ch: Channel, queue: string): void;
  /** A returned probe of `queue` that the confirming probe did not confirm (nothing else is done). */
  unconfirmed(queue: string): void;
}

interface Suspicion {
  ch: Channel;
  queue: string;
  /** False until the confirming probe is out. */
  confirming: boolean;
  timer: NodeJS.Timeout;
}

/** An agent link's probes of its own queue, and the confirmation of a returned one. */
export class SelfProbe {
  private suspicion: Suspicion | undefined;
  /** Returns not confirmed by the second probe (counted: a broker that returns probes of live queues). */
  unconfirmed = 0;

  constructor(private readonly s: SelfProbeSettings) {}

  /** Publishes the probe of `queue` on `ch` (throws only if the channel is closed; callers ignore that). */
  publish(ch: Channel, queue: string): void {
    probe(ch, queue, undefined);
  }

  /**
   * A message the broker returned on `ch`: true when it is a probe of `queue` (handled here: the
   * first return starts a confirmation, the confirming probe's return reports the queue lost).
   */
  returned(ch: Channel, m: Message, queue: string): boolean {
    if (m.properties.type !== PROBE_TYPE || m.fields.exchange !== DEFAULT_EXCHANGE || m.fields.routingKey !== queue) return false;
    const s = this.suspicion;
    if (s === undefined) {
      this.suspect(ch, queue);
      return true;
    }
    // Other probes of the same burst come back too while the confirmation is under way.
    if (s.ch !== ch || s.queue !== queue || !s.confirming || m.properties.messageId !== CONFIRM_ID) return true;
    this.reset();
    this.s.lost(ch, queue);
    return true;
  }

  /** Forgets a suspicion under way (the channel went, or the link closes). Idempotent. */
  reset(): void {
    if (this.suspicion) clearTimeout(this.suspicion.timer);
    this.suspicion = undefined;
  }

  private suspect(ch: Channel, queue: string): void {
    const timer = setTimeout(() => this.confirm(), this.s.confirmDelay);
    timer.unref();
    this.suspicion = { ch, queue, confirming: false, timer };
  }

  private confirm(): void {
    const s = this.suspicion;
    if (!s) return;
    try {
      probe(s.ch, s.queue, CONFIRM_ID);
    } catch {
      // The channel closed meanwhile: the link attaches again anyway.
      this.reset();
      return;
    }
    s.confirming = true;
    s.timer = setTimeout(() => {
      // Not returned: routed. The first return was not the broker forgetting the queue.
      this.suspicion = undefined;
      this.unconfirmed++;
      this.s.unconfirmed(s.queue);
    }, this.s.confirmWait);
    s.timer.unref();
  }
}

/** One empty `mandatory` probe of `queue` through the default exchange, dropped at once once routed. */
function probe(ch: Channel, queue: string, messageId: string | undefined): void {
  ch.publish(DEFAULT_EXCHANGE, queue, EMPTY, { mandatory: true, expiration: '0', type: PROBE_TYPE, ...(messageId !== undefined ? { messageId } : {}) });
}
