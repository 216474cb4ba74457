/**
 * A node list on the shared broker: an unreachable node first is skipped at once, the transport
 * reports the node it is on, and a one-node list behaves as before (classic park queues).
 */
import { AmqpTransport, NaniteError } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

describe('amqp:// node lists', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  test('skips an unreachable node, reports the node it is on (transport.node, onConnectionChange, nodes())', async () => {
    const shared = new URL(AMQP_URL);
    const prefix = uniquePrefix('nodes');
    // Port 1 on loopback refuses at once: the next node is tried without waiting for a backoff.
    const url = `amqp://${shared.username}:${shared.password}@127.0.0.1:1,${shared.host}${shared.pathname}?prefix=${prefix}&nodeOrder=ordered&queueType=classic`;
    const t = new AmqpTransport({ url });
    closers.push(() => t.close(), () => removeTopology([prefix]));
    const seen: Array<[boolean, string | undefined]> = [];
    t.onConnectionChange((up, node) => seen.push([up, node]));
    await t.connect();
    expect(t.isConnected).toBe(true);
    const node = `${shared.hostname}:${shared.port || '5672'}`;
    expect(t.node).toBe(node);
    expect(seen).toEqual([[true, node]]);
    expect(t.nodes().map((n) => [n.node, n.state])).toEqual([['127.0.0.1:1', 'down'], [node, 'up']]);
  });

  test('failFast with every node unreachable: NANITE_ERR_NOT_CONNECTED after trying each', async () => {
    const t = new AmqpTransport({ url: 'amqp://guest:guest@127.0.0.1:1,127.0.0.1:2?failFast=true&nodeOrder=ordered' });
    closers.push(() => t.close());
    const err = await t.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NaniteError);
    expect((err as NaniteError).code).toBe('NANITE_ERR_NOT_CONNECTED');
    expect(t.nodes().map((n) => n.state)).toEqual(['down', 'down']);
  });
});
