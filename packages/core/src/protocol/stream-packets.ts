import type { SerializedError } from '../errors';

/**
 * Stream packets of the Nanite protocol (result streams, see docs/streams.md).
 *
 * A request with a `stream` field asks for the result as a stream. The agent answers with
 * {@link ChunkPacket}s numbered from 0, never more than the credit the mapper granted (the request's
 * `stream` field, then every {@link CreditPacket}), and ends with an ordinary `result` packet whose
 * `result` is a {@link StreamEnd} (or an error). The count in the end packet lets the mapper tell a
 * complete stream from a cut one.
 *
 * A request with `upload: true` sends its input as a stream the other way: the agent grants credit
 * (a {@link CreditPacket} with `from`) as its handler reads `ctx.input`, the mapper sends
 * {@link ChunkPacket}s (`from` = the mapper) within it and ends with an {@link EndPacket}.
 */

/** One chunk of a stream: agent → mapper (a result stream) or mapper → agent (an upload). */
export interface ChunkPacket {
  v: 1;
  type: 'chunk';
  /** The request's id. */
  id: number;
  /** The sender: the agent (result stream) or the mapper (upload). */
  from: string;
  /** 0, 1, 2… in the order they were produced. */
  seq: number;
  /** A JSON value, or bytes (a `Buffer`; transports carry these without JSON, see amqp's binary chunks). */
  data: unknown;
}

/** The reader made room for `n` more chunks: mapper → agent (result stream), agent → mapper (upload, with `from`). */
export interface CreditPacket {
  v: 1;
  type: 'credit';
  /** The request's id. */
  id: number;
  /** The mapper that sent the request. */
  replyTo: string;
  /** The agent granting credit for an upload. */
  from?: string;
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

/** Mapper → agent: the upload's last packet (`chunks` sent), or why its source failed. */
export interface EndPacket {
  v: 1;
  type: 'end';
  /** The request's id. */
  id: number;
  /** The mapper. */
  from: string;
  chunks: number;
  error?: SerializedError;
}
