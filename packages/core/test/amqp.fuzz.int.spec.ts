/**
 * fast-check against the amqp:// receive paths over the real broker: random bytes, random JSON and
 * mutated valid packets, with random message properties and Nanite headers, published with raw
 * amqplib to an agent's queue and to a mapper's reply route. Nothing throws, nothing the links
 * hold grows, and honest requests interleaved keep succeeding.
 */
import * as amqp from 'amqplib';
import fc from 'fast-check';
import { Agent, AmqpTransport, amqpNames, decodePacket, defineActor, Mapper } from '../src';
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

/** The packet a body decodes to, when it is a valid one. */
function validPacket(bytes: Buffer): ReturnType<typeof decodePacket> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  return decodePacket(value);
}

async function until(condition: () => boolean, what: string, timeout = 5_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
    // What may legitimately stay: one kept result per distinct valid request (honest or forged), one registry entry per valid Register.
    let honest = 0;
    const validRequests = new Set<string>();
    const validRegisters = new Set<string>();

    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), body('fuzz-nobody'), body(mapper.identity), props), { minLength: 1, maxLength: 30 }), async (messages) => {
        for (const [toAgent, agentBound, mapperBound, p] of messages) {
          if (toAgent) {
            const d = validPacket(agentBound);
            if (d?.ok && d.packet.type === 'request') validRequests.add(`${d.packet.replyTo}\u0000${d.packet.id}`);
            ch.publish(names.agent, 'fuzz-agent', agentBound, p);
          } else {
            const d = validPacket(mapperBound);
            if (d?.ok && d.packet.type === 'register') validRegisters.add(d.packet.identity);
            ch.publish(names.reply, mapper.identity, mapperBound, p);
          }
        }
        honest++;
        await expect(mapper.request('/echo/hi', { n: messages.length })).resolves.toEqual({ n: messages.length });
      }),
      { numRuns: 60 },
    );
    expect(agent.isRunning).toBe(true);
    // Back to idle once the forged requests still in the queue have run: nothing running or waiting, nothing pending.
    await until(() => agent.inFlight === 0 && agent.queued === 0, 'the agent is idle');
    expect(mapper.stats.pending).toBe(0);
    // The reply cache holds only kept results of valid requests (the recent-results ring), nothing
    // running: a cache that kept invalid requests (issue #10: 200k junk requests left 200,001
    // entries) or leaked running entries breaks this bound.
    expect(honest).toBe(60);
    expect(agentTransport.stats().replyCacheEntries).toBeLessThanOrEqual(honest + validRequests.size);
    // The registry holds the real agent, plus at most the Registers that were valid.
    expect(mapper.agents().map((a) => a.identity)).toContain('fuzz-agent');
    expect(mapper.stats.agents).toBeLessThanOrEqual(1 + validRegisters.size);
    expect(mapperTransport.stats().rejectedBounces).toBeGreaterThan(0);
  });
});
