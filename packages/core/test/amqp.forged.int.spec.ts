/**
 * amqp:// does not believe what costs a peer nothing to forge: a message on a mapper's reply route
 * claiming to be a request handed back by a draining agent, or another copy of a request an agent
 * is running. The forgeries are published with raw amqplib, as a hostile peer on the broker would.
 */
import * as amqp from 'amqplib';
import { Agent, AmqpTransport, amqpNames, defineActor, Mapper, type MapperLink, type RequestPacket } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe('amqp:// against forged messages', () => {
  const prefixes: string[] = [];
  let closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    closers = [];
  });
  // The park queues of the routes these tests park on (agents draining, forged bounces) go too.
  afterAll(() => removeTopology(prefixes, ['/echo/hi', '/log/record', '/work/hold', '/work/other', '/slow/work']));

  const setup = async (tag: string) => {
    const prefix = uniquePrefix(tag);
    prefixes.push(prefix);
    const transport = (): AmqpTransport => {
      const t = new AmqpTransport({ url: AMQP_URL, prefix });
      closers.push(() => t.close());
      return t;
    };
    const raw = await amqp.connect(AMQP_URL);
    closers.push(() => raw.close());
    const ch = await raw.createChannel();
    return { transport, ch, names: amqpNames(prefix) };
  };

  test('a forged "bounced" message neither takes a live agent out of dispatch nor makes the mapper re-send a push it did not send', async () => {
    const { transport, ch, names } = await setup('forged-bounce');
    const recorded: string[] = [];
    const actors = () => [defineActor('echo', { hi: (p: unknown) => p }), defineActor('log', { record: (p: unknown) => void recorded.push(String(p)) })];
    const live = new Agent({ transport: transport(), identity: 'live', actors: actors(), pingInterval: 200 });
    const other = new Agent({ transport: transport(), identity: 'other', actors: [defineActor('log', { record: (p: unknown) => void recorded.push(String(p)) })], pingInterval: 200 });
    await live.start();
    closers.push(() => live.stop());
    await other.start();
    closers.push(() => other.stop());
    const mt = transport();
    const mapper = new Mapper({ transport: mt, timeout: 2_000 });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/log/record', count: 2, timeout: 5_000 });
    const malformed = mapper.stats.malformed;

    const forge = (agent: string, packet: object): void => {
      ch.publish(names.reply, mapper.identity, json(packet), { headers: { 'x-nanite-bounced': agent } });
    };
    forge('live', { v: 1, type: 'request', id: 1, route: '/echo/hi', payload: null, replyTo: mapper.identity, timeout: 1_000, hops: 0 });
    forge('live', { v: 1, type: 'push', id: 2, route: '/log/record', payload: 'laundered', replyTo: mapper.identity, timeout: 0, hops: 0 });
    forge('other', { v: 1, type: 'push', id: 3, route: '/log/record', payload: 'laundered', replyTo: mapper.identity, timeout: 0, hops: 0 });
    await sleep(300);

    const replies = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => mapper.request('/echo/hi', i)));
    expect(replies.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(recorded).not.toContain('laundered');
    expect(mt.stats().rejectedBounces).toBe(3);
    expect(mapper.stats.malformed - malformed).toBe(3);
  });

  test('a request whose replyTo property names another queue does not make the agent write into it: the result takes the reply route', async () => {
    const { transport, ch, names } = await setup('forged-replyto');
    const agent = new Agent({ transport: transport(), identity: 'echo', actors: [defineActor('echo', { hi: (p: unknown) => `secret for ${String(p)}` })], pingInterval: 500 });
    await agent.start();
    closers.push(() => agent.stop());
    const mt = transport();
    const mapper = new Mapper({ transport: mt, timeout: 2_000 });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/echo/hi', timeout: 5_000 });
    // Someone else's queue (here: one we read), named in the AMQP replyTo of a forged request.
    const { queue: victim } = await ch.assertQueue('', { exclusive: true });
    // And a queue bound where the result should go: the reply route of the identity in the packet.
    const { queue: route } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(route, names.reply, 'forger');
    ch.publish(names.agent, 'echo', json({ v: 1, type: 'request', id: 1, route: '/echo/hi', payload: 'x', replyTo: 'forger', timeout: 1_000, hops: 0 }), { replyTo: victim, contentType: 'application/json' });
    let onRoute: amqp.GetMessage | false = false;
    for (let i = 0; i < 100 && !onRoute; i++) {
      await sleep(20);
      onRoute = await ch.get(route, { noAck: true });
    }
    expect(onRoute && JSON.parse(onRoute.content.toString())).toMatchObject({ type: 'result', id: 1, ok: true, result: 'secret for x' });
    expect(await ch.get(victim, { noAck: true })).toBe(false);
    // The real mapper is served as ever (its requests carry a direct reply-to address).
    await expect(mapper.request('/echo/hi', 'me')).resolves.toBe('secret for me');
  });

  test('a request and a push handed back by a draining agent still come back to the mapper link that sent them', async () => {
    const { transport } = await setup('real-bounce');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const agent = new Agent({ transport: transport(), identity: 'busy', concurrency: 1, pingInterval: 500, actors: [defineActor('work', { hold: () => gate, other: () => 'ok' })] });
    await agent.start();
    closers.push(() => agent.stop());
    const mt = transport();
    await mt.connect();
    const back: Array<{ type: string; id: number; agent: string }> = [];
    const link: MapperLink = await mt.openMapper('m-real', {
      onPacket: () => undefined,
      onMalformed: () => undefined,
      onUndeliverable: (p, a) => back.push({ type: p.type, id: p.id, agent: a }),
    });
    const packet = (type: 'request' | 'push', id: number, route: string): RequestPacket => ({ v: 1, type, id, route, payload: null, replyTo: 'm-real', timeout: 0, hops: 0 });
    link.send('busy', packet('request', 1, '/work/hold'));
    await sleep(100);
    // The one slot (and the prefetch window of one) is taken: these two wait at the broker.
    link.send('busy', packet('request', 2, '/work/other'));
    link.send('busy', packet('push', 3, '/work/other'));
    await sleep(100);
    const stopping = agent.stop();
    await sleep(300);
    release();
    await stopping;
    expect(back).toEqual([
      { type: 'request', id: 2, agent: 'busy' },
      { type: 'push', id: 3, agent: 'busy' },
    ]);
    expect(mt.stats().rejectedBounces).toBe(0);
  });

  test('another copy of a running request, valid or not, cannot redirect its result; the handler runs once', async () => {
    const { transport, ch, names } = await setup('forged-copy');
    let runs = 0;
    const agentTransport = transport();
    const agent = new Agent({
      transport: agentTransport,
      identity: 'slow',
      pingInterval: 500,
      actors: [
        defineActor('slow', {
          work: async () => {
            runs++;
            await sleep(300);
            return 'secret';
          },
        }),
      ],
    });
    await agent.start();
    closers.push(() => agent.stop());
    const mt = transport();
    await mt.connect();
    const results: unknown[] = [];
    const link = await mt.openMapper('m-real', { onPacket: (p) => results.push(p), onMalformed: () => undefined, onUndeliverable: () => undefined });
    const real: RequestPacket = { v: 1, type: 'request', id: 42, route: '/slow/work', payload: null, replyTo: 'm-real', timeout: 5_000, hops: 0 };
    link.send('slow', real);
    await sleep(50);

    const stolen: unknown[] = [];
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.consume(queue, (m) => m && stolen.push(JSON.parse(m.content.toString())), { noAck: true });
    const copy = (packet: object, headers: Record<string, unknown>): void => {
      ch.publish(names.agent, 'slow', json(packet), { replyTo: queue, correlationId: 'forged', headers });
    };
    copy(real, { 'x-nanite-resent': true });
    copy(real, {});
    copy({ ...real, hops: -1 }, { 'x-nanite-resent': true });
    await sleep(600);

    expect(results.filter((r) => (r as { type: string }).type === 'result')).toEqual([{ v: 1, type: 'result', id: 42, from: 'slow', ok: true, result: 'secret', status: expect.any(Number) }]);
    expect(stolen).toEqual([]);
    expect(runs).toBe(1);
    expect(agentTransport.stats().rejectedCopies).toBe(2);
    expect(agentTransport.stats().replyCacheEntries).toBe(1); // the real result, kept for a re-send
  });
});
