/**
 * The inner packet's bytes: what a frame signs or seals. Three forms, told apart by the first byte:
 *
 *   JSON text of the packet (starts with '{'), or
 *   a byte chunk: 0x00 'B' | headLen u32 BE | head: JSON of the chunk packet without `data` | the
 *   bytes of `data` (every byte after the head), or
 *   a bundle (sealed frames only): a JSON array of 2 to {@link MAX_BUNDLE} packets (starts with
 *   '['), the JSON texts of replies made for one mapper in one event-loop turn, joined
 *
 * A stream chunk whose `data` is bytes takes the second form, so its bytes are sealed as they are
 * instead of as `{"type":"Buffer","data":[…]}` (~3.5× larger and a slow JSON pass each way), and
 * open back to a `Buffer`. Both forms sit inside the same AEAD (or signature), so the bytes stay
 * confidential and authenticated. The decoder never throws and checks every length.
 */
import { utf8Bytes } from '../../internal/utf8';

/** Most packets in a bundle. */
export const MAX_BUNDLE = 256;
/** Bytes before a byte chunk's head. */
const CHUNK_PREFIX_BYTES = 6;
const CHUNK_MAGIC = [0x00, 0x42] as const;

/** An inner packet's bytes in up to two parts (so a sealer can encrypt the bytes without first copying them). */
export interface InnerBytes {
  head: Buffer;
  /** A byte chunk's data, when the packet is one. */
  data?: Buffer;
  /** Bytes of head and data together. */
  length: number;
}

/** The bytes of `packet` (already checked by `assertWireSafe`). */
export function encodeInner(packet: object): InnerBytes {
  const p = packet as { type?: unknown; data?: unknown };
  if (p.type !== 'chunk' || !(p.data instanceof Uint8Array)) {
    const head = utf8Bytes(JSON.stringify(packet));
    return { head, length: head.length };
  }
  const bytes = p.data;
  const data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { data: _data, ...rest } = packet as Record<string, unknown>;
  const text = JSON.stringify(rest);
  const n = Buffer.byteLength(text);
  const head = Buffer.allocUnsafe(CHUNK_PREFIX_BYTES + n);
  head[0] = CHUNK_MAGIC[0];
  head[1] = CHUNK_MAGIC[1];
  head.writeUInt32BE(n, 2);
  head.write(text, CHUNK_PREFIX_BYTES, n, 'utf8');
  return { head, data, length: head.length + data.length };
}

/** The inner bytes as one buffer (signed frames, tests). */
export function innerBuffer(inner: InnerBytes): Buffer {
  return inner.data ? Buffer.concat([inner.head, inner.data], inner.length) : inner.head;
}

/** The packet of inner bytes, or undefined when they are malformed. A byte chunk's `data` is a view of `body`. Never throws. */
export function decodeInner(body: Buffer): Record<string, unknown> | undefined {
  if (body.length >= CHUNK_PREFIX_BYTES && body[0] === CHUNK_MAGIC[0]) return decodeChunk(body);
  return parseObject(body, 0, body.length);
}

/**
 * The bytes of a bundle: the JSON texts of `members` (each from {@link encodeInner}, JSON form)
 * joined into one JSON array, so a member is serialized once, when its packet is made.
 */
export function encodeBundle(members: readonly Buffer[], length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  b[0] = 0x5b; // [
  let o = 1;
  for (let i = 0; i < members.length; i++) {
    if (i > 0) b[o++] = 0x2c; // ,
    o += members[i]!.copy(b, o);
  }
  b[o] = 0x5d; // ]
  return b;
}

/** Bytes of the bundle of members totalling `memberBytes` bytes. */
export function bundleBytes(count: number, memberBytes: number): number {
  return memberBytes + Math.max(count - 1, 0) + 2;
}

/** The packets of a bundle's bytes: 2 to {@link MAX_BUNDLE} objects, or undefined when they are not that. Never throws. */
export function decodeBundle(body: Buffer): Record<string, unknown>[] | undefined {
  if (body.length < 2 || body[0] !== 0x5b) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length < 2 || v.length > MAX_BUNDLE) return undefined;
  for (const p of v) if (typeof p !== 'object' || p === null || Array.isArray(p)) return undefined;
  return v as Record<string, unknown>[];
}

/** True when `body` holds a bundle (first byte '['): see {@link decodeBundle}. */
export function isBundle(body: Buffer): boolean {
  return body.length > 0 && body[0] === 0x5b;
}

function decodeChunk(body: Buffer): Record<string, unknown> | undefined {
  if (body[1] !== CHUNK_MAGIC[1]) return undefined;
  const n = body.readUInt32BE(2);
  if (n > body.length - CHUNK_PREFIX_BYTES) return undefined;
  const head = parseObject(body, CHUNK_PREFIX_BYTES, CHUNK_PREFIX_BYTES + n);
  // Only a chunk takes this form, and its bytes are the one `data` it has.
  if (!head || head.type !== 'chunk' || Object.prototype.hasOwnProperty.call(head, 'data')) return undefined;
  head.data = body.subarray(CHUNK_PREFIX_BYTES + n);
  return head;
}

function parseObject(body: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body.toString('utf8', start, end));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
