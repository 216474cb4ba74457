/**
 * Binary stream chunks on a direct (SP) pipe: a chunk whose data is a `Buffer` travels as
 * `[kind 0x03][id: f64][seq: f64][from length: u16][from: utf-8][data]`, so bytes are neither
 * JSON-encoded nor base64-bloated (the direct path's counterpart of amqp-chunks.ts). Chunks of JSON
 * data travel as ordinary packets.
 */
import { payloadError } from '../../protocol/wire-safety';
import type { ChunkPacket } from '../../protocol/stream-packets';
import { DIRECT_KIND } from './direct.options';

const HEAD = 1 + 8 + 8 + 2;

/** The message parts of a chunk carrying bytes, or undefined for a chunk of JSON data. */
export function binaryChunkParts(packet: ChunkPacket): Uint8Array[] | undefined {
  if (!Buffer.isBuffer(packet.data)) return undefined;
  const from = Buffer.from(packet.from, 'utf8');
  if (from.length > 0xffff) return undefined;
  const head = Buffer.allocUnsafe(HEAD);
  head[0] = DIRECT_KIND.chunk;
  head.writeDoubleBE(packet.id, 1);
  head.writeDoubleBE(packet.seq, 9);
  head.writeUInt16BE(from.length, 17);
  return [head, from, packet.data];
}

/**
 * The packet of a binary chunk message (starting with its kind byte), or a reason it is not one.
 * The fields are not checked beyond their framing: the receiver validates the packet like any other.
 */
export function fromBinaryChunk(body: Buffer): { ok: true; packet: unknown } | { ok: false; reason: string } {
  if (body.length < HEAD) return { ok: false, reason: 'direct: a chunk message shorter than its header' };
  const fromLength = body.readUInt16BE(17);
  if (body.length < HEAD + fromLength) return { ok: false, reason: 'direct: a chunk message shorter than its header' };
  const packet = {
    v: 1,
    type: 'chunk',
    id: body.readDoubleBE(1),
    seq: body.readDoubleBE(9),
    from: body.toString('utf8', HEAD, HEAD + fromLength),
    data: body.subarray(HEAD + fromLength),
  };
  return { ok: true, packet };
}

/**
 * The message parts of a packet of a stream pinned to a pipe, checked against `maxMessageSize`.
 * Such a packet never changes path mid-stream (over the control plane it would overtake the ones
 * still in the pipe, and the reader would see a chunk missing), so one too large for the pipe is
 * the packet's error: `NANITE_ERR_PAYLOAD`, thrown, which fails the stream at once.
 */
export function pinnedStreamParts(parts: readonly Uint8Array[], maxMessageSize: number, what: string): readonly Uint8Array[] {
  let size = 0;
  for (const p of parts) size += p.length;
  if (size >= maxMessageSize) throw payloadError(what, `its ${size} bytes reach the direct endpoint's maxMessageSize (${maxMessageSize}), and a stream does not change path mid-way`);
  return parts;
}
