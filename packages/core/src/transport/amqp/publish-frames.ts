/**
 * The frames of one `basic.publish` (method, content header, one body frame) encoded into one
 * Buffer, for the request and reply fast path of write-batcher.ts.
 *
 * amqplib encodes a publish through its generic codec (an options object turned into a fields
 * object, every one of the 14 properties tested, a scratch table for the headers) and then copies
 * method, header and body into a fresh buffer: ~3.5 µs hot, 10–12 µs per request in a process at
 * concurrency 1 (measured: `bench/amqp/trace.js`). Nanite's requests and replies use five
 * properties of known types, so this writes exactly those, with the same bytes amqplib writes
 * (including its always-present empty headers table), in one allocation.
 *
 * AMQP 0-9-1, section 4.2: frame = type (1) channel (2) size (4) payload 0xCE; publish payload =
 * class 60, method 40, reserved short, exchange and routing key (shortstr), flags (mandatory = bit 0);
 * content header payload = class 60, weight 0, body size (8), property flags (2), properties in
 * flag order.
 */

import { writeAscii } from '../../internal/utf8';

/** The properties the fast path writes, with amqplib's names. */
export interface PublishProps {
  contentType: string;
  correlationId?: string | undefined;
  replyTo?: string | undefined;
  expiration?: string | undefined;
  type?: string | undefined;
}

const FRAME_METHOD = 1;
const FRAME_HEADER = 2;
const FRAME_BODY = 3;
const FRAME_END = 0xce;
/** type, channel, size ... end */
const FRAME_OVERHEAD = 8;
const BASIC = 60;
const PUBLISH = 40;
const ACK = 80;
/** An ack frame: header (7), class and method (4), delivery tag (8), flags (1), end (1). */
const ACK_FRAME_BYTES = 21;

const FLAG_CONTENT_TYPE = 1 << 15;
const FLAG_HEADERS = 1 << 13;
const FLAG_CORRELATION_ID = 1 << 10;
const FLAG_REPLY_TO = 1 << 9;
const FLAG_EXPIRATION = 1 << 8;
const FLAG_TYPE = 1 << 5;

/**
 * The publish of `body` on `channel` as one Buffer; undefined when it does not fit this fast path
 * (a body over one frame of `frameMax`, a short string over 255 bytes): publish it through amqplib.
 * A text body is written as UTF-8 straight into the frame (its bytes are then {@link publishedBody}),
 * laid out first as if it were ASCII (its UTF-8 length is then its length), what JSON mostly is
 * (internal/utf8.ts): that spares the pass that counts its UTF-8 bytes
 * (`Buffer.byteLength`: 6–9 µs for 64 KiB of JSON, two to three times the encoding itself). Text
 * that is not ASCII is encoded again at its exact length (`textBytes`): one wasted partial pass.
 */
export function encodePublish(
  channel: number,
  exchange: string,
  routingKey: string,
  mandatory: boolean,
  props: PublishProps,
  body: Buffer | string,
  frameMax: number,
  textBytes?: number,
): Buffer | undefined {
  const bodyLen = typeof body === 'string' ? (textBytes ?? body.length) : body.length;
  if (bodyLen > frameMax - FRAME_OVERHEAD) return undefined;
  const exLen = Buffer.byteLength(exchange);
  const rkLen = Buffer.byteLength(routingKey);
  const ctLen = Buffer.byteLength(props.contentType);
  const ciLen = props.correlationId === undefined ? -1 : Buffer.byteLength(props.correlationId);
  const rtLen = props.replyTo === undefined ? -1 : Buffer.byteLength(props.replyTo);
  const exp = props.expiration;
  const type = props.type;
  const expLen = exp === undefined ? -1 : Buffer.byteLength(exp);
  const typeLen = type === undefined ? -1 : Buffer.byteLength(type);
  if (exLen > 255 || rkLen > 255 || ctLen > 255 || ciLen > 255 || rtLen > 255 || expLen > 255 || typeLen > 255) return undefined;

  const methodSize = 2 + 2 + 2 + 1 + exLen + 1 + rkLen + 1;
  // class, weight, body size, flags, content type, empty headers table, then the optional strings
  const headerSize = 2 + 2 + 8 + 2 + 1 + ctLen + 4 + (ciLen + 1) + (rtLen + 1) + (expLen + 1) + (typeLen + 1);
  const bodyFrame = bodyLen > 0 ? bodyLen + FRAME_OVERHEAD : 0;
  const out = Buffer.allocUnsafe(methodSize + headerSize + 2 * FRAME_OVERHEAD + bodyFrame);

  let o = frameStart(out, 0, FRAME_METHOD, channel, methodSize);
  o = out.writeUInt16BE(BASIC, o);
  o = out.writeUInt16BE(PUBLISH, o);
  o = out.writeUInt16BE(0, o);
  o = shortstr(out, o, exchange, exLen);
  o = shortstr(out, o, routingKey, rkLen);
  o = out.writeUInt8(mandatory ? 1 : 0, o);
  o = out.writeUInt8(FRAME_END, o);

  o = frameStart(out, o, FRAME_HEADER, channel, headerSize);
  o = out.writeUInt16BE(BASIC, o);
  o = out.writeUInt16BE(0, o);
  o = out.writeUInt32BE(0, o); // the body fits one frame: far below 2^32
  o = out.writeUInt32BE(bodyLen, o);
  let flags = FLAG_CONTENT_TYPE | FLAG_HEADERS;
  if (ciLen >= 0) flags |= FLAG_CORRELATION_ID;
  if (rtLen >= 0) flags |= FLAG_REPLY_TO;
  if (expLen >= 0) flags |= FLAG_EXPIRATION;
  if (typeLen >= 0) flags |= FLAG_TYPE;
  o = out.writeUInt16BE(flags, o);
  o = shortstr(out, o, props.contentType, ctLen);
  o = out.writeUInt32BE(0, o); // headers: an empty table, as amqplib always writes one
  if (ciLen >= 0) o = shortstr(out, o, props.correlationId as string, ciLen);
  if (rtLen >= 0) o = shortstr(out, o, props.replyTo as string, rtLen);
  if (expLen >= 0) o = shortstr(out, o, exp as string, expLen);
  if (typeLen >= 0) o = shortstr(out, o, type as string, typeLen);
  o = out.writeUInt8(FRAME_END, o);

  if (bodyFrame > 0) {
    o = frameStart(out, o, FRAME_BODY, channel, bodyLen);
    if (typeof body !== 'string') o += body.copy(out, o);
    else if (textBytes !== undefined) o += out.write(body, o, bodyLen, 'utf8');
    else if (writeAscii(body, out.subarray(o, o + bodyLen))) o += bodyLen;
    else return encodePublish(channel, exchange, routingKey, mandatory, props, body, frameMax, Buffer.byteLength(body));
    out.writeUInt8(FRAME_END, o);
  }
  return out;
}

/**
 * The frame of one `basic.ack` of `deliveryTag` on `channel` (exactly amqplib's bytes), so an ack
 * can leave in the same write as a reply (write-batcher.ts).
 */
export function encodeAck(channel: number, deliveryTag: number, multiple: boolean): Buffer {
  const out = Buffer.allocUnsafe(ACK_FRAME_BYTES);
  let o = frameStart(out, 0, FRAME_METHOD, channel, ACK_FRAME_BYTES - FRAME_OVERHEAD);
  o = out.writeUInt16BE(BASIC, o);
  o = out.writeUInt16BE(ACK, o);
  // A delivery tag is a u64; JavaScript numbers hold it exactly up to 2^53.
  o = out.writeUInt32BE(Math.floor(deliveryTag / 2 ** 32), o);
  o = out.writeUInt32BE(deliveryTag >>> 0, o);
  o = out.writeUInt8(multiple ? 1 : 0, o);
  out.writeUInt8(FRAME_END, o);
  return out;
}

/** The body bytes inside what {@link encodePublish} returned (a view, not a copy). */
export function publishedBody(frames: Buffer): Buffer {
  // The content header follows the method frame; its payload holds the body size (a u64, below 2^32 here) after class and weight.
  const header = FRAME_OVERHEAD + frames.readUInt32BE(3);
  const bodyLen = frames.readUInt32BE(header + 7 + 2 + 2 + 4);
  return frames.subarray(frames.length - 1 - bodyLen, frames.length - 1);
}

function frameStart(out: Buffer, o: number, type: number, channel: number, size: number): number {
  o = out.writeUInt8(type, o);
  o = out.writeUInt16BE(channel, o);
  return out.writeUInt32BE(size, o);
}

function shortstr(out: Buffer, o: number, s: string, len: number): number {
  o = out.writeUInt8(len, o);
  return o + out.write(s, o, len, 'utf8');
}
