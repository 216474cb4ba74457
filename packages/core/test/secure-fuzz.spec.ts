/**
 * fast-check against the secure envelope decoder: random bytes, truncations, bit flips and
 * oversized frames never throw, never hang, never open, and never grow what the codec keeps; the
 * binary envelope a byte transport carries (JSON serializer) fails only with a plain decode error.
 */
import fc from 'fast-check';
import type { SecureCodec } from '../src/serializer/secure/secure-codec';
import { decodeFrame } from '../src/serializer/secure/frame';
import { decodeBundle, decodeInner, encodeInner, innerBuffer, MAX_BUNDLE, type InnerBytes } from '../src/serializer/secure/inner-packet';
import { JsonSerializer } from '../src/serializer/json.serializer';
import { pairedCodecs } from './secure-codecs';

describe('secure envelope decoder under fuzzing', () => {
  let agent: SecureCodec;
  let mapper: SecureCodec;
  let sealed: Buffer;
  /** A sealed byte chunk (the binary inner form). */
  let sealedChunk: Buffer;
  let signed: Buffer;
  /** A sealed bundle of results (agent to mapper). */
  let sealedBundle: Buffer;
  let wire: Buffer;
  const json = new JsonSerializer();
  const result = (id: number, extra: object = {}): Record<string, unknown> => ({ v: 1, type: 'result', id, from: 'fred', ok: true, result: `secret-${id}`, ...extra });
  const innerOf = (p: object): InnerBytes => encodeInner(p);
  /** What fred's link seals for the mapper when several results wait in one turn. */
  const bundle = (members: object[]): Record<string, unknown> => agent.sealBundle('fred', members.map(innerOf), 'web')!;
  const outer = (bytes: Buffer): object => ({ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: null, sec: bytes });

  beforeAll(async () => {
    ({ agent, mapper } = await pairedCodecs());
    const req = mapper.seal({ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: 'secret' } as { type: string }, 'fred')!;
    sealed = req.sec as Buffer;
    signed = mapper.sign({ v: 1, type: 'advertise', mapper: 'web' }).sec as Buffer;
    expect(Buffer.isBuffer(sealed) && Buffer.isBuffer(signed)).toBe(true);
    wire = json.encode(mapper.seal({ v: 1, type: 'request', id: 2, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: 'secret' } as { type: string }, 'fred')!);
    expect(wire.includes('secret')).toBe(false);
    const chunk = agent.seal({ v: 1, type: 'chunk', id: 1, from: 'fred', seq: 0, data: Buffer.alloc(300, 7) } as { type: string }, 'web')!;
    sealedChunk = chunk.sec as Buffer;
    expect(typeof mapper.open(chunk)).toBe('object');
    const b = bundle([result(10), result(11), { v: 1, type: 'progress', id: 12, from: 'fred', key: 'k', value: 1 }]);
    sealedBundle = b.sec as Buffer;
    const opened = mapper.open(b);
    expect(typeof opened === 'object' && opened.bundle?.map((p) => p.id)).toEqual([10, 11, 12]);
  });

  test('random bytes, truncations, bit flips and oversized frames are refused without a throw', () => {
    const peersBefore = agent.peers.size;
    const addressesBefore = agent.peers.addresses;
    const frames = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
      fc.nat().map((n) => sealed.subarray(0, n % sealed.length)),
      fc.nat().map((n) => signed.subarray(0, n % signed.length)),
      fc.nat().map((n) => sealedChunk.subarray(0, n % sealedChunk.length)),
      fc.nat().map((n) => sealedBundle.subarray(0, n % sealedBundle.length)),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 3 })).map(([i, bit, which]) => {
        const b = Buffer.from([sealed, signed, sealedChunk, sealedBundle][which]!);
        b[i % b.length]! ^= 1 << bit;
        return b;
      }),
      fc.integer({ min: 1, max: 1024 * 1024 }).map((n) => Buffer.concat([sealed.subarray(0, 26), Buffer.alloc(n, 0x41)])),
    );
    fc.assert(
      fc.property(frames, (bytes) => {
        expect(() => decodeFrame(bytes)).not.toThrow();
        // The chunk (already opened once) is for the mapper: only there could it open, and it never does again.
        expect(typeof mapper.open({ v: 1, type: 'chunk', sec: bytes })).toBe('string');
        expect(typeof mapper.open({ v: 1, type: 'bundle', from: 'fred', sec: bytes })).toBe('string');
        const r = agent.open(outer(bytes));
        // A flipped bit inside the signature-free, authenticated parts can never open; only the exact original could (and it is a replay).
        expect(typeof r).toBe('string');
      }),
      { numRuns: 3_000 },
    );
    // Nothing that failed verification left state behind.
    expect(agent.peers.size).toBe(peersBefore);
    expect(agent.peers.addresses).toBe(addressesBefore);
  });

  test.each([
    ['a sealed request (binary head)', (): [Buffer, SecureCodec] => [wire, agent]],
    ['a sealed result (binary head)', (): [Buffer, SecureCodec] => [json.encode(agent.seal({ v: 1, type: 'result', id: 3, from: 'fred', ok: true, result: 'secret' } as { type: string }, 'web')!), mapper]],
    ['a sealed bundle of results (binary head)', (): [Buffer, SecureCodec] => [json.encode(bundle([result(20), result(21)])), mapper]],
    ['a signed advertise (JSON head)', (): [Buffer, SecureCodec] => [json.encode(mapper.sign({ v: 1, type: 'advertise', mapper: 'web', n: 1 })), agent]],
  ])('binary envelopes of %s: random, truncated, bit-flipped and oversized messages decode to a refusal or a plain error', (_name, make) => {
    const [wire, agent] = make();
    // Opened once for real: whatever decodes from a mutation of it afterwards is a replay, a mismatch or a forgery.
    expect(typeof agent.open(json.decode(wire))).toBe('object');
    const peersBefore = agent.peers.size;
    const addressesBefore = agent.peers.addresses;
    const messages = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.concat([Buffer.from([0]), Buffer.from(a)])),
      fc.nat().map((n) => wire.subarray(0, n % wire.length)),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
        const b = Buffer.from(wire);
        b[i % b.length]! ^= 1 << bit;
        return b;
      }),
      fc.integer({ min: 1, max: 1024 * 1024 }).map((n) => Buffer.concat([wire.subarray(0, 8), Buffer.alloc(n, 0x7b)])),
    );
    fc.assert(
      fc.property(messages, (bytes) => {
        let decoded: unknown;
        try {
          decoded = json.decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(Error); // the transport counts it as malformed
          return;
        }
        // Flipped bits in the clear head may still decode; the frame never opens a second time.
        expect(typeof agent.open(decoded)).toBe('string');
      }),
      { numRuns: 3_000 },
    );
    expect(agent.peers.size).toBe(peersBefore);
    expect(agent.peers.addresses).toBe(addressesBefore);
  });

  test('inner plaintexts: random, truncated, bit-flipped and relabelled byte chunks decode to undefined or a chunk with Buffer data, never a throw', () => {
    // What an authenticated peer could put inside the seal: the decoder must not trust it either.
    const real = innerBuffer(encodeInner({ v: 1, type: 'chunk', id: 4, from: 'fred', seq: 2, data: Buffer.alloc(100, 1) }));
    const plaintexts = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.concat([Buffer.from([0, 0x42]), Buffer.from(a)])),
      fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
      fc.nat().map((n) => real.subarray(0, n % (real.length + 1))),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
        const b = Buffer.from(real);
        b[i % b.length]! ^= 1 << bit;
        return b;
      }),
      fc.tuple(fc.nat(), fc.anything()).map(([n, head]) => {
        const text = Buffer.from(JSON.stringify(head) ?? 'null');
        const b = Buffer.alloc(6 + text.length + 3, 9);
        b[0] = 0;
        b[1] = 0x42;
        b.writeUInt32BE(n % (text.length + 8), 2);
        text.copy(b, 6);
        return b;
      }),
      fc.record({ type: fc.constantFrom('chunk', 'result', 'request'), data: fc.anything() }).map((h) => {
        const text = Buffer.from(JSON.stringify(h));
        const b = Buffer.alloc(6 + text.length + 4, 5);
        b[0] = 0;
        b[1] = 0x42;
        b.writeUInt32BE(text.length, 2);
        text.copy(b, 6);
        return b;
      }),
    );
    fc.assert(
      fc.property(plaintexts, (bytes) => {
        let p: Record<string, unknown> | undefined;
        expect(() => (p = decodeInner(bytes))).not.toThrow();
        if (p && bytes[0] === 0) {
          expect(p.type).toBe('chunk');
          expect(Buffer.isBuffer(p.data)).toBe(true);
        }
      }),
      { numRuns: 3_000 },
    );
    expect(decodeInner(real)).toEqual({ v: 1, type: 'chunk', id: 4, from: 'fred', seq: 2, data: Buffer.alloc(100, 1) });
  });

  test('bundles with a bad member are refused whole, the honest members with them, and leave no state behind', () => {
    const peersBefore = mapper.peers.size;
    const addressesBefore = mapper.peers.addresses;
    const raw = (text: string): InnerBytes => {
      const head = Buffer.from(text);
      return { head, length: head.length };
    };
    // Each is sealed by fred's real key (an authenticated peer gone wrong): authentic, still refused.
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['a member from another identity', bundle([result(30), result(31, { from: 'bob' })]), 'mismatch'],
      ['a request among results', bundle([result(32), { v: 1, type: 'request', id: 33, route: '/a/b', replyTo: 'fred', timeout: 0, hops: 0, payload: null }]), 'mismatch'],
      ['a signed-only kind among results', bundle([result(34), { v: 1, type: 'register', identity: 'fred' }]), 'mismatch'],
      ['a member that is not an object', agent.sealBundle('fred', [innerOf(result(35)), raw('42')], 'web')!, 'undecodable'],
      ['a member that is an array', agent.sealBundle('fred', [innerOf(result(36)), raw('[1]')], 'web')!, 'undecodable'],
      ['one member only', agent.sealBundle('fred', [innerOf(result(37))], 'web')!, 'undecodable'],
      ['too many members', agent.sealBundle('fred', Array.from({ length: MAX_BUNDLE + 1 }, (_, i) => innerOf(result(100 + i))), 'web')!, 'undecodable'],
      ['broken JSON', agent.sealBundle('fred', [innerOf(result(38)), raw('{"v":1,')], 'web')!, 'undecodable'],
      ['an outer packet that is not a bundle', { ...bundle([result(39), result(40)]), type: 'result', id: 39 }, 'mismatch'],
      ['an outer packet naming another sender', { ...bundle([result(41), result(42)]), from: 'bob' }, 'mismatch'],
    ];
    for (const [, outer, fault] of bad) expect(mapper.open(outer)).toBe(fault);
    // Random members sealed by fred: a bundle opens only with 2 to MAX_BUNDLE results and progress of fred, never throws.
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(result(1)), fc.anything(), fc.record({ v: fc.constant(1), type: fc.constantFrom('result', 'progress', 'request'), id: fc.nat(), from: fc.constantFrom('fred', 'bob') })), { maxLength: 6 }), (members) => {
        const texts = members.map((m) => raw(JSON.stringify(m) ?? 'null'));
        const r = mapper.open(agent.sealBundle('fred', texts, 'web')!);
        if (typeof r === 'string') return;
        expect(r.bundle!.length).toBeGreaterThanOrEqual(2);
        for (const p of r.bundle!) {
          expect(['result', 'progress']).toContain(p.type);
          expect(p.from).toBe('fred');
        }
      }),
      { numRuns: 1_000 },
    );
    expect(mapper.peers.size).toBe(peersBefore);
    expect(mapper.peers.addresses).toBe(addressesBefore);
  });

  test('bundle plaintexts: random bytes and JSON decode to undefined or 2 to MAX_BUNDLE objects, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.concat([Buffer.from('['), Buffer.from(a)])), fc.anything().map((v) => Buffer.from(JSON.stringify(v) ?? 'null'))), (bytes) => {
        let r: unknown;
        expect(() => (r = decodeBundle(bytes))).not.toThrow();
        if (r !== undefined) {
          const a = r as unknown[];
          expect(a.length >= 2 && a.length <= MAX_BUNDLE).toBe(true);
          for (const p of a) expect(typeof p === 'object' && p !== null && !Array.isArray(p)).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  test('arbitrary values where the envelope should be are refused', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(typeof agent.open(v)).toBe('string');
        expect(typeof agent.open({ sec: v })).toBe('string');
      }),
      { numRuns: 2_000 },
    );
  });
});
