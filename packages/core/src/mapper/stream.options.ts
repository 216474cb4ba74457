/** Options and hooks of result streams (`mapper.stream()`, see docs/streams.md). */
import type { ChunkPacket } from '../protocol/stream-packets';
import type { MapperRequestOptions } from './mapper.options';
import type { PendingRequest } from './pending-request';

/** Default credit window of a result stream (chunks the agent may send ahead of the consumer). */
export const DEFAULT_STREAM_WINDOW = 16;

/** Options of `mapper.stream()`. */
export interface StreamOptions extends Omit<MapperRequestOptions, 'selector'> {
  /**
   * Milliseconds the stream may stay silent while the agent has credit (before the first chunk,
   * and between chunks) before it fails with `NANITE_ERR_TIMEOUT` and the handler is aborted.
   * A consumer that reads slowly never times its stream out. Default: the mapper's `timeout`.
   */
  timeout?: number;
  /**
   * Chunks the agent may send before the consumer has read them (default 16): what the mapper
   * buffers and the broker queues for this stream is at most this many chunks (bytes are split
   * into chunks of at most 256 KiB).
   */
  window?: number;
  /** How to pick the one agent that serves the stream (fan-out selectors are refused). */
  selector?: MapperRequestOptions['selector'];
}

/** @internal What the dispatcher calls on a stream's pending request. */
export interface StreamHooks {
  /** Initial credit, sent in the request's `stream` field. */
  readonly window: number;
  /** A chunk from the agent the request went to (already validated and matched to the request). */
  onChunk(packet: ChunkPacket, request: PendingRequest): void;
}
