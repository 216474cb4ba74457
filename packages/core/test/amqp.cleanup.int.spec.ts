// removeAmqpTopology deletes a prefix's durable exchanges and park queues, and tolerates repeats.
import { connect } from 'amqplib';
import { amqpNames, removeAmqpTopology } from '../src';
import { AMQP_URL, uniquePrefix } from './amqp.helpers';

test('removes the exchanges and park queues of a prefix', async () => {
  const prefix = uniquePrefix('cleanup');
  const n = amqpNames(prefix);
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange(n.heartbeat, 'fanout', { durable: true });
    await ch.assertExchange(n.park, 'direct', { durable: true });
    await ch.assertQueue(n.parkQueue('/billing/charge'), { durable: true });
    await ch.close();
    await removeAmqpTopology(`${AMQP_URL}?prefix=${prefix}`, prefix, { routes: ['/billing/charge'] });
    await removeAmqpTopology(AMQP_URL, prefix, { routes: ['/billing/charge'] }); // again: nothing left, no error
    for (const check of [(c: import('amqplib').Channel) => c.checkExchange(n.heartbeat), (c: import('amqplib').Channel) => c.checkQueue(n.parkQueue('/billing/charge'))]) {
      const probe = await conn.createChannel();
      probe.on('error', () => undefined); // the 404 closes the channel; the rejection below is the assertion
      await expect(check(probe)).rejects.toThrow(/NOT_FOUND/);
    }
  } finally {
    await conn.close();
  }
});
