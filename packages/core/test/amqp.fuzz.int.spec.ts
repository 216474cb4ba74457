/**
 * fast-check against the amqp:// receive paths over the real broker: random bytes, random JSON and
 * mutated valid packets, with random message properties and Nanite headers, published with raw
 * amqplib to an agent's queue and to a mapper's reply route. Nothing throws, nothing the links
 * hold grows, and honest requests interleaved keep succeeding.
 */
import * as amqp from 'amqplib';
import fc from 'fast-check';
import { Agent, AmqpTransport, amqpNames, defineActor, Mapper } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

// Ids far from the mapper's own (an id guessed right is the mapper's concern, see docs/amqp.md): the point here is the transport's receive paths.
const FORGED_ID = 2 ** 45;
const valid = (replyTo: string) => ({ v: 1, type: 'request', id: FORGED_ID, route: '/echo/hi', payload: { a: 1 }, replyTo, timeout: 1_000, hops: 0 });

/** A value that is often almost a packet: a valid one with one field replaced, removed or added. */
const mutated = (replyTo: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.record({ key: fc.constantFrom('v', 'type', 'id', 'route', 'payload', 'replyTo', 'timeout', 'hops', 'traceId', 'from', 'ok'), value: fc.jsonValue() }).map(({ key, value }) => ({ ...valid(replyTo), [key]: value })),
    fc.constantFrom('v', 'type', 'id', 'route', 'replyTo', 'timeout', 'hops').map((key) => {
      const p: Record<string, unknown> = { ...valid(replyTo) };
      delete p[key];
      return p;
    }),
    fc.record({ id: fc.integer({ min: FORGED_ID, max: 2 ** 50 }), from: fc.string(), ok: fc.boolean(), type: fc.constantFrom('result', 'progress', 'ping', 'register') }).map((r) => ({ v: 1, ...r })),
  );

const body = (replyTo: string): fc.Arbitrary<Buffer> =>
  fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    mutated(replyTo).map((v) => Buffer.from(JSON.stringify(v))),
  );

const props = fc.record(
  {
    type: fc.constantFrom('at-most-once', 'nanite.probe', 'other'),
    correlationId: fc.string({ maxLength: 20 }),
    replyTo: fc.string({ maxLength: 20 }),
    expiration: fc.constantFrom('0', '50', '60000'),
    headers: fc.record({ 'x-nanite-bounced': fc.oneof(fc.constant('other-agent'), fc.string(), fc.integer()), 'x-nanite-resent': fc.boolean(), 'x-nanite-tag': fc.string() }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

describe('amqp:// receive paths under random input', () => {
  const prefix = uniquePrefix('fuzz');
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await removeTopology([prefix]);
  });

  test('no throw, nothing grows, honest requests keep succeeding', async () => {
    const agentTransport = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => agentTransport.close());
    const agent = new Agent({ transport: agentTransport, identity: 'fuzz-agent', pingInterval: 200, actors: [defineActor('echo', { hi: (p: unknown) => p })] });
    await agent.start();
    closers.push(() => agent.stop());
    const mapperTransport = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => mapperTransport.close());
    const mapper = new Mapper({ transport: mapperTransport, timeout: 3_000 });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/echo/hi', timeout: 5_000 });
    const raw = await amqp.connect(AMQP_URL);
    closers.push(() => raw.close());
    const ch = await raw.createChannel();
    const names = amqpNames(prefix);

    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), body('fuzz-nobody'), body(mapper.identity), props), { minLength: 1, maxLength: 30 }), async (messages) => {
        for (const [toAgent, agentBound, mapperBound, p] of messages) {
          if (toAgent) ch.publish(names.agent, 'fuzz-agent', agentBound, p);
          else ch.publish(names.reply, mapper.identity, mapperBound, p);
        }
        await expect(mapper.request('/echo/hi', { n: messages.length })).resolves.toEqual({ n: messages.length });
      }),
      { numRuns: 60 },
    );
    expect(agent.isRunning).toBe(true);
    // What the links hold that came from the wire: results of valid requests kept for re-sends (the recent-results ring), nothing running.
    expect(agentTransport.stats().replyCacheEntries).toBeLessThanOrEqual(4_096);
    expect(mapperTransport.stats().rejectedBounces).toBeGreaterThan(0);
    expect(mapper.stats.pending).toBe(0);
  });
});
