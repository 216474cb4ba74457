/**
 * What an amqp:// agent takes from the wire stays bounded when a hostile peer floods its queue:
 * messages marked at-most-once cannot bypass the prefetch window, and invalid requests leave
 * nothing behind in the reply cache. Junk is published with raw amqplib, as a peer would.
 */
import * as amqp from 'amqplib';
import { Agent, AmqpTransport, amqpNames, defineActor, Mapper, type AmqpDelivery, type StatusInfo } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('amqp:// agent under a flood', () => {
  const prefixes: string[] = [];
  let closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    closers = [];
  });
  afterAll(() => removeTopology(prefixes));

  const setup = async (tag: string, delivery: AmqpDelivery = 'ack-after-handler') => {
    const prefix = uniquePrefix(tag);
    prefixes.push(prefix);
    const transport = new AmqpTransport({ url: AMQP_URL, prefix, delivery });
    closers.push(() => transport.close());
    const raw = await amqp.connect(AMQP_URL);
    closers.push(() => raw.close());
    const ch = await raw.createChannel();
    return { prefix, transport, ch, names: amqpNames(prefix) };
  };

  const junkPush = (id: number): Buffer => Buffer.from(JSON.stringify({ v: 1, type: 'push', id, route: '/flood/hold', payload: 'x'.repeat(200), replyTo: 'nobody', timeout: 0, hops: 0 }));

  test.each([
    ['pushes the peer marks at-most-once', 'ack-after-handler' as const, true],
    ['pushes to an agent whose transport is at-most-once', 'at-most-once' as const, false],
  ])('%s wait at the broker, not in the agent (prefetch still bounds it)', async (_name, delivery, mark) => {
    const { transport, ch, names } = await setup('flood-amo', delivery);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let maxQueued = 0;
    const agent = new Agent({
      transport,
      identity: 'flooded',
      concurrency: 2,
      pingInterval: 50,
      status: (i: StatusInfo) => {
        maxQueued = Math.max(maxQueued, i.queued);
        return 0;
      },
      actors: [defineActor('flood', { hold: () => gate })],
    });
    await agent.start();
    closers.push(() => agent.stop());
    for (let id = 1; id <= 5_000; id++) {
      // Expiring, so that stopping the agent afterwards does not hand 5,000 messages back.
      ch.publish(names.agent, 'flooded', junkPush(id), { expiration: '1500', ...(mark ? { type: 'at-most-once' } : {}) });
    }
    await sleep(800);
    // The prefetch window (two) is running, unacknowledged; nothing waits in the agent, the rest is at the broker.
    expect(maxQueued).toBe(0);
    expect(agent.inFlight).toBe(2);
    release();
  });

  test('an agent with 20,000 pushes queued at the broker hands every one back and stops within seconds', async () => {
    const { transport, ch, names } = await setup('flood-stop');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let ran = 0;
    const hold = (): Promise<void> => {
      ran++;
      return gate;
    };
    const agent = new Agent({ transport, identity: 'stopper', concurrency: 1, pingInterval: 500, actors: [defineActor('flood', { hold })] });
    await agent.start();
    closers.push(() => agent.stop());
    // Stands in for the mapper the pushes name: what the agent hands back arrives here.
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, names.reply, 'collector');
    let handedBack = 0;
    await ch.consume(queue, () => void handedBack++, { noAck: true });
    const push = (id: number): Buffer => Buffer.from(JSON.stringify({ v: 1, type: 'push', id, route: '/flood/hold', payload: 'x'.repeat(200), replyTo: 'collector', timeout: 0, hops: 0 }));
    for (let id = 1; id <= 20_000; id++) ch.publish(names.agent, 'stopper', push(id));
    await ch.checkQueue(queue); // a round trip: every publish above has reached the broker
    await sleep(200);
    const t0 = Date.now();
    const stopping = agent.stop();
    release();
    await stopping;
    // One round trip per message (basic.get) took 6–9 s here on a loaded machine, a consumer with a window 3–5 s.
    expect(Date.now() - t0).toBeLessThan(10_000);
    const deadline = Date.now() + 5_000;
    while (handedBack + ran < 20_000 && Date.now() < deadline) await sleep(50);
    // Each one either ran (taken before the agent stopped consuming) or went back to its mapper.
    expect(handedBack + ran).toBe(20_000);
    expect(ran).toBeLessThan(10);
  });

  test('20,000 invalid requests leave nothing in the reply cache, are counted, and a legitimate request is still served at once', async () => {
    const { prefix, transport, ch, names } = await setup('flood-cache');
    const agent = new Agent({ transport, identity: 'cache-agent', pingInterval: 500, actors: [defineActor('echo', { hi: (p: unknown) => p })] });
    await agent.start();
    closers.push(() => agent.stop());
    const mt = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => mt.close());
    const mapper = new Mapper({ transport: mt, timeout: 5_000 });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/echo/hi', timeout: 5_000 });

    const before = agent.stats.malformed;
    for (let id = 1; id <= 20_000; id++) {
      // A request in every respect the link looks at, but invalid (hops must be a count), each for another mapper.
      const bad = { v: 1, type: 'request', id, route: '/echo/hi', payload: null, replyTo: `m-${id}`, timeout: 1_000, hops: -1 };
      ch.publish(names.agent, 'cache-agent', Buffer.from(JSON.stringify(bad)), { replyTo: 'amq.rabbitmq.reply-to.forged', correlationId: 'forged' });
    }
    const deadline = Date.now() + 10_000;
    while (agent.stats.malformed - before < 20_000 && Date.now() < deadline) await sleep(50);
    expect(agent.stats.malformed - before).toBe(20_000);
    expect(transport.stats().replyCacheEntries).toBe(0);
    const t0 = Date.now();
    await expect(mapper.request('/echo/hi', 'still here')).resolves.toBe('still here');
    expect(Date.now() - t0).toBeLessThan(500);
  });
});
