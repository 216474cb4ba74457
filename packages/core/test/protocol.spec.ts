import fc from 'fast-check';
import { decodePacket, defineActor, type AgentSink, type MapperSink, type Packet } from '../src';
import { TestCluster, flush } from './helpers';

const str = fc.string({ minLength: 1, maxLength: 12 });
const count = fc.nat({ max: 1_000_000 });
const json = fc.jsonValue();

/** Arbitrary well-formed packets of every type. */
const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ v: fc.constant(1 as const), type: fc.constant('register' as const), identity: str, routes: fc.array(fc.record({ route: str.map((s) => `/${s}`), idempotent: fc.boolean() })), tags: fc.array(str), status: fc.double({ noNaN: true, noDefaultInfinity: true }), concurrency: fc.integer({ min: 1, max: 1000 }), pingInterval: fc.integer({ min: 1, max: 60_000 }) }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('ping' as const), identity: str, status: fc.double({ noNaN: true, noDefaultInfinity: true }), inFlight: count }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('unregister' as const), identity: str }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('advertise' as const), mapper: str }),
  fc.record({ v: fc.constant(1 as const), type: fc.constantFrom('request' as const, 'push' as const), id: count, route: str.map((s) => `/${s}`), payload: json, replyTo: str, timeout: count, hops: fc.nat({ max: 20 }) }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('cancel' as const), id: count, replyTo: str }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('result' as const), id: count, from: str, ok: fc.constant(true), result: json }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('result' as const), id: count, from: str, ok: fc.constant(false), error: fc.record({ code: fc.constantFrom('NANITE_ERR_HANDLER' as const, 'NANITE_ERR_TIMEOUT' as const), message: fc.string(), retryable: fc.boolean() }) }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('progress' as const), id: count, from: str, key: fc.string(), value: json }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('register' as const), identity: str, routes: fc.array(fc.record({ route: str.map((s) => `/${s}`), idempotent: fc.boolean() }), { maxLength: 2 }), tags: fc.array(str), status: fc.constant(0), concurrency: fc.constant(1), pingInterval: fc.constant(1000), priority: fc.integer({ min: 1, max: 16 }) }),
  fc.record(
    { v: fc.constant(1 as const), type: fc.constant('survey' as const), id: str, route: str.map((s) => `/${s}`), payload: json, replyTo: str, timeout: count, sentAt: count, tags: fc.array(str) },
    { requiredKeys: ['v', 'type', 'id', 'route', 'payload', 'replyTo', 'timeout'] },
  ),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('answer' as const), id: str, from: str, ok: fc.constant(true), result: json }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('answer' as const), id: str, from: str, ok: fc.constant(false), error: fc.record({ code: fc.constantFrom('NANITE_ERR_HANDLER' as const, 'NANITE_ERR_TIMEOUT' as const), message: fc.string(), retryable: fc.boolean() }) }),
);

describe('decodePacket', () => {
  test('accepts every well-formed packet unchanged', () => {
    fc.assert(fc.property(packetArb, (p) => {
      const r = decodePacket(p);
      expect(r).toEqual({ ok: true, packet: p });
    }), { numRuns: 2000 });
  });

  test('never throws on arbitrary input, and rejects it with a reason', () => {
    fc.assert(fc.property(fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true }), (x) => {
      const r = decodePacket(x);
      if (!r.ok) expect(typeof r.reason).toBe('string');
    }), { numRuns: 3000 });
  });

  test('rejects a well-formed packet with one field corrupted', () => {
    // null, '' and {} are invalid for every checked field (identities, ids, counts, arrays, errors).
    const corrupt = fc.tuple(packetArb, fc.constantFrom(null, '', {}), fc.nat()).map(([p, bad, pick]) => {
      const keys = Object.keys(p).filter((k) => !['payload', 'result', 'value', 'key'].includes(k));
      const key = keys[pick % keys.length]!;
      return { ...p, [key]: bad } as unknown;
    });
    fc.assert(fc.property(corrupt, (packet) => {
      expect(decodePacket(packet).ok).toBe(false);
    }), { numRuns: 2000 });
    expect(decodePacket({ v: 1, type: 'ping', identity: 'a', status: NaN, inFlight: 0 }).ok).toBe(false);
    expect(decodePacket({ v: 2, type: 'ping', identity: 'a', status: 0, inFlight: 0 })).toEqual({ ok: false, reason: 'unsupported protocol version 2' });
    expect(decodePacket({ v: 1, type: 'hello' })).toEqual({ ok: false, reason: 'unknown packet type "hello"' });
    // Found by fuzzing: describing a null-prototype object must not throw.
    expect(decodePacket({ v: Object.create(null) as object, type: 'ping' })).toEqual({ ok: false, reason: 'unsupported protocol version object' });
    expect(decodePacket({ v: 1, type: '__proto__' }).ok).toBe(false);
    expect(decodePacket({ v: 1, type: 'request', id: 1, route: 'no-slash', payload: 1, replyTo: 'm', timeout: 0, hops: 0 })).toMatchObject({ ok: false, reason: 'request: route must be a string starting with /' });
    expect(decodePacket({ v: 1, type: 'result', id: 1, from: 'a', ok: false, error: { code: 42, message: 'x', retryable: false } }).ok).toBe(false);
    expect(decodePacket({ v: 1, type: 'request', id: 1, route: '/a', payload: 1, replyTo: 'm', timeout: 0, hops: 0, sentAt: -1 })).toMatchObject({ ok: false, reason: 'request: sentAt must be a non-negative number' });
    expect(decodePacket({ v: 1, type: 'request', id: 1, route: '/a', payload: 1, replyTo: 'm', timeout: 0, hops: 0, sentAt: 'now' }).ok).toBe(false);
    expect(decodePacket({ v: 1, type: 'request', id: 1, route: '/a', payload: 1, replyTo: 'm', timeout: 0, hops: 0, sentAt: 1_700_000_000_000 }).ok).toBe(true);
    expect(decodePacket({ v: 1, type: 'register', identity: 'a', routes: [], tags: [], status: 0, concurrency: 1, pingInterval: 1, priority: 17 })).toMatchObject({ ok: false, reason: 'register: priority must be an integer in 1..16' });
    expect(decodePacket({ v: 1, type: 'survey', id: 'x'.repeat(65), route: '/a', payload: 1, replyTo: 'm', timeout: 1 })).toMatchObject({ ok: false, reason: 'survey: id must be a string of 1..64 characters' });
    expect(decodePacket({ v: 1, type: 'answer', id: 7, from: 'a', ok: true }).ok).toBe(false);
    // A timeout no Node timer can hold (it would fire every millisecond for the request's life).
    expect(decodePacket({ v: 1, type: 'request', id: 1, route: '/a', payload: 1, replyTo: 'm', timeout: 2 ** 31, hops: 0 })).toMatchObject({ ok: false, reason: 'request: timeout must be an integer of ms in [0, 2147483647]' });
    expect(decodePacket({ v: 1, type: 'request', id: 1, route: '/a', payload: 1, replyTo: 'm', timeout: 2 ** 31 - 1, hops: 0 }).ok).toBe(true);
    expect(decodePacket({ v: 1, type: 'survey', id: 's', route: '/a', payload: 1, replyTo: 'm', timeout: 1e12 }).ok).toBe(false);
  });
});

describe('malformed packets on the wire', () => {
  let c: TestCluster;
  beforeEach(() => { c = new TestCluster(); });
  afterEach(() => c.close());

  test('an agent drops and counts garbage, logs each fault once, and keeps serving', async () => {
    const agent = c.agent({ identity: 'a', actors: [defineActor('t', { ok: () => 'fine' })] });
    const mapper = c.mapper();
    await agent.start();
    await mapper.start();
    // A rogue mapper speaking through the raw transport API.
    const rogue = c.transport();
    await rogue.connect();
    const sink: MapperSink = { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined };
    const link = await rogue.openMapper('rogue', sink);
    for (let i = 0; i < 5; i++) link.send('a', { v: 1, type: 'request', id: -1 } as never);
    link.send('a', { v: 9 } as never);
    link.send('a', { v: 1, type: 'result', id: 1, from: 'x', ok: true } as never);
    await flush();
    expect(agent.stats.malformed).toBe(7);
    expect(c.logger.warnings().filter((w) => w.startsWith('dropped a malformed packet'))).toHaveLength(3);
    await expect(mapper.request('/t/ok')).resolves.toBe('fine');
    await rogue.close();
  });

  test('a mapper drops and counts garbage heartbeats and results, and keeps dispatching', async () => {
    const agent = c.agent({ identity: 'a', actors: [defineActor('t', { ok: () => 'fine' })] });
    const mapper = c.mapper();
    await mapper.start();
    await agent.start();
    const rogue = c.transport();
    await rogue.connect();
    const sink: AgentSink = { onPacket: () => undefined, onMalformed: () => undefined };
    const link = await rogue.openAgent('rogue', sink, { prefetch: 1 });
    link.broadcast({ v: 1, type: 'register', identity: 'rogue', routes: 'all of them' } as never);
    link.broadcast({ v: 1, type: 'ping', identity: '', status: 0, inFlight: 0 });
    link.reply(mapper.identity, { v: 1, type: 'result', id: 'x' } as never);
    await flush();
    expect(mapper.stats.malformed).toBe(3);
    expect(mapper.agents().map((a) => a.identity)).toEqual(['a']);
    await expect(mapper.request('/t/ok')).resolves.toBe('fine');
    await rogue.close();
  });
});

describe('the optional broker node of Register and Ping (clusters)', () => {
  it('is accepted when a short non-empty string, refused otherwise', () => {
    expect(decodePacket({ v: 1, type: 'ping', identity: 'a', status: 0, inFlight: 0, node: 'rmq1:5672' }).ok).toBe(true);
    expect(decodePacket({ v: 1, type: 'register', identity: 'a', routes: [], tags: [], status: 0, concurrency: 1, pingInterval: 1000, node: 'rmq1:5672' }).ok).toBe(true);
    for (const node of ['', 42, 'x'.repeat(256), null]) {
      expect(decodePacket({ v: 1, type: 'ping', identity: 'a', status: 0, inFlight: 0, node })).toEqual({ ok: false, reason: 'ping: node must be a non-empty string of at most 255 characters' });
    }
  });
});
