/**
 * An agent checking that the broker still routes to its own queue.
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
 * the broker has no record of the queue any more, and the link attaches again under a fresh name.
 * Cost: one tiny publish per heartbeat.
 */
import type { Channel, Message } from 'amqplib';
import { PROBE_TYPE } from './amqp.wire';

const EMPTY = Buffer.alloc(0);
/** The default exchange: routes a message to the queue named by its routing key. */
const DEFAULT_EXCHANGE = '';

/** Publishes the probe of `queue` on `ch` (throws only if the channel is closed; callers ignore that). */
export function publishSelfProbe(ch: Channel, queue: string): void {
  ch.publish(DEFAULT_EXCHANGE, queue, EMPTY, { mandatory: true, expiration: '0', type: PROBE_TYPE });
}

/** True when `m`, a message the broker returned, is the probe of `queue` (the broker no longer knows the queue). */
export function isOwnProbe(m: Message, queue: string): boolean {
  return m.properties.type === PROBE_TYPE && m.fields.exchange === DEFAULT_EXCHANGE && m.fields.routingKey === queue;
}
