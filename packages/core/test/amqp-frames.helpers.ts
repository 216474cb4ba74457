/**
 * Helpers of the tests that check Nanite's AMQP readers against amqplib's own parser: amqplib's
 * internal modules (not in its exports map, so loaded by path), raw frames, and random splits.
 */
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';

/** One of amqplib's `lib/` modules (`connection.js`, `channel.js`, `defs.js`), typed by the caller. */
export function amqplibInternal<T>(file: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(dirname(require.resolve('amqplib')), 'lib', file)) as T;
}

/** A raw AMQP frame: type, channel, payload, frame end. */
export function rawFrame(type: number, channel: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(8 + payload.length);
  f.writeUInt8(type, 0);
  f.writeUInt16BE(channel, 1);
  f.writeUInt32BE(payload.length, 3);
  payload.copy(f, 7);
  f.writeUInt8(206, 7 + payload.length);
  return f;
}

/** An AMQP body frame (type 3) on `channel`, or a heartbeat (type 8) when `payload` is undefined. */
export function frame(channel: number, payload?: Buffer): Buffer {
  return payload ? rawFrame(3, channel, payload) : rawFrame(8, 0, Buffer.alloc(0));
}

/** `bytes` cut at random points (pieces of 1 byte up to `max`). */
export function split(bytes: Buffer, max: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(randomInt(1, max + 1), bytes.length - at);
    pieces.push(Buffer.from(bytes.subarray(at, at + n)));
    at += n;
  }
  return pieces;
}
