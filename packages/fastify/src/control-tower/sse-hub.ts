/** Server-sent events to every open Control Tower page. */
import { PassThrough } from 'node:stream';
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

/**
 * The open event streams. A comment line every `heartbeatInterval` keeps proxies from timing the
 * streams out (and tells a dead client apart); `close()` ends every stream so the HTTP server can
 * close. The heartbeat timer runs only while a stream is open.
 */
export class SseHub {
  private readonly clients = new Set<PassThrough>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param heartbeatInterval ms between keep-alive comments.
   * @param maxBuffered bytes a stream may have waiting for a client that does not read; past it the
   *   stream is dropped (the page reconnects and starts again from a snapshot) rather than letting
   *   memory grow without bound.
   */
  constructor(
    private readonly heartbeatInterval: number,
    private readonly maxBuffered = 1024 * 1024,
  ) {}

  /** Open streams. */
  get size(): number {
    return this.clients.size;
  }

  /** Answers `reply` with an event stream that starts with `initial`. */
  open(reply: FastifyReply, initial: readonly SseEvent[]): FastifyReply {
    const stream = new PassThrough();
    if (this.closed) {
      stream.end();
    } else {
      // Reconnect after 2 s if the connection drops (EventSource honours this; our page too).
      stream.write(`retry: 2000\n\n`);
      for (const e of initial) stream.write(formatSse(e));
      this.clients.add(stream);
      // Fastify destroys the stream when the client goes away.
      stream.once('close', () => this.drop(stream));
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
    for (const stream of this.clients) this.write(stream, text);
  }

  /** Ends every stream and refuses new ones. Idempotent. */
  close(): void {
    this.closed = true;
    for (const stream of [...this.clients]) stream.end();
    this.clients.clear();
    this.stopHeartbeat();
  }

  private write(stream: PassThrough, text: string): void {
    if (stream.writableLength + text.length > this.maxBuffered) {
      this.drop(stream);
      stream.destroy();
      return;
    }
    stream.write(text);
  }

  private drop(stream: PassThrough): void {
    this.clients.delete(stream);
    if (this.clients.size === 0) this.stopHeartbeat();
  }

  private startHeartbeat(): NodeJS.Timeout {
    const timer = setInterval(() => {
      for (const stream of this.clients) this.write(stream, `: ping ${Date.now()}\n\n`);
    }, this.heartbeatInterval);
    timer.unref();
    return timer;
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
