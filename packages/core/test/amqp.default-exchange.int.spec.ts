/**
 * amqp:// requests by queue name: a mapper publishes an agent's requests through the default
 * exchange to the queue its heartbeats name (when the connection may write there), and keeps every
 * guarantee of the `P.agent` route: a request to a queue that is gone comes back and goes to another
 * agent, and a request that reaches a closing agent's queue by name is handed back or returned,
 * never deleted with the queue.
 */
import * as amqp from 'amqplib';
import { Agent, AmqpTransport, amqpNames, defineActor, Mapper, type NaniteError } from '../src';
import type { AgentLink } from '../src/transport/transport';
import { AMQP_URL, connectionOf, queueExists, removeTopology, uniquePrefix } from './amqp.helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('amqp:// requests by queue name (the default exchange)', () => {
  const closers: Array<() => Promise<unknown>> = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  afterAll(() => removeTopology(prefixes));

  async function setup(tag: string, mapperOptions: { url?: string; defaultExchange?: boolean; probeInterval?: number; agentTimeout?: number } = {}, identities = ['a'], agentOptions: { reconnectMin?: number } = {}): Promise<{ prefix: string; agents: Map<string, AmqpTransport>; mapper: Mapper }> {
    const prefix = uniquePrefix(tag);
    prefixes.push(prefix);
    const agents = new Map<string, AmqpTransport>();
    for (const identity of identities) {
      const transport = new AmqpTransport({ url: AMQP_URL, prefix, ...agentOptions, reconnectMax: Math.max(agentOptions.reconnectMin ?? 0, 2_000) });
      closers.push(() => transport.close());
      const agent = new Agent({ transport, identity, pingInterval: 100, actors: [defineActor('n', { who: { idempotent: true, handler: () => identity } })] });
      await agent.start();
      closers.push(() => agent.stop());
      agents.set(identity, transport);
    }
    const { url = AMQP_URL, agentTimeout, ...options } = mapperOptions;
    const mapperTransport = new AmqpTransport({ url, prefix, ...options });
    closers.push(() => mapperTransport.close());
    const mapper = new Mapper({ transport: mapperTransport, timeout: 3_000, discoveryWindow: 0, agentTimeout });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/n/who', count: identities.length, timeout: 5_000 });
    await expect(mapper.request('/n/who')).resolves.toEqual(expect.any(String));
    // A few Pings (each names the queue) after the mapper's connection was found allowed the default exchange.
    await sleep(300);
    return { prefix, agents, mapper };
  }

  /** Removes an agent's request binding from `P.agent`: from then on only a publish by queue name reaches it. */
  async function unbindRequests(agentTransport: AmqpTransport, prefix: string, identity: string): Promise<void> {
    const names = amqpNames(prefix);
    const ch = await connectionOf(agentTransport).createChannel();
    await ch.unbindQueue(names.agentQueue(identity), names.agent, identity);
    await ch.close();
  }

  test('a mapper sends requests to the queue an agent names: they reach it without its P.agent binding', async () => {
    const { prefix, agents, mapper } = await setup('byname');
    await unbindRequests(agents.get('a')!, prefix, 'a');
    const answers = await Promise.all(Array.from({ length: 20 }, () => mapper.request('/n/who')));
    expect(answers).toEqual(Array(20).fill('a'));
  });

  test.each([
    ['the option', { defaultExchange: false }],
    ['the URL', { url: `${AMQP_URL}?defaultExchange=false` }],
  ])('defaultExchange false (%s): requests go through P.agent, so an agent without its binding gets none', async (_how, options) => {
    const { prefix, agents, mapper } = await setup('byname-off', options);
    await unbindRequests(agents.get('a')!, prefix, 'a');
    const err = (await mapper.request('/n/who', undefined, { timeout: 1_000 }).catch((e: unknown) => e)) as NaniteError;
    expect(err.code).toMatch(/^NANITE_ERR_(NO_AGENT|TIMEOUT)$/);
  });

  test('a request by name to a queue that is gone comes back at once and goes to another agent', async () => {
    // Probes and heartbeat silence (the other ways a mapper finds a request lost) too slow to matter
    // here, and a reconnecting a too slow to come back in time: only the return brings a request back
    // before its deadline.
    const { prefix, agents, mapper } = await setup('byname-gone', { probeInterval: 10_000, agentTimeout: 10_000 }, ['a', 'b'], { reconnectMin: 20_000 });
    // a's connection drops (as when its host vanishes): the broker deletes its exclusive queue, and a
    // publish by name to it is unroutable, so returned.
    const socket = (connectionOf(agents.get('a')!) as unknown as { connection: { stream: { destroy(err: Error): void } } }).connection.stream;
    socket.destroy(new Error('the host of agent a vanished'));
    // Sent before the broker deleted the queue, a request would go with it (found by the rare probes only).
    const check = await amqp.connect(AMQP_URL);
    closers.push(() => check.close());
    for (let i = 0; i < 100 && (await queueExists(check, amqpNames(prefix).agentQueue('a'))); i++) await sleep(20);
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 10 }, () => mapper.request('/n/who', undefined, { timeout: 2_000 })));
    expect(answers).toEqual(Array(10).fill('b'));
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  test('a closing agent hands back or lets return every request published to its queue by name: none is deleted with the queue', async () => {
    const prefix = uniquePrefix('byname-close');
    prefixes.push(prefix);
    const names = amqpNames(prefix);
    const logged: string[] = [];
    const record = (o: object, msg?: string): void => void logged.push(`${msg ?? ''} ${JSON.stringify(o)}`);
    const transport = new AmqpTransport({ url: AMQP_URL, prefix, logger: { debug: () => undefined, info: record, warn: record, error: record } });
    closers.push(() => transport.close());
    await transport.connect();
    const received: unknown[] = [];
    const link: AgentLink = await transport.openAgent('c', { onPacket: (p) => received.push(p), onMalformed: () => undefined }, { prefetch: 10, routes: [] });
    // A mapper that never hears the agent drain: publishes by name as fast as it can, and hears
    // bounces on its reply route and returns of what found no queue.
    const conn = await amqp.connect(AMQP_URL);
    closers.push(() => conn.close());
    const ch = await conn.createChannel();
    const { queue: replies } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(replies, names.reply, 'fake-mapper');
    const back = new Set<number>();
    await ch.consume(replies, (m) => m && back.add((JSON.parse(m.content.toString()) as { id: number }).id), { noAck: true });
    let returns = 0;
    ch.on('return', (m: amqp.Message) => {
      returns++;
      back.add((JSON.parse(m.content.toString()) as { id: number }).id);
    });
    await link.pause();
    let sent = 0;
    const closed = link.close();
    // 20 per turn for the first 100 ms of the close.
    const until = Date.now() + 100;
    while (Date.now() < until) {
      for (let i = 0; i < 20; i++) {
        const id = ++sent;
        ch.publish('', names.agentQueue('c'), Buffer.from(JSON.stringify({ v: 1, type: 'request', id, route: '/n/who', replyTo: 'fake-mapper', from: 'fake-mapper', payload: null })), { mandatory: true, contentType: 'application/json' });
      }
      await new Promise((r) => setImmediate(r));
    }
    await closed;
    for (let i = 0; i < 100 && back.size < sent; i++) await sleep(50);
    // The queue is gone: what is published to it now comes straight back.
    const after = back.size;
    const returnsBefore = returns;
    ch.publish('', names.agentQueue('c'), Buffer.from(JSON.stringify({ v: 1, type: 'request', id: sent + 1, route: '/n/who', replyTo: 'fake-mapper' })), { mandatory: true });
    for (let i = 0; i < 100 && returns === returnsBefore; i++) await sleep(20);
    expect(back.size).toBe(after + 1);
    back.delete(sent + 1);
    expect(received).toEqual([]);
    expect({ sent, back: back.size, logged }).toEqual({ sent, back: sent, logged: [] });
  }, 30_000);
});
