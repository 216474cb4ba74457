/**
 * The binary envelope: how a secure outer packet (its clear addressing fields plus the frame's
 * bytes in `sec`) crosses a byte transport without base64 and without a JSON pass over the frame.
 * Two forms of head, told apart by the fourth byte:
 *
 *   0x00 'N' 'E' 0x02 | binary head (below) | frame bytes (`sec`)            sealed unicast packets
 *   0x00 'N' 'E' 0x01 | headLen u32 BE | head: JSON of the packet without `sec` | frame bytes
 *                                                            signed packets (all fields in clear)
 *
 * The binary head holds exactly the clear fields the secure codec keeps for a sealed packet
 * (secure-codec.ts `outerOf`), fixed-width numbers and length-prefixed UTF-8 strings, so neither
 * side makes a JSON pass per message for addressing:
 *
 *   kind u8 | v u8 | id f64 BE (0 for a bundle) | then by kind
 *     1 request, 2 push: timeout f64 BE | hops u16 BE | route str | replyTo str
 *     3 cancel:          replyTo str
 *     4 result, 5 progress: from str
 *     6 bundle:          from str     (one sealed frame holding several results and progress)
 *   str = byteLen u16 BE | UTF-8 bytes
 *
 * An outer packet whose fields do not fit (a string over 65,535 bytes, a non-finite number...)
 * takes the JSON head instead. JSON text never starts with a 0x00 byte, so the JSON serializer
 * tells envelopes from JSON by the first byte. Decoding checks every length and never trusts the
 * head: the secure codec verifies the frame and compares the head's addressing fields with the
 * verified packet.
 */

const MAGIC = [0x00, 0x4e, 0x45] as const;
const JSON_HEAD = 0x01;
const BINARY_HEAD = 0x02;
/** Bytes before a JSON head. */
const PREFIX_BYTES = 8;
/** Bytes of the magic and the head form. */
const MAGIC_BYTES = 4;

const KIND_REQUEST = 1;
const KIND_PUSH = 2;
const KIND_CANCEL = 3;
const KIND_RESULT = 4;
const KIND_PROGRESS = 5;
const KIND_BUNDLE = 6;
const MAX_STR = 0xffff;

/** A packet whose `sec` field holds raw bytes (a secure outer packet). */
export type EnvelopePacket = Record<string, unknown> & { sec: Uint8Array };

/** True when `packet` travels as a binary envelope (its `sec` field is bytes). */
export function isEnvelopePacket(packet: object): packet is EnvelopePacket {
  return (packet as { sec?: unknown }).sec instanceof Uint8Array;
}

/** True when `bytes` start like a binary envelope (and so are not JSON). */
export function isEnvelope(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === MAGIC[0];
}

/** The bytes of an envelope packet: one allocation, the frame copied once. */
export function encodeEnvelope(packet: EnvelopePacket): Buffer {
  return encodeBinary(packet) ?? encodeJson(packet);
}

/** The packet of envelope bytes (`sec` a view of `bytes`, not a copy). Throws on malformed bytes, like any serializer's decode. */
export function decodeEnvelope(bytes: Buffer): EnvelopePacket {
  if (bytes.length < MAGIC_BYTES || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2]) throw new Error('not a secure envelope (magic)');
  if (bytes[3] === BINARY_HEAD) return decodeBinary(bytes);
  if (bytes[3] === JSON_HEAD) return decodeJson(bytes);
  throw new Error('not a secure envelope (head form)');
}

function magic(b: Buffer, form: number): void {
  b[0] = MAGIC[0];
  b[1] = MAGIC[1];
  b[2] = MAGIC[2];
  b[3] = form;
}

function encodeJson(packet: EnvelopePacket): Buffer {
  const { sec, ...head } = packet;
  const text = JSON.stringify(head);
  const n = Buffer.byteLength(text);
  const b = Buffer.allocUnsafe(PREFIX_BYTES + n + sec.length);
  magic(b, JSON_HEAD);
  b.writeUInt32BE(n, 4);
  b.write(text, PREFIX_BYTES, n, 'utf8');
  b.set(sec, PREFIX_BYTES + n);
  return b;
}

function decodeJson(bytes: Buffer): EnvelopePacket {
  if (bytes.length < PREFIX_BYTES) throw new Error('truncated secure envelope');
  const n = bytes.readUInt32BE(4);
  if (n > bytes.length - PREFIX_BYTES) throw new Error('truncated secure envelope');
  const head: unknown = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + n));
  if (typeof head !== 'object' || head === null || Array.isArray(head)) throw new Error('secure envelope head is not an object');
  const packet = head as EnvelopePacket;
  packet.sec = bytes.subarray(PREFIX_BYTES + n);
  return packet;
}

function kindOf(type: unknown): number {
  switch (type) {
    case 'request':
      return KIND_REQUEST;
    case 'push':
      return KIND_PUSH;
    case 'cancel':
      return KIND_CANCEL;
    case 'result':
      return KIND_RESULT;
    case 'progress':
      return KIND_PROGRESS;
    case 'bundle':
      return KIND_BUNDLE;
    default:
      return 0;
  }
}

/** UTF-8 length of a head string, or -1 when it is not a string or too long. */
function strLen(s: unknown): number {
  if (typeof s !== 'string') return -1;
  const n = Buffer.byteLength(s);
  return n <= MAX_STR ? n : -1;
}

/** The binary form, or undefined when the packet's clear fields do not fit it (it then takes the JSON head). */
function encodeBinary(p: EnvelopePacket): Buffer | undefined {
  const kind = kindOf(p.type);
  const { v, sec } = p;
  // A bundle has no id of its own (its members' are inside the frame): 0 in the head.
  const id = kind === KIND_BUNDLE && p.id === undefined ? 0 : p.id;
  if (kind === 0 || typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xff || typeof id !== 'number' || !Number.isFinite(id)) return undefined;
  // Only the codec's outer shapes (secure-codec.ts `outerOf`), placeholders included: decoding rebuilds exactly those.
  if (kind === KIND_REQUEST || kind === KIND_PUSH) {
    const { timeout, hops } = p;
    if (p.payload !== null) return undefined;
    const route = strLen(p.route);
    const replyTo = strLen(p.replyTo);
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || typeof hops !== 'number' || !Number.isInteger(hops) || hops < 0 || hops > 0xffff || route < 0 || replyTo < 0) return undefined;
    const b = Buffer.allocUnsafe(MAGIC_BYTES + 10 + 10 + 2 + route + 2 + replyTo + sec.length);
    let o = head(b, kind, v, id);
    o = b.writeDoubleBE(timeout, o);
    o = b.writeUInt16BE(hops, o);
    o = str(b, o, p.route as string, route);
    o = str(b, o, p.replyTo as string, replyTo);
    b.set(sec, o);
    return b;
  }
  if ((kind === KIND_RESULT && p.ok !== true) || (kind === KIND_PROGRESS && (p.key !== '' || p.value !== null))) return undefined;
  const name = kind === KIND_CANCEL ? p.replyTo : p.from;
  const n = strLen(name);
  if (n < 0) return undefined;
  const b = Buffer.allocUnsafe(MAGIC_BYTES + 10 + 2 + n + sec.length);
  const o = str(b, head(b, kind, v, id), name as string, n);
  b.set(sec, o);
  return b;
}

function head(b: Buffer, kind: number, v: number, id: number): number {
  magic(b, BINARY_HEAD);
  b[MAGIC_BYTES] = kind;
  b[MAGIC_BYTES + 1] = v;
  return b.writeDoubleBE(id, MAGIC_BYTES + 2);
}

function str(b: Buffer, o: number, s: string, n: number): number {
  b.writeUInt16BE(n, o);
  // Pure ASCII (every identity and route in practice): latin1 writes it byte for byte, faster than the UTF-8 encoder.
  b.write(s, o + 2, n, n === s.length ? 'latin1' : 'utf8');
  return o + 2 + n;
}

/** Reads the binary head; every length checked against what is there. */
class Reader {
  o = MAGIC_BYTES + 10;

  constructor(private readonly b: Buffer) {
    if (b.length < this.o) throw new Error('truncated secure envelope');
  }

  f64(): number {
    if (this.b.length < this.o + 8) throw new Error('truncated secure envelope');
    const x = this.b.readDoubleBE(this.o);
    if (!Number.isFinite(x)) throw new Error('secure envelope head: not a finite number');
    this.o += 8;
    return x;
  }

  u16(): number {
    if (this.b.length < this.o + 2) throw new Error('truncated secure envelope');
    const x = this.b.readUInt16BE(this.o);
    this.o += 2;
    return x;
  }

  str(): string {
    const n = this.u16();
    if (this.b.length < this.o + n) throw new Error('truncated secure envelope');
    const s = this.b.toString('utf8', this.o, (this.o += n));
    return s;
  }

  rest(): Buffer {
    return this.b.subarray(this.o);
  }
}

/** The same literal shapes as the secure codec's outer packets (one hidden class per type downstream). */
function decodeBinary(b: Buffer): EnvelopePacket {
  const r = new Reader(b);
  const kind = b[MAGIC_BYTES];
  const v = b[MAGIC_BYTES + 1];
  const id = b.readDoubleBE(MAGIC_BYTES + 2);
  if (!Number.isFinite(id)) throw new Error('secure envelope head: not a finite number');
  switch (kind) {
    case KIND_REQUEST:
    case KIND_PUSH: {
      const timeout = r.f64();
      const hops = r.u16();
      const route = r.str();
      const replyTo = r.str();
      return { v, type: kind === KIND_REQUEST ? 'request' : 'push', id, route, replyTo, timeout, hops, payload: null, sec: r.rest() };
    }
    case KIND_CANCEL: {
      const replyTo = r.str();
      return { v, type: 'cancel', id, replyTo, sec: r.rest() };
    }
    case KIND_RESULT: {
      const from = r.str();
      return { v, type: 'result', id, from, ok: true, sec: r.rest() };
    }
    case KIND_PROGRESS: {
      const from = r.str();
      return { v, type: 'progress', id, from, key: '', value: null, sec: r.rest() };
    }
    case KIND_BUNDLE: {
      const from = r.str();
      return { v, type: 'bundle', from, sec: r.rest() };
    }
    default:
      throw new Error('secure envelope head: unknown kind');
  }
}
