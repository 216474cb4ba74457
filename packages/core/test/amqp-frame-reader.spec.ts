/**
 * The frame reader (src/transport/amqp/frame-reader.ts) against amqplib's real Connection: fed
 * the same bytes in any split, it yields the frames amqplib's own reader yields, copies a frame
 * only when it spans socket reads, and leaves rejecting bad frames to amqplib.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { ChannelModel } from 'amqplib';
import { installFrameReader } from '../src/transport/amqp/frame-reader';

import { amqplibInternal, frame, split } from './amqp-frames.helpers';

// amqplib's Connection, so the reader is checked against the real parser.
const { Connection } = amqplibInternal<{
  Connection: new (stream: PassThrough) => { recvFrame(): unknown; rest: Buffer; maxFrameSize: number };
}>('connection.js');

interface Frame {
  channel: number;
  content?: Buffer;
}

/** A connection over a fresh stream, with the reader installed or not. */
function connection(reader: boolean, maxFrameSize = 0): { conn: InstanceType<typeof Connection>; stream: PassThrough } {
  const stream = new PassThrough();
  const conn = new Connection(stream);
  conn.maxFrameSize = maxFrameSize;
  if (reader) expect(installFrameReader({ connection: conn } as unknown as ChannelModel)).toBe(true);
  return { conn, stream };
}

/** Feeds `pieces` one by one, reading every frame that became whole after each. */
function readAll(conn: { recvFrame(): unknown }, stream: PassThrough, pieces: Buffer[]): Frame[] {
  const out: Frame[] = [];
  for (const p of pieces) {
    stream.write(p);
    for (let f = conn.recvFrame(); f; f = conn.recvFrame()) out.push(f as Frame);
  }
  return out;
}

test('yields the frames amqplib yields, whatever the split of the bytes', () => {
  // Large frames in socket-sized reads, and small frames cut finely (amqplib's own reader, the
  // reference here, copies what it holds on every read: large frames in tiny pieces would take minutes).
  for (let round = 0; round < 4; round++) {
    const large = round % 2 === 0;
    const frames = Array.from({ length: 16 }, (_, i) => (i % 7 === 3 ? frame(0) : frame(1 + (i % 3), randomBytes(randomInt(0, large ? 140_000 : 3_000)))));
    const pieces = split(Buffer.concat(frames), large ? 70_000 : 50);
    const stock = connection(false);
    const ours = connection(true);
    const expected = readAll(stock.conn, stock.stream, pieces);
    const got = readAll(ours.conn, ours.stream, pieces);
    expect(got).toHaveLength(frames.length);
    expect(got).toEqual(expected);
  }
});

test('a frame within one read is a view of it; a frame spanning reads is one exact copy', () => {
  const a = randomBytes(1000);
  const b = randomBytes(100_000);
  const first = Buffer.concat([frame(1, a), frame(1, b).subarray(0, 50_000)]);
  const second = frame(1, b).subarray(50_000);
  const { conn, stream } = connection(true);
  const got = readAll(conn, stream, [first, second]);
  expect(got.map((f) => f.content)).toEqual([a, b]);
  expect(got[0]!.content!.buffer).toBe(first.buffer);
  expect(got[1]!.content!.buffer.byteLength).toBeLessThan(first.length + second.length);
  expect(got[1]!.content!.buffer).not.toBe(first.buffer);
});

test('bytes amqplib read before the reader was installed come first', () => {
  const stream = new PassThrough();
  const conn = new Connection(stream);
  const one = frame(1, Buffer.from('one'));
  const two = frame(1, Buffer.from('two'));
  conn.rest = Buffer.concat([one, two.subarray(0, 5)]);
  expect(installFrameReader({ connection: conn } as unknown as ChannelModel)).toBe(true);
  expect(readAll(conn, stream, [two.subarray(5)]).map((f) => f.content?.toString())).toEqual(['one', 'two']);
});

test("bad frames are rejected by amqplib's parser, as before", () => {
  const big = connection(true, 1000);
  big.stream.write(frame(1, randomBytes(2000)).subarray(0, 10));
  expect(() => big.conn.recvFrame()).toThrow(/exceeds maxFrameSize/);
  const bad = frame(1, Buffer.from('x'));
  bad[bad.length - 1] = 0;
  const ours = connection(true);
  ours.stream.write(bad);
  expect(() => ours.conn.recvFrame()).toThrow(/Invalid frame/);
});

test('installs nothing on a connection of another shape', () => {
  expect(installFrameReader({ connection: {} } as unknown as ChannelModel)).toBe(false);
  const { conn } = connection(true);
  expect(installFrameReader({ connection: conn } as unknown as ChannelModel)).toBe(false);
});
