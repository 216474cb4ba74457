/** Server-sent events to every open Control Tower page. */
import { PassThrough } from 'node:stream';
import { BurstLog, type BurstLogger } from '@nanite/core';
import type { FastifyReply } from 'fastify';

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** Formats one event (`data` as JSON on one line). */
export function formatSse({ event, data }: SseEvent): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Limits of an {@link SseHub}. */
export interface SseHubOptions {
  /** ms between keep-alive comments. */
  heartbeatInterval: number;
  /**
   * Bytes a stream may have waiting for a client that does not read, beyond its first events; past
   * it the stream is dropped (the page reconnects and starts again from a snapshot) rather than
   * letting memory grow without bound. Default 256 KiB.
   */
  maxBuffered?: number;
  /** Most streams open at once; more are answered 503 (the page retries). Default 256. */
  maxClients?: number;
  /** Told once per burst of dropped or refused streams. */
  logger?: BurstLogger;
}

/** Defaults of {@link SseHubOptions}. */
export const DEFAULT_SSE_LIMITS = { maxBuffered: 256 * 1024, maxClients: 256 } as const;

/**
 * The open event streams. A comment line every `heartbeatInterval` keeps proxies from timing the
 * streams out (and tells a dead client apart); `close()` ends every stream so the HTTP server can
 * close. The heartbeat timer runs only while a stream is open. Memory is bounded: at most
 * `maxClients` streams, each holding at most its first events plus `maxBuffered` bytes.
 */
export class SseHub {
  /** Each open stream, with the bytes it may hold before it counts as stalled. */
  private readonly clients = new Map<PassThrough, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly maxBuffered: number;
  private readonly maxClients: number;
  private readonly dropped: BurstLog;
  private readonly refused: BurstLog;

  constructor(private readonly options: SseHubOptions) {
    this.maxBuffered = options.maxBuffered ?? DEFAULT_SSE_LIMITS.maxBuffered;
    this.maxClients = options.maxClients ?? DEFAULT_SSE_LIMITS.maxClients;
    this.dropped = new BurstLog({ logger: options.logger, message: 'Control Tower: dropped event streams whose client stopped reading (maxBuffered; further ones in the next 10 s are only counted)' });
    this.refused = new BurstLog({ logger: options.logger, message: 'Control Tower: refused event streams, too many open (maxClients; further ones in the next 10 s are only counted)' });
  }

  /** Streams dropped because their client stopped reading, and streams refused (503) because `maxClients` were open. */
  get stats(): { dropped: number; refused: number } {
    return { dropped: this.dropped.count, refused: this.refused.count };
  }

  /** Open streams. */
  get size(): number {
    return this.clients.size;
  }

  /** Answers `reply` with an event stream that starts with `initial` (or 503 when `maxClients` are open). */
  open(reply: FastifyReply, initial: readonly SseEvent[]): FastifyReply {
    if (!this.closed && this.clients.size >= this.maxClients) {
      this.refused.record({ maxClients: this.maxClients });
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ statusCode: 503, error: 'Service Unavailable', message: `The Control Tower already serves ${this.maxClients} event streams; try again later` });
    }
    const stream = new PassThrough();
    if (this.closed) {
      stream.end();
    } else {
      // Reconnect after 2 s if the connection drops (EventSource honours this; our page too).
      let first = `retry: 2000\n\n`;
      for (const e of initial) first += formatSse(e);
      stream.write(first);
      // The first events (a snapshot of a big cluster) may exceed maxBuffered on their own.
      this.clients.set(stream, first.length + this.maxBuffered);
      // Fastify destroys the stream when the client goes away. A response may also end without
      // ever streaming it (a HEAD request: Fastify drains the stream and ends the response): the
      // stream goes with its response, whichever way that ends.
      stream.once('close', () => this.drop(stream));
      reply.raw.once('close', () => this.release(stream));
      this.heartbeat ??= this.startHeartbeat();
    }
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-store, no-transform')
      .header('x-accel-buffering', 'no')
      .send(stream);
  }

  /** Sends an event to every open stream. */
  broadcast(event: SseEvent): void {
    if (this.clients.size === 0) return;
    const text = formatSse(event);
    for (const [stream, limit] of this.clients) this.write(stream, limit, text);
  }

  /** Ends every stream and refuses new ones. Idempotent. */
  close(): void {
    this.closed = true;
    for (const stream of [...this.clients.keys()]) stream.end();
    this.clients.clear();
    this.stopHeartbeat();
  }

  private write(stream: PassThrough, limit: number, text: string): void {
    if (stream.writableLength + stream.readableLength + text.length > limit) {
      this.dropped.record({ maxBuffered: this.maxBuffered });
      this.release(stream);
      return;
    }
    stream.write(text);
  }

  /** Forgets the stream and destroys it (idempotent). */
  private release(stream: PassThrough): void {
    this.drop(stream);
    stream.destroy();
  }

  private drop(stream: PassThrough): void {
    this.clients.delete(stream);
    if (this.clients.size === 0) this.stopHeartbeat();
  }

  private startHeartbeat(): NodeJS.Timeout {
    const timer = setInterval(() => {
      for (const [stream, limit] of this.clients) this.write(stream, limit, `: ping ${Date.now()}\n\n`);
    }, this.options.heartbeatInterval);
    timer.unref();
    return timer;
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
