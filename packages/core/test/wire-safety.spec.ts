import fc from 'fast-check';
import { DEFAULT_WIRE_LIMITS, JsonSerializer, MemoryBusRegistry, MemoryTransport, NaniteError, assertWireSafe, wireFault, type RequestPacket } from '../src';

const request = (payload: unknown): RequestPacket => ({ v: 1, type: 'request', id: 1, route: '/a/b', payload, replyTo: 'm', timeout: 0, hops: 0 });
const nest = (n: number): unknown => { let v: unknown = 0; for (let i = 0; i < n; i++) v = { v }; return v; };

describe('wireFault', () => {
  test('accepts any JSON value, and what JSON carries lossily (undefined, NaN, Date, Map, Buffer)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => { expect(wireFault(v)).toBeUndefined(); }), { numRuns: 1000 });
    expect(wireFault({ a: undefined, n: NaN, d: new Date(0), m: new Map([[1, 2]]), b: Buffer.from('hi') })).toBeUndefined();
    // Shared (not cyclic) references are fine: JSON writes them twice.
    const shared = { x: 1 };
    expect(wireFault([shared, shared, { shared }])).toBeUndefined();
    expect(wireFault(nest(DEFAULT_WIRE_LIMITS.maxDepth))).toBeUndefined();
  });

  test('names the fault and where it is', () => {
    const cyclic: Record<string, unknown> = { list: [1, { up: undefined }] };
    (cyclic.list as Array<Record<string, unknown>>)[1]!.up = cyclic;
    expect(wireFault(cyclic)).toBe('a cyclic reference at $.list[1].up');
    expect(wireFault({ 'odd key': [0, 2n] })).toBe('a BigInt at $["odd key"][1]');
    expect(wireFault({ f() { return 1; } })).toBe('a function at $.f');
    expect(wireFault(Symbol('s'))).toBe('a symbol');
    expect(wireFault(nest(DEFAULT_WIRE_LIMITS.maxDepth + 1))).toBe(`nested deeper than 128 levels at $${'.v'.repeat(8)}…(116 more)…${'.v'.repeat(4)}`);
    expect(wireFault({ toJSON: () => { throw new Error('no'); } })).toBe('an object whose toJSON() threw (no)');
    expect(wireFault(new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }))).toBe('a value that threw while being read (trap)');
    expect(wireFault('x'.repeat(100), { maxDepth: 10, maxBytes: 50 })).toBe('too large (over 50 bytes)');
    expect(wireFault({ a: ['x'.repeat(30), 'y'.repeat(30)] }, { maxDepth: 10, maxBytes: 50 })).toBe('too large (over 50 bytes) at $.a[1]');
  });

  test('a self-multiplying structure (a DAG that JSON would write 2^60 times) is stopped by the size budget', () => {
    let v: unknown = 'x';
    for (let i = 0; i < 60; i++) v = [v, v];
    // A small budget keeps the test quick; the default 16 MiB one stops this after ~0.25 s of walking.
    expect(wireFault(v, { maxDepth: 128, maxBytes: 1_000_000 })).toMatch(/^too large/);
  });

  test('only the user part of a packet is checked; heartbeats pass', () => {
    expect(() => assertWireSafe(request({ n: 1n }))).toThrow(new NaniteError('NANITE_ERR_PAYLOAD', { message: 'The payload of /a/b cannot cross the wire: a BigInt at $.n' }));
    expect(() => assertWireSafe({ v: 1, type: 'progress', id: 1, from: 'a', key: 'k', value: 1n })).toThrow(/progress value "k"/);
    expect(() => assertWireSafe({ v: 1, type: 'result', id: 1, from: 'a', ok: false, error: { code: 'NANITE_ERR_HANDLER', message: 'm', retryable: false, data: 1n } })).toThrow(/error data/);
    expect(() => assertWireSafe({ v: 1, type: 'ping', identity: 'a', status: 0, inFlight: 0 })).not.toThrow();
  });
});

describe('memory:// and the JSON serializer agree', () => {
  const cases: Array<[string, unknown]> = [
    ['BigInt', { n: 1n }],
    ['cycle', (() => { const o: Record<string, unknown> = {}; o.o = o; return o; })()],
    ['function', [() => 1]],
    ['too deep', nest(5_000)],
    ['fine', { a: [1, 'two', null, { b: true }] }],
    // Small flat values take a pre-check before the walk (wire-safety.ts flatFits): same verdicts.
    ['flat fine', { a: 1, b: 'two', c: null, d: true, e: undefined }],
    ['flat array fine', [1, 'two', null, false]],
    ['BigInt in a flat object', { a: 1, b: 2n }],
    ['BigInt in a null-prototype object', Object.assign(Object.create(null) as object, { a: 1n })],
    ['function in a flat array', [1, 'x', () => 1]],
    ['symbol in a flat object', { a: Symbol('s') }],
    ['own toJSON that throws', { a: 1, toJSON: () => { throw new Error('no'); } }],
    ['toJSON on a flat array', Object.assign([1, 2], { toJSON: () => 3n })],
    ['getter that throws', Object.defineProperty({ a: 1 }, 'b', { enumerable: true, get: () => { throw new Error('getter'); } })],
    ['Proxy whose traps throw', new Proxy({ a: 1 }, { getPrototypeOf: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } })],
  ];

  test.each(cases)('%s', async (name, payload) => {
    const json = new JsonSerializer();
    const registry = new MemoryBusRegistry();
    const t = new MemoryTransport({ name: 'agree', registry });
    await t.connect();
    const link = await t.openMapper('m', { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined });
    const outcome = (fn: () => unknown): unknown => { try { fn(); return 'ok'; } catch (err) { return err; } };
    const viaJson = outcome(() => json.encode(request(payload)));
    const viaMemory = outcome(() => link.send('nobody', request(payload)));
    expect(viaMemory).toEqual(viaJson);
    expect(viaJson === 'ok').toBe(name.includes('fine'));
    if (viaJson !== 'ok') expect(viaJson).toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
    await t.close();
  });

  test('a flat value over the size limit is refused by both, like a nested one', async () => {
    const registry = new MemoryBusRegistry();
    const t = new MemoryTransport({ name: 'agree-size', registry, wireLimits: { maxBytes: 40 } });
    await t.connect();
    const link = await t.openMapper('m', { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined });
    const json = new JsonSerializer({ limits: { maxBytes: 40 } });
    for (const payload of [{ a: 'x'.repeat(40) }, ['x'.repeat(40)], { ['k'.repeat(40)]: 1 }]) {
      expect(() => json.encode(request(payload))).toThrow(expect.objectContaining({ code: 'NANITE_ERR_PAYLOAD' }));
      expect(() => link.send('nobody', request(payload))).toThrow(expect.objectContaining({ code: 'NANITE_ERR_PAYLOAD', message: expect.stringMatching(/too large/) }));
    }
    expect(() => link.send('nobody', request({ a: 'x'.repeat(10) }))).not.toThrow();
    await t.close();
  });

  test('the flat pre-check and the full walk count the same bytes (any flat value, any limit)', () => {
    // The same value one level down is not flat (an entry is an object): the full walk decides, with
    // the outer object's own bytes ({"w": ...}: 2 + 1 + 4) added to the limit.
    const verdict = (fault: string | undefined): string => (fault === undefined ? 'fits' : fault.replace(/ \(over \d+ bytes\).*$/, ''));
    const agree = (v: unknown, maxBytes: number): void => {
      expect(verdict(wireFault(v, { maxDepth: 128, maxBytes }))).toBe(verdict(wireFault({ w: v }, { maxDepth: 128, maxBytes: maxBytes + 7 })));
    };
    const primitive = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.string({ maxLength: 30 }));
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 8 }), primitive, { maxKeys: 20 }), fc.integer({ min: 0, max: 300 }), (d, maxBytes) => agree(d, maxBytes)));
    fc.assert(fc.property(fc.array(primitive, { maxLength: 20 }), fc.integer({ min: 0, max: 300 }), (a, maxBytes) => agree(a, maxBytes)));
    // Any prototype: the pre-check reads only what the walk reads (own enumerable keys, toJSON).
    class Shape { constructor(readonly x: number, readonly label: string) {} }
    const inherited = Object.assign(Object.create({ inheritedBig: 1n, get inheritedThrows(): never { throw new Error('not read') } }) as object, { a: 1, b: 'two' });
    for (const v of [new Shape(1, 'one'), inherited, Object.assign(Object.create(null) as object, { a: 1 }), Object.setPrototypeOf([1, 'x'], Object.create(Array.prototype) as object)]) {
      for (const maxBytes of [0, 5, 10, 20, 40, 100]) agree(v, maxBytes);
      expect(wireFault(v)).toBeUndefined();
    }
    expect(wireFault(Object.assign(new Shape(1, 'one'), { big: 2n }))).toBe('a BigInt at $.big');
  });

  test('the JSON serializer measures the exact encoded size', () => {
    const json = new JsonSerializer({ limits: { maxBytes: 200 } });
    expect(json.encode(request('é'.repeat(40))).length).toBeLessThanOrEqual(200);
    expect(() => json.encode(request('é'.repeat(80)))).toThrow(expect.objectContaining({ code: 'NANITE_ERR_PAYLOAD', message: expect.stringMatching(/too large \(\d+ bytes, over 200\)/) }));
  });
});
