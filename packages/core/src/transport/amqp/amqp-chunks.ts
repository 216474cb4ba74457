/**
 * Binary stream chunks on AMQP: a chunk whose data is a `Buffer` travels as the message body
 * itself, its packet fields in one header, so bytes are neither JSON-encoded (a `Buffer` would
 * become `{"type":"Buffer","data":[…]}`, ~3.6× larger) nor base64-bloated.
 */
import type { MessageProperties } from 'amqplib';
import type { ChunkPacket } from '../../protocol/stream-packets';

/** Content type of a binary chunk message. */
export const CHUNK_CONTENT_TYPE = 'application/x-nanite-chunk';
/** Header holding a binary chunk's packet fields (`id`, `from`, `seq`). */
export const HEADER_CHUNK = 'x-nanite-chunk';

/** The message of a chunk carrying bytes, or undefined for a chunk of JSON data (encoded as usual). */
export function binaryChunk(packet: ChunkPacket): { body: Buffer; headers: Record<string, unknown> } | undefined {
  if (!Buffer.isBuffer(packet.data)) return undefined;
  return { body: packet.data, headers: { [HEADER_CHUNK]: { id: packet.id, from: packet.from, seq: packet.seq } } };
}

/**
 * The packet of a binary chunk message, or undefined when the message is not one. What the
 * header holds is not checked here: the mapper validates the packet like any other.
 */
export function fromBinaryChunk(props: MessageProperties, body: Buffer): unknown {
  if (props.contentType !== CHUNK_CONTENT_TYPE) return undefined;
  const h: unknown = props.headers?.[HEADER_CHUNK];
  if (typeof h !== 'object' || h === null) return { v: 1, type: 'chunk' };
  const r = h as Record<string, unknown>;
  return { v: 1, type: 'chunk', id: r.id, from: r.from, seq: r.seq, data: body };
}
