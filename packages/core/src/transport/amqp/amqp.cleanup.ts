/**
 * Removes what a Nanite application leaves in a broker on purpose: its durable exchanges and the
 * durable park queues of offline-failsafe routes (agents' and mappers' own queues go with them).
 * For decommissioning an application prefix, and for tests that use a prefix per test.
 */
import { amqpNames } from './amqp.topology';
import { resolveNodes } from './amqp.nodes';
import { gossipNames } from './amqp-gossip.link';

/** Options of {@link removeAmqpTopology}. */
export interface RemoveAmqpTopologyOptions {
  /** Routes whose park queues to delete (park queues may hold requests: they are deleted even when not empty). */
  routes?: readonly string[];
}

/**
 * Deletes the exchanges of `prefix` (and the park queues of `routes`) on the broker at `url` (a
 * cluster's host list: through the first node that answers). Deleting what does not exist is not an
 * error. Live agents and mappers of the prefix lose their bindings: stop them first.
 */
export async function removeAmqpTopology(url: string, prefix: string, options: RemoveAmqpTopologyOptions = {}): Promise<void> {
  const { nodes } = resolveNodes({ url, urls: undefined, heartbeat: 0, order: 'ordered' });
  const amqp = await import('amqplib');
  let conn: Awaited<ReturnType<typeof amqp.connect>> | undefined;
  let failure: unknown;
  for (const node of nodes) {
    try {
      conn = await amqp.connect(node.url);
      break;
    } catch (err) {
      failure = err;
    }
  }
  if (!conn) throw failure;
  try {
    const ch = await conn.createChannel();
    const n = amqpNames(prefix);
    for (const route of options.routes ?? []) await ch.deleteQueue(n.parkQueue(route));
    const g = gossipNames(prefix);
    for (const exchange of [n.heartbeat, n.advertise, n.agent, n.reply, n.park, g.fanout, g.direct]) await ch.deleteExchange(exchange);
    await ch.close();
  } finally {
    await conn.close();
  }
}
