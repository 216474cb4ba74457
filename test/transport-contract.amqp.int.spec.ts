/**
 * The published transport contract suite (`@nanite/core/testing`) against amqp://, imported by its
 * public name as a third-party transport author would. Every transport reaches the shared broker
 * through its own TCP proxy, so a case can cut its connection (reconnect) without touching a broker
 * other tests use; every case gets its own topology prefix.
 */
import { AmqpTransport, type AmqpDelivery } from '@nanite/core';
import { CONTRACT_ROUTES, describeTransportContract, type ContractCluster, type TransportCapabilities } from '@nanite/core/testing';
import { AMQP_URL, removeTopology, uniquePrefix, withQuery } from './amqp.helpers';
import { TcpProxy } from './support/tcp-proxy';

const prefixes: string[] = [];
afterAll(() => removeTopology(AMQP_URL, prefixes, CONTRACT_ROUTES));

function cluster(delivery: AmqpDelivery): () => ContractCluster<AmqpTransport> {
  return () => {
    const prefix = uniquePrefix('contract');
    prefixes.push(prefix);
    const broker = new URL(AMQP_URL);
    const proxies = new Map<AmqpTransport, TcpProxy>();
    return {
      transport: async (options = {}) => {
        const proxy = await TcpProxy.start(broker.hostname, Number(broker.port || 5672));
        const url = new URL(withQuery(AMQP_URL, { prefix, reconnectMin: 50, reconnectMax: 200 }));
        url.port = String(proxy.port);
        const t = new AmqpTransport({ url: url.toString(), delivery, ...(options.serializer ? { serializer: options.serializer } : {}) });
        proxies.set(t, proxy);
        return t;
      },
      interrupt: (t) => proxies.get(t)?.cut(),
      close: async () => {
        for (const proxy of proxies.values()) await proxy.close();
      },
    };
  };
}

describeTransportContract({
  name: 'amqp://',
  cluster: cluster('ack-after-handler'),
  capabilities: { prefetch: true, ttl: true, agentGone: true, park: true, reconnect: true, serializer: true },
  patience: 5_000,
  quiet: 500,
});

// At-most-once changes redelivery, not flow control: every delivery is still acknowledged when its
// handler settles, inside the prefetch window, and requests carry their ttl as the message's
// expiration (docs/amqp.md, "Delivery choices"). So it keeps every capability.
const atMostOnce: TransportCapabilities = { prefetch: true, ttl: true, agentGone: true, park: true, reconnect: true, serializer: true };
describeTransportContract({
  name: 'amqp:// with delivery=at-most-once',
  cluster: cluster('at-most-once'),
  capabilities: atMostOnce,
  patience: 5_000,
  quiet: 500,
});
