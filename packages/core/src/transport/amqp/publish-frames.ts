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
 * What a publish to one destination repeats: the method frame and the content header up to the
 * properties that change from message to message (`expiration`, `type`), encoded once.
 */
interface Prefix {
  channel: number;
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  contentType: string;
  correlationId: string | undefined;
  replyTo: string | undefined;
  /** Method frame, then the content header frame through `replyTo` (its size, body size and flags patched per message). */
  bytes: Buffer;
  /** Where the content header frame starts in {@link bytes}. */
  header: number;
}

/** Destinations kept by one encoder (a mapper link's agents, an agent link's reply addresses); past it the table starts again. */
const PREFIXES_MAX = 64;

/**
 * Encodes one link's publishes, each as one Buffer; `encode` returns undefined when a publish does
 * not fit this fast path (a body over one frame of `frameMax`, a short string over 255 bytes):
 * publish it through amqplib.
 *
 * Per destination it keeps the bytes that do not change between messages: a publish then costs one
 * copy of them, the message's own `expiration` and `type`, and its body, instead of seven UTF-8
 * counts and six string writes (~2.4 µs per request hot, measured in a loop; several times that at
 * concurrency 1). A text body is written as UTF-8 straight into the frame (its bytes are then
 * {@link PublishEncoder.body}), laid out first as if it were ASCII (its UTF-8 length is then its
 * length), what JSON mostly is (internal/utf8.ts): that spares the pass that counts its UTF-8 bytes
 * (`Buffer.byteLength`: 6–9 µs for 64 KiB of JSON, two to three times the encoding itself). Text
 * that is not ASCII is encoded again at its exact length (`textBytes`): one wasted partial pass.
 * `ack`: a delivery tag whose `basic.ack` frame is written after the publish in the same Buffer
 * (a reply and the ack of the delivery it answers leave in one write).
 */
export class PublishEncoder {
  private readonly prefixes = new Map<string, Prefix>();
  private last: Prefix | undefined;
  /** Where the body of the last Buffer {@link encode} returned is in it. */
  private bodyStart = 0;
  private bodyEnd = 0;

  encode(
    channel: number,
    exchange: string,
    routingKey: string,
    mandatory: boolean,
    props: PublishProps,
    body: Buffer | string,
    frameMax: number,
    ack?: number,
    textBytes?: number,
  ): Buffer | undefined {
    const bodyLen = typeof body === 'string' ? (textBytes ?? body.length) : body.length;
    if (bodyLen > frameMax - FRAME_OVERHEAD) return undefined;
    const exp = props.expiration;
    const type = props.type;
    const expLen = exp === undefined ? -1 : utf8Length(exp);
    const typeLen = type === undefined ? -1 : utf8Length(type);
    if (expLen > 255 || typeLen > 255) return undefined;
    const prefix = this.prefix(channel, exchange, routingKey, mandatory, props);
    if (prefix === undefined) return undefined;

    const pre = prefix.bytes;
    const bodyFrame = bodyLen > 0 ? bodyLen + FRAME_OVERHEAD : 0;
    const end = pre.length + (expLen + 1) + (typeLen + 1) + 1;
    const out = Buffer.allocUnsafe(end + bodyFrame + (ack === undefined ? 0 : ACK_FRAME_BYTES));
    out.set(pre, 0);
    const h = prefix.header;
    // Content header frame: its payload size, the body size (a u64, below 2^32 here) and the flags of what follows.
    out.writeUInt32BE(end - 1 - h - 7, h + 3);
    out.writeUInt32BE(bodyLen, h + 7 + 2 + 2 + 4);
    let flags = out.readUInt16BE(h + 7 + 12);
    if (expLen >= 0) flags |= FLAG_EXPIRATION;
    if (typeLen >= 0) flags |= FLAG_TYPE;
    out.writeUInt16BE(flags, h + 7 + 12);
    let o = pre.length;
    if (expLen >= 0) o = shortstr(out, o, exp as string, expLen);
    if (typeLen >= 0) o = shortstr(out, o, type as string, typeLen);
    out[o++] = FRAME_END;

    if (bodyFrame > 0) {
      o = frameStart(out, o, FRAME_BODY, channel, bodyLen);
      this.bodyStart = o;
      if (typeof body !== 'string') o += body.copy(out, o);
      else if (textBytes !== undefined) o += out.write(body, o, bodyLen, 'utf8');
      else if (writeAscii(body, out.subarray(o, o + bodyLen))) o += bodyLen;
      else return this.encode(channel, exchange, routingKey, mandatory, props, body, frameMax, ack, Buffer.byteLength(body));
      this.bodyEnd = o;
      out[o++] = FRAME_END;
    } else this.bodyStart = this.bodyEnd = o;
    if (ack !== undefined) writeAck(out, o, channel, ack, false);
    return out;
  }

  /** The body bytes inside `frames`, the Buffer the last {@link encode} returned (a view, not a copy). */
  body(frames: Buffer): Buffer {
    return frames.subarray(this.bodyStart, this.bodyEnd);
  }

  /** The kept bytes for this destination and these properties; undefined when a string is over 255 bytes. */
  private prefix(channel: number, exchange: string, routingKey: string, mandatory: boolean, props: PublishProps): Prefix | undefined {
    let p = this.last;
    if (p === undefined || p.routingKey !== routingKey) p = this.prefixes.get(routingKey);
    if (
      p === undefined ||
      p.channel !== channel ||
      p.exchange !== exchange ||
      p.mandatory !== mandatory ||
      p.contentType !== props.contentType ||
      p.correlationId !== props.correlationId ||
      p.replyTo !== props.replyTo
    ) {
      p = makePrefix(channel, exchange, routingKey, mandatory, props);
      if (p === undefined) return undefined;
      if (this.prefixes.size >= PREFIXES_MAX) this.prefixes.clear();
      this.prefixes.set(routingKey, p);
    }
    this.last = p;
    return p;
  }
}

function makePrefix(channel: number, exchange: string, routingKey: string, mandatory: boolean, props: PublishProps): Prefix | undefined {
  const { contentType, correlationId, replyTo } = props;
  const exLen = Buffer.byteLength(exchange);
  const rkLen = Buffer.byteLength(routingKey);
  const ctLen = Buffer.byteLength(contentType);
  const ciLen = correlationId === undefined ? -1 : Buffer.byteLength(correlationId);
  const rtLen = replyTo === undefined ? -1 : Buffer.byteLength(replyTo);
  if (exLen > 255 || rkLen > 255 || ctLen > 255 || ciLen > 255 || rtLen > 255) return undefined;

  const methodSize = 2 + 2 + 2 + 1 + exLen + 1 + rkLen + 1;
  // class, weight, body size, flags, content type, empty headers table, correlation id, reply-to
  const headerSize = 2 + 2 + 8 + 2 + 1 + ctLen + 4 + (ciLen + 1) + (rtLen + 1);
  const bytes = Buffer.alloc(methodSize + FRAME_OVERHEAD + 7 + headerSize);

  let o = frameStart(bytes, 0, FRAME_METHOD, channel, methodSize);
  o = bytes.writeUInt16BE(BASIC, o);
  o = bytes.writeUInt16BE(PUBLISH, o);
  o = bytes.writeUInt16BE(0, o);
  o = shortstr(bytes, o, exchange, exLen);
  o = shortstr(bytes, o, routingKey, rkLen);
  o = bytes.writeUInt8(mandatory ? 1 : 0, o);
  o = bytes.writeUInt8(FRAME_END, o);

  const header = o;
  o = frameStart(bytes, o, FRAME_HEADER, channel, headerSize); // size patched per message
  o = bytes.writeUInt16BE(BASIC, o);
  o = bytes.writeUInt16BE(0, o);
  o = bytes.writeUInt32BE(0, o); // the body fits one frame: far below 2^32
  o = bytes.writeUInt32BE(0, o); // body size, patched per message
  let flags = FLAG_CONTENT_TYPE | FLAG_HEADERS;
  if (ciLen >= 0) flags |= FLAG_CORRELATION_ID;
  if (rtLen >= 0) flags |= FLAG_REPLY_TO;
  o = bytes.writeUInt16BE(flags, o);
  o = shortstr(bytes, o, contentType, ctLen);
  o = bytes.writeUInt32BE(0, o); // headers: an empty table, as amqplib always writes one
  if (ciLen >= 0) o = shortstr(bytes, o, correlationId as string, ciLen);
  if (rtLen >= 0) shortstr(bytes, o, replyTo as string, rtLen);
  return { channel, exchange, routingKey, mandatory, contentType, correlationId, replyTo, bytes, header };
}

/**
 * The frame of one `basic.ack` of `deliveryTag` on `channel` (exactly amqplib's bytes), so an ack
 * can leave in the same write as a reply (write-batcher.ts).
 */
export function encodeAck(channel: number, deliveryTag: number, multiple: boolean): Buffer {
  const out = Buffer.allocUnsafe(ACK_FRAME_BYTES);
  writeAck(out, 0, channel, deliveryTag, multiple);
  return out;
}

function writeAck(out: Buffer, o: number, channel: number, deliveryTag: number, multiple: boolean): void {
  o = frameStart(out, o, FRAME_METHOD, channel, ACK_FRAME_BYTES - FRAME_OVERHEAD);
  o = out.writeUInt16BE(BASIC, o);
  o = out.writeUInt16BE(ACK, o);
  // A delivery tag is a u64; JavaScript numbers hold it exactly up to 2^53.
  o = out.writeUInt32BE(Math.floor(deliveryTag / 2 ** 32), o);
  o = out.writeUInt32BE(deliveryTag >>> 0, o);
  o = out.writeUInt8(multiple ? 1 : 0, o);
  out.writeUInt8(FRAME_END, o);
}

function frameStart(out: Buffer, o: number, type: number, channel: number, size: number): number {
  o = out.writeUInt8(type, o);
  o = out.writeUInt16BE(channel, o);
  return out.writeUInt32BE(size, o);
}

function shortstr(out: Buffer, o: number, s: string, len: number): number {
  out[o++] = len;
  if (len === s.length) {
    // ASCII (its UTF-8 length is its length): byte by byte, no call into the runtime for a few characters.
    for (let i = 0; i < len; i++) out[o + i] = s.charCodeAt(i);
    return o + len;
  }
  return o + out.write(s, o, len, 'utf8');
}

/** The UTF-8 length of a short string: its length when ASCII, counted by the runtime otherwise. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}
