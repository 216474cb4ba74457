/**
 * The fast path's publish frames are byte for byte what amqplib's codec writes for the same
 * publish (so the broker, and every consumer, sees no difference), for any strings, property
 * subsets and body sizes; what does not fit the fast path is refused, never cut.
 */
import fc from 'fast-check';
import { encodeAck, PublishEncoder, type PublishProps } from '../src/transport/amqp/publish-frames';
import { amqplibInternal } from './amqp-frames.helpers';

interface Defs {
  BasicAck: number;
  BasicPublish: number;
  BasicProperties: number;
  encodeMethod(id: number, channel: number, fields: object): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
}
interface Args {
  publish(exchange: string, routingKey: string, options: object): object;
}
interface Frame {
  makeBodyFrame(channel: number, payload: Buffer): Buffer;
}

const defs = amqplibInternal<Defs>('defs.js');
const args = amqplibInternal<Args>('api_args.js');
const frameCodec = amqplibInternal<Frame>('frame.js');

function amqplibFrames(channel: number, exchange: string, routingKey: string, mandatory: boolean, props: PublishProps, body: Buffer): Buffer {
  const options: Record<string, unknown> = { mandatory, contentType: props.contentType };
  for (const k of ['correlationId', 'replyTo', 'expiration', 'type'] as const) if (props[k] !== undefined) options[k] = props[k];
  const fields = args.publish(exchange, routingKey, options);
  const parts = [defs.encodeMethod(defs.BasicPublish, channel, fields), defs.encodeProperties(defs.BasicProperties, channel, body.length, fields)];
  if (body.length > 0) parts.push(frameCodec.makeBodyFrame(channel, body));
  return Buffer.concat(parts);
}

/** One publish on a fresh encoder (nothing kept from an earlier one). */
function encodePublish(channel: number, exchange: string, routingKey: string, mandatory: boolean, props: PublishProps, body: Buffer | string, frameMax: number): Buffer | undefined {
  return new PublishEncoder().encode(channel, exchange, routingKey, mandatory, props, body, frameMax);
}

/** The body bytes inside encoded frames, read from the frames themselves (method, content header, body frame; an ack after them or not). */
function publishedBody(frames: Buffer): Buffer {
  const header = 8 + frames.readUInt32BE(3);
  const bodyLen = frames.readUInt32BE(header + 7 + 2 + 2 + 4);
  if (bodyLen === 0) return frames.subarray(0, 0);
  const body = header + 8 + frames.readUInt32BE(header + 3) + 7;
  return frames.subarray(body, body + bodyLen);
}

const shortText = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => Buffer.byteLength(s) <= 255);
const optional = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

describe('encodePublish', () => {
  it("writes exactly amqplib's bytes for any publish it takes (text and byte bodies)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2047 }),
        shortText,
        shortText,
        fc.boolean(),
        fc.record({ contentType: shortText, correlationId: optional(shortText), replyTo: optional(shortText), expiration: optional(fc.nat().map(String)), type: optional(shortText) }),
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))),
        (channel, exchange, routingKey, mandatory, props, body) => {
          const bytes = typeof body === 'string' ? Buffer.from(body) : body;
          const frames = encodePublish(channel, exchange, routingKey, mandatory, props, body, 131072);
          expect(frames).toBeDefined();
          expect(frames!.equals(amqplibFrames(channel, exchange, routingKey, mandatory, props, bytes))).toBe(true);
          expect(publishedBody(frames!).equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses what does not fit one frame or a short string, instead of cutting it', () => {
    const props = { contentType: 'application/json' };
    const frameMax = 4096;
    expect(encodePublish(1, 'x', 'k', false, props, Buffer.alloc(frameMax - 8), frameMax)).toBeDefined();
    expect(encodePublish(1, 'x', 'k', false, props, Buffer.alloc(frameMax - 7), frameMax)).toBeUndefined();
    expect(encodePublish(1, 'x', 'k', false, props, 'a'.repeat(frameMax - 8), frameMax)).toBeDefined();
    expect(encodePublish(1, 'x', 'k', false, props, 'a'.repeat(frameMax - 7), frameMax)).toBeUndefined();
    // Short enough in UTF-16 units, too long in UTF-8 bytes: refused after the exact count.
    expect(encodePublish(1, 'x', 'k', false, props, `${'a'.repeat(frameMax - 10)}é`, frameMax)).toBeDefined();
    expect(encodePublish(1, 'x', 'k', false, props, `${'a'.repeat(frameMax - 9)}é`, frameMax)).toBeUndefined();
    expect(encodePublish(1, 'x'.repeat(256), 'k', false, props, 'b', frameMax)).toBeUndefined();
    expect(encodePublish(1, 'x', 'é'.repeat(128), false, props, 'b', frameMax)).toBeUndefined();
    expect(encodePublish(1, 'x', 'k', false, { ...props, correlationId: 'c'.repeat(256) }, 'b', frameMax)).toBeUndefined();
  });

  it('writes text bodies as Buffer.from would, ASCII or not, whatever their size (64 KiB JSON, a lone surrogate, non-ASCII at either end)', () => {
    const props = { contentType: 'application/json', correlationId: 'c', replyTo: 'amq.rabbitmq.reply-to', expiration: '30000' };
    const json = JSON.stringify({ a: 1, b: 2, s: 'x'.repeat(65_536 - 19) });
    for (const body of [json, `é${json}`, `${json}é`, `${json}\u{1F600}`, 'a\uD800b', '\uDC00', '€'.repeat(20_000), '']) {
      const bytes = Buffer.from(body);
      const frames = encodePublish(7, 'P.agent', 'agent-1', true, props, body, 131_072);
      expect(frames!.equals(amqplibFrames(7, 'P.agent', 'agent-1', true, props, bytes))).toBe(true);
      expect(publishedBody(frames!).equals(bytes)).toBe(true);
    }
  });
});

describe('PublishEncoder', () => {
  const publish = fc.record({
    channel: fc.integer({ min: 1, max: 3 }),
    exchange: fc.constantFrom('', 'P.agent', 'P.reply'),
    routingKey: fc.constantFrom('agent-1', 'agent-2', 'amq.rabbitmq.reply-to.g1h2', 'é'),
    mandatory: fc.boolean(),
    props: fc.record({
      contentType: fc.constantFrom('application/json', 'application/x-nanite-chunk'),
      correlationId: optional(fc.constantFrom('session-a', 'session-b')),
      replyTo: optional(fc.constantFrom('amq.rabbitmq.reply-to', 'ré')),
      expiration: optional(fc.oneof(fc.nat().map(String), shortText)),
      type: optional(shortText),
    }),
    body: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 100 }), fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a))),
    ack: optional(fc.maxSafeNat()),
  });

  it("writes amqplib's bytes for every publish of a sequence, whatever it keeps from the ones before (destinations and properties changing or not), with the ack after them when given", () => {
    fc.assert(
      fc.property(fc.array(publish, { minLength: 1, maxLength: 30 }), (sequence) => {
        const encoder = new PublishEncoder();
        for (const { channel, exchange, routingKey, mandatory, props, body, ack } of sequence) {
          const bytes = typeof body === 'string' ? Buffer.from(body) : body;
          const frames = encoder.encode(channel, exchange, routingKey, mandatory, props, body, 131072, ack);
          expect(frames).toBeDefined();
          const expected = amqplibFrames(channel, exchange, routingKey, mandatory, props, bytes);
          const ackFrame = ack === undefined ? Buffer.alloc(0) : defs.encodeMethod(defs.BasicAck, channel, { deliveryTag: ack, multiple: false });
          expect(frames!.equals(Buffer.concat([expected, ackFrame]))).toBe(true);
          expect(publishedBody(frames!).equals(bytes)).toBe(true);
          expect(encoder.body(frames!).equals(bytes)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a bounded number of destinations and stays exact past the bound', () => {
    const encoder = new PublishEncoder();
    const props = { contentType: 'application/json', correlationId: 's', replyTo: 'amq.rabbitmq.reply-to', expiration: '30000' };
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 200; i++) {
        const frames = encoder.encode(1, 'P.agent', `agent-${i}`, true, props, `{"i":${i}}`, 131072);
        expect(frames!.equals(amqplibFrames(1, 'P.agent', `agent-${i}`, true, props, Buffer.from(`{"i":${i}}`)))).toBe(true);
      }
    }
    expect((encoder as unknown as { prefixes: Map<string, unknown> }).prefixes.size).toBeLessThanOrEqual(64);
  });
});

describe('encodeAck', () => {
  it("writes exactly amqplib's bytes for any channel, delivery tag and multiple flag", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), fc.maxSafeNat()), fc.boolean(), (channel, tag, multiple) => {
        expect(encodeAck(channel, tag, multiple).equals(defs.encodeMethod(defs.BasicAck, channel, { deliveryTag: tag, multiple }))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
