/**
 * The binary envelope a byte transport carries in secure mode: the JSON serializer writes a sealed
 * outer packet as its clear head (binary fields; JSON for signed packets) plus the frame's raw
 * bytes (no base64, payload nowhere in clear), reads it back to an outer packet the codec opens,
 * and keeps plain packets plain JSON.
 */
import { randomBytes } from 'node:crypto';
import { JsonSerializer } from '../src/serializer/json.serializer';
import type { SecureCodec } from '../src/serializer/secure/secure-codec';
import { pairedCodecs } from './secure-codecs';

describe('secure binary envelope', () => {
  const json = new JsonSerializer();
  let agent: SecureCodec;
  let mapper: SecureCodec;

  beforeAll(async () => {
    ({ agent, mapper } = await pairedCodecs());
  });

  test('a sealed request crosses as head + raw frame, opens to the packet sent, and the payload is nowhere in clear', () => {
    const request = { v: 1, type: 'request', id: 7, route: '/a/b', replyTo: 'web', timeout: 1000, hops: 0, payload: { secret: 'swordfish' } };
    const outer = mapper.seal(request, 'fred')!;
    const bytes = json.encode(outer);
    expect(bytes[0]).toBe(0);
    expect(bytes.includes('swordfish')).toBe(false);
    // The frame's bytes are the tail of the message as they are, not base64 of them.
    expect(bytes.subarray(bytes.length - (outer.sec as Buffer).length).equals(outer.sec as Buffer)).toBe(true);
    const decoded = json.decode(bytes) as Record<string, unknown>;
    expect(decoded).toMatchObject({ v: 1, type: 'request', id: 7, route: '/a/b', replyTo: 'web', payload: null });
    const opened = agent.open(decoded);
    if (typeof opened === 'string') throw new Error(opened);
    expect(opened.packet).toEqual(request);
    expect(opened.peer.identity).toBe('web');
  });

  test('a clear head that disagrees with the sealed packet is refused', () => {
    const request = { v: 1, type: 'request', id: 8, route: '/a/b', replyTo: 'web', timeout: 1000, hops: 0, payload: 1 };
    const outer = mapper.seal(request, 'fred')!;
    const decoded = json.decode(json.encode({ ...outer, route: '/a/other' }));
    expect(agent.open(decoded)).toBe('mismatch');
  });

  test('a byte chunk is sealed as its bytes (not JSON of them), opens to a Buffer, and opens once', () => {
    const data = randomBytes(64 * 1024);
    const chunk = { v: 1, type: 'chunk', id: 9, from: 'fred', seq: 3, data };
    const outer = agent.seal(chunk, 'web');
    if (!outer) throw new Error('fred knows no key of web');
    const bytes = json.encode(outer);
    // Head, frame header and tag: a few hundred bytes over the data, where JSON of a Buffer is ~3.5x it.
    expect(bytes.length).toBeLessThan(data.length + 1024);
    expect(bytes.includes(data.subarray(0, 32))).toBe(false);
    const opened = mapper.open(json.decode(bytes));
    if (typeof opened === 'string') throw new Error(opened);
    expect(Buffer.isBuffer(opened.packet.data)).toBe(true);
    expect((opened.packet.data as Buffer).equals(data)).toBe(true);
    expect(opened.packet).toEqual({ ...chunk, data: expect.any(Buffer) });
    expect(opened.peer.identity).toBe('fred');
    expect(mapper.open(json.decode(bytes))).toBe('replay');
  });

  test('a chunk of JSON data still travels as JSON inside the seal', () => {
    const chunk = { v: 1, type: 'chunk', id: 10, from: 'fred', seq: 0, data: { n: 1, type: 'Buffer' } };
    const opened = mapper.open(json.decode(json.encode(agent.seal(chunk, 'web')!)));
    if (typeof opened === 'string') throw new Error(opened);
    expect(opened.packet).toEqual(chunk);
  });

  test('every sealed kind crosses with a binary head that decodes to the clear fields it had, and opens', () => {
    const cases: Array<[SecureCodec, SecureCodec, string, Record<string, unknown>]> = [
      [mapper, agent, 'fred', { v: 1, type: 'request', id: 11, route: '/caf\u00e9/\u00fcber', replyTo: 'web', timeout: 2500.5, hops: 3, payload: { a: 1 } }],
      [mapper, agent, 'fred', { v: 1, type: 'push', id: 12, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: [1, 2] }],
      [mapper, agent, 'fred', { v: 1, type: 'cancel', id: 13, replyTo: 'web' }],
      [agent, mapper, 'web', { v: 1, type: 'result', id: 14, from: 'fred', ok: false, error: { code: 'X', message: 'no', retryable: false } }],
      [agent, mapper, 'web', { v: 1, type: 'progress', id: 15, from: 'fred', key: 'k', value: { done: 1 } }],
    ];
    for (const [from, to, address, packet] of cases) {
      const outer = from.seal(packet as { type: string }, address)!;
      const bytes = json.encode(outer);
      expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x4e, 0x45, 0x02]);
      const decoded = json.decode(bytes) as Record<string, unknown>;
      // The same fields (names, values, order) as the outer packet the codec built.
      expect(Object.keys(decoded)).toEqual(Object.keys(outer));
      expect(decoded).toEqual({ ...outer, sec: expect.any(Buffer) });
      expect((decoded.sec as Buffer).equals(outer.sec as Buffer)).toBe(true);
      const opened = to.open(decoded);
      if (typeof opened === 'string') throw new Error(`${String(packet.type)}: ${opened}`);
      expect(opened.packet).toEqual(packet);
    }
  });

  test('signed packets keep a JSON head with every field in clear; a head too big for the binary form takes it too', () => {
    const advertise = { v: 1, type: 'advertise', mapper: 'web' };
    const signed = json.encode(mapper.sign(advertise));
    expect([...signed.subarray(0, 4)]).toEqual([0x00, 0x4e, 0x45, 0x01]);
    const opened = agent.open(json.decode(signed));
    if (typeof opened === 'string') throw new Error(opened);
    expect(opened.packet).toEqual(advertise);
    const long = { v: 1, type: 'request', id: 16, route: `/a/${'r'.repeat(70_000)}`, replyTo: 'web', timeout: 0, hops: 0, payload: 1 };
    const bytes = json.encode(mapper.seal(long, 'fred')!);
    expect(bytes[3]).toBe(0x01);
    const back = agent.open(json.decode(bytes));
    if (typeof back === 'string') throw new Error(back);
    expect(back.packet).toEqual(long);
  });

  test('a binary head cut short or of an unknown kind is a decode error (the transport counts it as malformed)', () => {
    const request = { v: 1, type: 'request', id: 17, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: 1 };
    const bytes = json.encode(mapper.seal(request, 'fred')!);
    for (const n of [4, 5, 13, 20, 24]) expect(() => json.decode(bytes.subarray(0, n))).toThrow(Error);
    const relabelled = Buffer.from(bytes);
    relabelled[4] = 9;
    expect(() => json.decode(relabelled)).toThrow('unknown kind');
    const form = Buffer.from(bytes);
    form[3] = 7;
    expect(() => json.decode(form)).toThrow('head form');
  });

  test('plain packets stay JSON', () => {
    const bytes = json.encode({ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: { a: 1 } });
    expect(bytes.toString()).toBe('{"v":1,"type":"request","id":1,"route":"/a/b","replyTo":"web","timeout":0,"hops":0,"payload":{"a":1}}');
    expect(json.decode(bytes)).toEqual({ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: { a: 1 } });
  });
});
