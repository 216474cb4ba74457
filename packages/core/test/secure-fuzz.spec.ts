/**
 * fast-check against the secure envelope decoder: random bytes, truncations, bit flips and
 * oversized frames never throw, never hang, never open, and never grow what the codec keeps; the
 * binary envelope a byte transport carries (JSON serializer) fails only with a plain decode error.
 */
import fc from 'fast-check';
import type { SecureCodec } from '../src/serializer/secure/secure-codec';
import { decodeFrame } from '../src/serializer/secure/frame';
import { decodeInner, encodeInner, innerBuffer } from '../src/serializer/secure/inner-packet';
import { JsonSerializer } from '../src/serializer/json.serializer';
import { pairedCodecs } from './secure-codecs';

describe('secure envelope decoder under fuzzing', () => {
  let agent: SecureCodec;
  let mapper: SecureCodec;
  let sealed: Buffer;
  /** A sealed byte chunk (the binary inner form). */
  let sealedChunk: Buffer;
  let signed: Buffer;
  let wire: Buffer;
  const json = new JsonSerializer();
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
  });

  test('random bytes, truncations, bit flips and oversized frames are refused without a throw', () => {
    const peersBefore = agent.peers.size;
    const addressesBefore = agent.peers.addresses;
    const frames = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
      fc.nat().map((n) => sealed.subarray(0, n % sealed.length)),
      fc.nat().map((n) => signed.subarray(0, n % signed.length)),
      fc.nat().map((n) => sealedChunk.subarray(0, n % sealedChunk.length)),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 2 })).map(([i, bit, which]) => {
        const b = Buffer.from([sealed, signed, sealedChunk][which]!);
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
