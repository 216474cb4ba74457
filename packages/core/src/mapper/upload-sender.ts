/**
 * The caller's side of an upload: reads the source (a Node `Readable`, an async generator…) only
 * as fast as the agent grants credit, sends it as chunks, then an end packet with the count (or
 * the source's error).
 */
import { NaniteError, toNaniteError } from '../errors';
import type { AgentBoundPacket } from '../protocol/packets';
import type { CreditPacket } from '../protocol/stream-packets';
import { closeSource, isStreamSource, type StreamSource } from '../agent/stream-source';
import { CHUNKS_PER_TURN, MAX_CHUNK_BYTES, nextTurn } from '../agent/stream-pump';
import type { Dispatch } from './dispatch.types';
import type { PendingCallbacks, PendingRequest } from './pending-request';

/** @internal What the dispatcher calls on an upload's pending request. */
export interface UploadHooks {
  /** Credit from the agent the request went to (validated and matched to the request). */
  onCredit(packet: CreditPacket, request: PendingRequest): void;
}

/** Sends one request's upload. */
export class UploadSender implements UploadHooks {
  private credit = 0;
  private seq = 0;
  private pumping = false;
  private closed = false;
  private iterator: AsyncIterator<unknown> | undefined;
  private pending: Buffer | undefined;
  private request: PendingRequest | undefined;

  constructor(
    private readonly source: StreamSource,
    private readonly identity: string,
    private readonly send: (agent: string, packet: AgentBoundPacket) => void,
  ) {}

  onCredit(c: CreditPacket, p: PendingRequest): void {
    if (this.closed) return;
    if (!this.request) {
      this.request = p;
      // Input was consumed: running it again elsewhere could not replay it.
      p.idempotent = false;
    }
    this.credit += c.n;
    if (!this.pumping) void this.pump();
  }

  /** The request completed: stop reading the source. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSource(this.source, this.iterator, undefined);
    this.iterator = undefined;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      this.iterator ??= this.source[Symbol.asyncIterator]();
      let burst = 0;
      while (this.credit > 0 && !this.closed) {
        if (++burst >= CHUNKS_PER_TURN) {
          // Lets timers and I/O run between bursts from a source that never waits.
          burst = 0;
          await nextTurn();
          if (this.closed) return;
        }
        if (this.pending) {
          this.chunk(this.pending.subarray(0, MAX_CHUNK_BYTES));
          this.pending = this.pending.length > MAX_CHUNK_BYTES ? this.pending.subarray(MAX_CHUNK_BYTES) : undefined;
          continue;
        }
        const r = await this.iterator.next();
        if (this.closed) return;
        if (r.done) {
          this.iterator = undefined;
          this.end();
          return;
        }
        const v = r.value;
        if (v instanceof Uint8Array) this.pending = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        else this.chunk(v);
      }
    } catch (err) {
      try {
        if (!this.closed) this.end(toNaniteError(err));
      } catch {
        // The end packet could not be sent either: the request's own deadline ends it.
      }
    } finally {
      this.pumping = false;
    }
  }

  private chunk(data: unknown): void {
    this.credit--;
    this.send(this.request!.agent!.identity, { v: 1, type: 'chunk', id: this.request!.packet.id, from: this.identity, seq: this.seq++, data });
  }

  private end(error?: NaniteError): void {
    const packet: AgentBoundPacket = { v: 1, type: 'end', id: this.request!.packet.id, from: this.identity, chunks: this.seq };
    if (error) packet.error = error.toJSON();
    this.closed = true;
    this.send(this.request!.agent!.identity, packet);
  }
}

/** True when a request sends its input as a stream (the `stream` option, or a stream source as the payload). */
/**
 * Closes the upload source of a request refused before it was sent (bad options, a mapper not
 * running): its file descriptor or generator must not stay open. Never throws.
 */
export function dropUpload(payload: unknown, options: { stream?: unknown } | null | undefined): void {
  try {
    const source = (typeof options === 'object' && options !== null ? options.stream : undefined) ?? (isStreamSource(payload) ? payload : undefined);
    if (source !== undefined) closeSource(source, undefined, undefined);
  } catch {
    // An options object whose getter throws: there is nothing we can reach to close.
  }
}

export function isUpload(payload: unknown, options: { stream?: unknown }): boolean {
  return options.stream !== undefined || isStreamSource(payload);
}

/**
 * Sets up the upload of a request, if it has one: `options.stream`, or a payload that is itself a
 * stream (then no payload is sent). The callbacks are wrapped so the upload stops with the request.
 */
export function prepareUpload(d: Dispatch, cb: PendingCallbacks, identity: string, send: (agent: string, packet: AgentBoundPacket) => void): PendingCallbacks {
  const explicit = d.options.stream;
  const source = explicit ?? (isStreamSource(d.payload) ? d.payload : undefined);
  if (source === undefined) return cb;
  if (!isStreamSource(source)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'stream must be an async iterable (a Node Readable, an async generator…)' });
  if (d.options.persistent) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'An upload cannot be persistent (parked for an agent): its flow control needs the agent it runs on' });
  if (d.selector.fanOut) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'An upload goes to one agent: fan-out selectors are refused' });
  if (explicit === undefined) d.payload = undefined;
  const sender = new UploadSender(source, identity, send);
  d.upload = sender;
  return {
    resolve: (result, agent, attempts) => {
      sender.close();
      cb.resolve(result, agent, attempts);
    },
    reject: (err) => {
      sender.close();
      cb.reject(err);
    },
  };
}
