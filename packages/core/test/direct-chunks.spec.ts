/**
 * Binary stream chunks on a direct (SP) pipe: a chunk of bytes survives the round trip, and what a
 * peer sends in its place — random bytes, truncations, bit flips, lying length fields — is refused
 * with a reason or framed into a packet the decoder then judges, never a throw.
 */
import fc from 'fast-check';
import { decodePacket } from '../src/protocol/decode';
import type { ChunkPacket } from '../src/protocol/stream-packets';
import { binaryChunkParts, fromBinaryChunk } from '../src/transport/direct/direct-chunks';

const data = Buffer.from('hello bytes');
const chunk: ChunkPacket = { v: 1, type: 'chunk', id: 42, seq: 3, from: 'fred', data };
const message = (packet: ChunkPacket): Buffer => Buffer.concat(binaryChunkParts(packet)!);

describe('direct binary chunks', () => {
  test('a chunk of bytes comes back as the packet sent; a chunk of JSON data is not framed', () => {
    const back = fromBinaryChunk(message(chunk));
    expect(back).toEqual({ ok: true, packet: chunk });
    expect(decodePacket((back as { packet: unknown }).packet).ok).toBe(true);
    expect(binaryChunkParts({ ...chunk, data: { json: true } })).toBeUndefined();
  });

  test('every truncation of a message shorter than its header is refused with a reason', () => {
    const whole = message(chunk);
    const header = whole.length - data.length;
    for (let n = 0; n < header; n++) expect(fromBinaryChunk(whole.subarray(0, n))).toMatchObject({ ok: false, reason: expect.stringContaining('shorter than its header') });
  });

  test('random bytes, bit flips and lying lengths never throw; whatever frames is left to the decoder', () => {
    const whole = message(chunk);
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
        const b = Buffer.from(whole);
        b[i % b.length]! ^= 1 << bit;
        return b;
      }),
      fc.integer({ min: 0, max: 0xffff }).map((len) => {
        const b = Buffer.from(whole);
        b.writeUInt16BE(len, 17);
        return b;
      }),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        const r = fromBinaryChunk(body);
        if (!r.ok) return typeof r.reason === 'string';
        const decoded = decodePacket(r.packet);
        // Framed: either a valid chunk (its bytes within the body) or refused by the decoder with a reason.
        return decoded.ok ? decoded.packet.type === 'chunk' : typeof decoded.reason === 'string';
      }),
      { numRuns: 2_000 },
    );
  });
});
