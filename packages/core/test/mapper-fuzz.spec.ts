// Property: whatever a peer sends to a mapper's receive path (random JSON, mutated packets, forged
// heartbeats, results and returns naming the live agent), nothing throws out of the transport
// callbacks, state stays bounded, and honest requests succeed again within one ping interval.
import fc from 'fast-check';
import { Mapper, NaniteError, defineActor, type Packet, type RequestPacket } from '../src';
import { TestCluster, closeCluster, flush, useFakeTimers } from './helpers';
import { ObservedTransport } from './observed-transport';

const who = fc.constantFrom('a', 'b', 'ghost', '');
const route = fc.constantFrom('/svc/who', '/svc/other', '/x');
const id = fc.oneof(fc.nat({ max: 50 }), fc.maxSafeNat(), fc.constant(-1), fc.double());
const num = fc.oneof(fc.double(), fc.integer(), fc.constant(2 ** 53 - 1), fc.constant(-1e300));

const forged: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ v: fc.constant(1), type: fc.constant('register'), identity: who, routes: fc.array(fc.record({ route, idempotent: fc.boolean() }), { maxLength: 3 }), tags: fc.array(fc.string(), { maxLength: 3 }), status: num, concurrency: num, pingInterval: num }),
  fc.record({ v: fc.constant(1), type: fc.constant('ping'), identity: who, status: num, inFlight: num }),
  fc.record({ v: fc.constant(1), type: fc.constant('unregister'), identity: who }),
  fc.record({ v: fc.constant(1), type: fc.constant('result'), id, from: who, ok: fc.boolean(), result: fc.jsonValue(), error: fc.record({ code: fc.constantFrom('NANITE_ERR_HANDLER', 'NANITE_ERR_UNKNOWN_ROUTE', 'BOGUS'), message: fc.string(), retryable: fc.boolean() }) }),
  fc.record({ v: fc.constant(1), type: fc.constant('progress'), id, from: who, key: fc.string(), value: fc.jsonValue() }),
  fc.jsonValue(),
  fc.anything(),
);

const returned = fc.record({ v: fc.constant(1), type: fc.constantFrom('request', 'push', 'cancel'), id, route, payload: fc.jsonValue(), replyTo: who, timeout: fc.nat(), hops: fc.nat({ max: 3 }) });

const action = fc.oneof(
  { weight: 4, arbitrary: forged.map((packet) => ({ kind: 'packet' as const, packet })) },
  { weight: 1, arbitrary: fc.tuple(returned, who).map(([packet, agent]) => ({ kind: 'return' as const, packet, agent })) },
  { weight: 1, arbitrary: who.map((agent) => ({ kind: 'gone' as const, agent })) },
);

test('random and forged traffic never throws out of the mapper, stays bounded, and honest requests recover within a ping', async () => {
  useFakeTimers();
  const c = new TestCluster();
  await c.agent({ identity: 'a', actors: [defineActor('svc', { who: (_p: unknown, ctx) => ctx.agent })], pingInterval: 1_000 }).start();
  const t = new ObservedTransport(c.transport());
  const m = new Mapper({ transport: t, logger: c.logger, discoveryWindow: 0, maxAgents: 3 });
  await m.start();
  await flush();
  const sink = t.mapperSink!;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 40 }), async (actions) => {
        const honest = m.request('/svc/who', null, { timeout: 5_000 }).catch((e: unknown) => e);
        for (const a of actions) {
          if (a.kind === 'packet') sink.onPacket(a.packet as Packet);
          else if (a.kind === 'return') sink.onUndeliverable(a.packet as RequestPacket, a.agent);
          else sink.onAgentGone?.(a.agent);
        }
        await flush();
        // A request handed back or lost mid-storm may wait the mapper's failover window (a timer).
        let settled = false;
        void honest.then(() => (settled = true));
        for (let waited = 0; !settled && waited <= 6_000; waited += 100) {
          jest.advanceTimersByTime(100);
          await flush();
        }
        expect(settled).toBe(true);
        const first = await honest;
        // A stray packet may have taken 'a' out of dispatch (or its one request): back within one ping.
        for (let i = 0; i < 11; i++) {
          jest.advanceTimersByTime(100);
          await flush();
        }
        const again = await m.request('/svc/who', null, { timeout: 5_000, target: 'a' });
        expect(again).toBe('a');
        // The honest request in the middle of the storm settled, with the real answer or a clear error.
        if (first !== 'a') expect(first).toBeInstanceOf(NaniteError);
        expect(m.stats.agents).toBeLessThanOrEqual(3);
        expect(m.stats.pending).toBe(0);
      }),
      {
        numRuns: 100,
        // The broker hands back the honest request (id 1: the first in-process id) from its agent:
        // it waits the failover window for an agent to come back instead of failing at once.
        examples: [[[{ kind: 'return', packet: { v: 1, type: 'request', id: 1, route: '/svc/who', payload: null, replyTo: 'a', timeout: 0, hops: 0 }, agent: 'a' }]]],
      },
    );
  } finally {
    await m.close();
    await t.close();
    await closeCluster(c);
  }
}, 60_000);
