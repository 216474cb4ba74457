/**
 * Stream packets of the Nanite protocol (result streams, see docs/streams.md).
 *
 * A request with a `stream` field asks for the result as a stream. The agent answers with
 * {@link ChunkPacket}s numbered from 0, never more than the credit the mapper granted (the request's
 * `stream` field, then every {@link CreditPacket}), and ends with an ordinary `result` packet whose
 * `result` is a {@link StreamEnd} (or an error). The count in the end packet lets the mapper tell a
 * complete stream from a cut one.
 */

/** Agent → mapper: one chunk of a result stream. */
export interface ChunkPacket {
  v: 1;
  type: 'chunk';
  /** The request's id. */
  id: number;
  from: string;
  /** 0, 1, 2… in the order the handler produced them. */
  seq: number;
  /** A JSON value, or bytes (a `Buffer`; transports carry these without JSON, see amqp's binary chunks). */
  data: unknown;
}

/** Mapper → agent: the consumer made room for `n` more chunks. */
export interface CreditPacket {
  v: 1;
  type: 'credit';
  /** The request's id. */
  id: number;
  replyTo: string;
  /** Chunks the agent may send in addition to what it was granted so far. */
  n: number;
}

/** The `result` of a stream's final packet. */
export interface StreamEnd {
  /** Chunks sent, so a cut stream (a chunk lost on the way) is told from a complete one. */
  chunks: number;
}

/** Most credit one packet (or a request's `stream` field) may grant. */
export const MAX_STREAM_CREDIT = 65_536;

/** True for a result that ends a stream. */
export function isStreamEnd(v: unknown): v is StreamEnd {
  return typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).chunks === 'number' && Number.isInteger((v as StreamEnd).chunks) && (v as StreamEnd).chunks >= 0;
}
