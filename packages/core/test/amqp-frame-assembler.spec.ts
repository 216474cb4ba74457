/**
 * The frame assembler (src/transport/amqp/frame-assembler.ts) against amqplib's real parser and
 * message assembly: fed the bytes of deliveries in any split through one reused buffer, it yields
 * the messages amqplib's own reader yields, each multi-frame body one Buffer of its exact size, and
 * leaves rejecting bad frames and bad content to amqplib.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { FrameAssembler } from '../src/transport/amqp/frame-assembler';
import { amqplibInternal, rawFrame as raw, split } from './amqp-frames.helpers';

// amqplib's internals, so the assembler is checked against the real parser.
const { Connection } = amqplibInternal<{
  Connection: new (stream: PassThrough) => { recvFrame(): unknown; rest: Buffer; maxFrameSize: number };
}>('connection.js');
const { acceptMessage } = amqplibInternal<{ acceptMessage(k: (m: Message) => void): Step }>('channel.js');
const defs = amqplibInternal<{
  BasicDeliver: number;
  BasicProperties: number;
  encodeMethod(id: number, channel: number, fields: object): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
}>('defs.js');

interface Message {
  fields: { deliveryTag: number };
  content: Buffer;
}
type Step = (f: Frame) => Step;
interface Frame {
  id?: number;
  fields?: Message['fields'];
  channel: number;
  content?: Buffer;
}

const FRAME_MAX = 128 * 1024;

const heartbeat = (): Buffer => raw(8, 0, Buffer.alloc(0));

/** The frames of one delivery: basic.deliver, content header, body frames of at most FRAME_MAX - 8 bytes. */
function delivery(channel: number, tag: number, body: Buffer, bodyFrames = FRAME_MAX - 8): Buffer[] {
  const frames = [
    defs.encodeMethod(defs.BasicDeliver, channel, { consumerTag: 'c', deliveryTag: tag, redelivered: false, exchange: '', routingKey: 'q' }),
    defs.encodeProperties(defs.BasicProperties, channel, body.length, { contentType: 'application/octet-stream', headers: {} }),
  ];
  for (let at = 0; at < body.length; at += bodyFrames) frames.push(raw(3, channel, body.subarray(at, at + bodyFrames)));
  return frames;
}

/** Collects messages per channel from decoded frames, the way amqplib's channel does. */
class Messages {
  readonly out: Message[] = [];
  private readonly steps = new Map<number, Step>();
  accept(f: Frame): void {
    if (f.channel === 0) return; // heartbeat
    const step = this.steps.get(f.channel);
    if (!step) {
      if (f.id !== defs.BasicDeliver) throw new Error(`frame without delivery on ${f.channel}`);
      this.steps.set(
        f.channel,
        acceptMessage((m) => this.out.push({ ...m, fields: f.fields! })),
      );
      return;
    }
    const count = this.out.length;
    const next = step(f);
    if (this.out.length > count) this.steps.delete(f.channel);
    else this.steps.set(f.channel, next);
  }
}

/** amqplib's own reader over `pieces`. */
function stock(pieces: Buffer[]): Message[] {
  const stream = new PassThrough();
  const conn = new Connection(stream);
  const m = new Messages();
  for (const p of pieces) {
    stream.write(p);
    for (let f = conn.recvFrame(); f; f = conn.recvFrame()) m.accept(f as Frame);
  }
  return m.out;
}

/** The assembler over `pieces`, each given in one reused buffer that is scribbled over after each push. */
function assembled(pieces: Buffer[], assembleMax?: number, maxFrameSize = 0): { messages: Message[]; assembler: FrameAssembler } {
  const conn = new Connection(new PassThrough());
  conn.maxFrameSize = maxFrameSize;
  const m = new Messages();
  const assembler = new FrameAssembler(
    {
      frame(bytes) {
        conn.rest = bytes;
        m.accept(conn.recvFrame() as Frame);
      },
      body(channel, content) {
        m.accept({ channel, content });
      },
    },
    () => conn.maxFrameSize,
    assembleMax,
  );
  const reused = Buffer.alloc(80_000);
  for (const p of pieces) {
    p.copy(reused);
    assembler.push(reused.subarray(0, p.length));
    reused.fill(0xee, 0, p.length);
  }
  return { messages: m.out, assembler };
}

/** Deliveries on channels 1..3, their frames interleaved across channels (in order within each), heartbeats in between. */
function traffic(count: number, maxBody: number): { bytes: Buffer; bodies: Map<number, Buffer> } {
  const bodies = new Map<number, Buffer>();
  const queues: Buffer[][] = [[], [], []];
  for (let tag = 1; tag <= count; tag++) {
    const body = randomBytes(tag % 5 === 0 ? 0 : randomInt(1, maxBody));
    bodies.set(tag, body);
    queues[tag % 3]!.push(...delivery(1 + (tag % 3), tag, body));
  }
  const frames: Buffer[] = [];
  while (queues.some((q) => q.length > 0)) {
    const q = queues[randomInt(0, 3)]!;
    if (q.length > 0) frames.push(q.shift()!);
    if (randomInt(0, 10) === 0) frames.push(heartbeat());
  }
  return { bytes: Buffer.concat(frames), bodies };
}

/** SHA-256 of a body (jest's toEqual walks a Buffer byte by byte: minutes for these sizes). */
const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const byTag = (ms: Message[]): Map<number, string> => new Map(ms.map((m) => [m.fields.deliveryTag, digest(m.content)]));
const digests = (bodies: Map<number, Buffer>): Map<number, string> => new Map([...bodies].map(([tag, b]) => [tag, digest(b)]));

test('yields the messages amqplib yields, whatever the split of the bytes', () => {
  for (let round = 0; round < 4; round++) {
    const large = round % 2 === 0;
    const { bytes, bodies } = traffic(large ? 24 : 40, large ? 600_000 : 3_000);
    const pieces = split(bytes, large ? 70_000 : 40);
    const ours = assembled(pieces);
    expect(byTag(ours.messages)).toEqual(digests(bodies));
    expect(byTag(stock(pieces))).toEqual(digests(bodies));
    expect(ours.assembler.assembling).toBe(0);
  }
});

test('a body spanning frames and reads is one Buffer of its exact size', () => {
  const body = randomBytes(1_000_000);
  const pieces = split(Buffer.concat(delivery(1, 1, body)), 65_536);
  const [m] = assembled(pieces).messages;
  expect(digest(m!.content)).toBe(digest(body));
  expect(m!.content.buffer.byteLength).toBe(body.length);
});

test('bodies over the assembly bound go frame by frame, as amqplib reads them', () => {
  const body = randomBytes(300_000);
  const { messages, assembler } = assembled(split(Buffer.concat(delivery(1, 1, body)), 65_536), 100_000);
  expect(digest(messages[0]!.content)).toBe(digest(body));
  expect(assembler.assembling).toBe(0);
});

test('more content than announced is rejected by amqplib, with what was assembled handed on first', () => {
  const frames = delivery(1, 1, randomBytes(1000), 400);
  const header = defs.encodeProperties(defs.BasicProperties, 1, 900, {});
  const bytes = Buffer.concat([frames[0]!, header, ...frames.slice(2)]);
  expect(() => assembled([bytes])).toThrow(/Too much content/);
  expect(() => stock([bytes])).toThrow(/Too much content/);
});

test('a method frame where content was expected is rejected by amqplib', () => {
  const frames = delivery(1, 1, randomBytes(1000), 400);
  const bytes = Buffer.concat([...frames.slice(0, 3), ...delivery(1, 2, randomBytes(10))]);
  expect(() => assembled([bytes])).toThrow(/Expected content frame/);
  expect(() => stock([bytes])).toThrow(/Expected content frame/);
});

test('bad frame ends and oversized frames are rejected, without buffering the oversized one', () => {
  const frames = delivery(1, 1, randomBytes(1000), 400);
  const badBody = Buffer.concat(frames);
  badBody[badBody.length - 1] = 0;
  expect(() => assembled([badBody])).toThrow(/Invalid frame/);
  const badMethod = Buffer.from(frames[0]!);
  badMethod[badMethod.length - 1] = 0;
  expect(() => assembled([badMethod])).toThrow(/Invalid frame/);
  const big = raw(3, 1, Buffer.alloc(2000)).subarray(0, 10);
  expect(() => assembled([big], undefined, 1000)).toThrow(/exceeds maxFrameSize/);
});
