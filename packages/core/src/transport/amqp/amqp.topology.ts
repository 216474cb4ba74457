/**
 * The AMQP topology of Nanite: names derived from one prefix, and who declares what.
 *
 * Exchanges (all durable, declared idempotently by every link that publishes to them, so a broker
 * restart never leaves a publisher facing a missing exchange):
 * - `<p>.heartbeat` fanout: Register / Ping / UnRegister, to every mapper.
 * - `<p>.advertise` fanout: Advertise and surveys, to every agent.
 * - `<p>.agent` direct: requests, pushes and unicast advertises (routing key = agent identity); cancels, upload
 *   chunks and their end, stream credit (key = `control.<identity>`, or `probe.<identity>` for an agent of an earlier release).
 * - `<p>.reply` direct: results/progress by mapper identity (fallback when direct reply-to is unknown or stale), survey answers, and requests bounced by a draining agent.
 * - `<p>.park` direct: parked (offline-failsafe) requests, routing key = route.
 *
 * Queues:
 * - `<p>.agent.<identity>` exclusive, declared by the agent, bound to `<p>.agent` (key = identity) and `<p>.advertise`.
 * - `<p>.agent.<identity>.control` exclusive, declared by the agent, bound to `<p>.agent` (key = `control.<identity>`):
 *   what follows its running requests (upload chunks, credit, cancels), consumed outside the requests' prefetch window.
 *   Under `<p>.agent.` so that the least-privilege permissions of earlier releases cover it; a name taken by another
 *   agent's request queue (an identity ending in `.control`) is RESOURCE_LOCKED, and the agent picks fresh names.
 * - `<p>.mapper.<identity>` exclusive, declared by the mapper, bound to `<p>.heartbeat` and `<p>.reply` (key = identity).
 * - `<p>.park.<route>` durable (classic, or quorum: replicated over a cluster), declared by mappers that park and by agents serving the route.
 * - `amq.rabbitmq.reply-to`: the mapper's direct reply-to pseudo-queue, the fast path for results.
 */
import type { Channel } from 'amqplib';
import { controlKey, probeKey } from './amqp.wire';

/** Exchange and queue names of one prefix. */
export interface AmqpNames {
  readonly heartbeat: string;
  readonly advertise: string;
  readonly agent: string;
  readonly reply: string;
  readonly park: string;
  /** Queue type of the park queues. */
  readonly parkQueueType: 'classic' | 'quorum';
  agentQueue(identity: string): string;
  /** The control queue that goes with request queue `agentQueue` (`<agentQueue>.control`, a fresh name included). */
  controlQueue(agentQueue: string): string;
  mapperQueue(identity: string): string;
  parkQueue(route: string): string;
}

/** The pseudo-queue of RabbitMQ's direct reply-to. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** Names of every exchange and queue under `prefix`. */
export function amqpNames(prefix: string, parkQueueType: 'classic' | 'quorum' = 'classic'): AmqpNames {
  return {
    parkQueueType,
    heartbeat: `${prefix}.heartbeat`,
    advertise: `${prefix}.advertise`,
    agent: `${prefix}.agent`,
    reply: `${prefix}.reply`,
    park: `${prefix}.park`,
    agentQueue: (identity) => `${prefix}.agent.${identity}`,
    controlQueue: (agentQueue) => `${agentQueue}.control`,
    mapperQueue: (identity) => `${prefix}.mapper.${identity}`,
    parkQueue: (route) => `${prefix}.park.${route}`,
  };
}

/** Declares the exchanges (durable, idempotent). */
export async function declareExchanges(ch: Channel, n: AmqpNames): Promise<void> {
  await Promise.all([
    ch.assertExchange(n.heartbeat, 'fanout', { durable: true }),
    ch.assertExchange(n.advertise, 'fanout', { durable: true }),
    ch.assertExchange(n.agent, 'direct', { durable: true }),
    ch.assertExchange(n.reply, 'direct', { durable: true }),
    ch.assertExchange(n.park, 'direct', { durable: true }),
  ]);
}

/**
 * Declares and binds the durable park queue of a route. Same arguments from every declarer: a
 * quorum queue (replicated over the cluster's nodes) or a classic one, as the transport says.
 */
export async function declareParkQueue(ch: Channel, n: AmqpNames, route: string): Promise<string> {
  const queue = n.parkQueue(route);
  await ch.assertQueue(queue, n.parkQueueType === 'quorum' ? { durable: true, arguments: { 'x-queue-type': 'quorum' } } : { durable: true });
  await ch.bindQueue(queue, n.park, route);
  return queue;
}

/**
 * Declares an agent's exclusive request queue and binds it: to `P.advertise`, to `P.agent` with
 * the probe key (kept while draining: mappers' liveness probes come back only once the queue is
 * gone) and, while the agent takes work, with its identity. `queue` defaults to `P.agent.<identity>`
 * (an agent whose name is locked by a crashed cluster node's stale queue picks another).
 */
export async function declareAgentQueue(ch: Channel, n: AmqpNames, identity: string, takingWork: boolean, queue = n.agentQueue(identity)): Promise<string> {
  await ch.assertQueue(queue, { exclusive: true });
  await ch.bindQueue(queue, n.advertise, '');
  await ch.bindQueue(queue, n.agent, probeKey(identity));
  if (takingWork) await ch.bindQueue(queue, n.agent, identity);
  return queue;
}

/** How long a control queue nobody consumes lives (ms): one an attach left behind goes by itself. */
export const CONTROL_QUEUE_EXPIRES = 30_000;

/** Declares an agent's exclusive control queue, bound to `P.agent` with its control key. */
export async function declareAgentControlQueue(ch: Channel, n: AmqpNames, identity: string, queue: string): Promise<string> {
  await ch.assertQueue(queue, { exclusive: true, expires: CONTROL_QUEUE_EXPIRES });
  await ch.bindQueue(queue, n.agent, controlKey(identity));
  return queue;
}

/** Declares a mapper's exclusive queue (default name `P.mapper.<identity>`), bound to `P.heartbeat` and to `P.reply` with its identity. */
export async function declareMapperQueue(ch: Channel, n: AmqpNames, identity: string, queue = n.mapperQueue(identity)): Promise<string> {
  await ch.assertQueue(queue, { exclusive: true });
  await ch.bindQueue(queue, n.heartbeat, '');
  await ch.bindQueue(queue, n.reply, identity);
  return queue;
}
