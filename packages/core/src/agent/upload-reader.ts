/**
 * The handler's side of an upload (`ctx.input`): the caller's chunks as an async iterable, with
 * credit granted only as the handler reads, so a slow handler slows the uploader and the agent
 * holds at most `window` chunks of it.
 */
import { NaniteError } from '../errors';
import type { ChunkPacket, CreditPacket, EndPacket } from '../protocol/stream-packets';

/** Chunks of an upload the agent accepts ahead of its handler. */
export const UPLOAD_WINDOW = 16;

type Waiter = { resolve(r: IteratorResult<unknown>): void; reject(err: unknown): void };

/** What an {@link UploadReader} needs from its agent. */
export interface UploadReaderHost {
  /** Sends credit to the uploading mapper; returns what the transport threw, if anything. */
  credit(packet: CreditPacket): unknown;
}

/** One request's upload, read once by its handler. */
export class UploadReader implements AsyncIterableIterator<unknown> {
  private readonly items: unknown[] = [];
  private waiter: Waiter | undefined;
  private received = 0;
  private granted = 0;
  private readSinceCredit = 0;
  private started = false;
  private state: 'open' | 'ended' | 'failed' | 'closed' = 'open';
  private error: NaniteError | undefined;

  constructor(
    private readonly route: string,
    private readonly id: number,
    private readonly mapper: string,
    private readonly agent: string,
    private readonly host: UploadReaderHost,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (!this.started) {
      // Nothing is sent before the handler reads: the first credit opens the window.
      this.started = true;
      this.grant(UPLOAD_WINDOW);
    }
    if (this.items.length > 0) {
      const value = this.items.shift();
      this.read();
      return Promise.resolve({ value, done: false });
    }
    if (this.state === 'failed') {
      this.state = 'closed';
      return Promise.reject(this.error!);
    }
    if (this.state !== 'open') return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'ctx.input is read by one reader at a time' }));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The handler stopped reading early: what is buffered is dropped, later chunks are ignored. */
  return(): Promise<IteratorResult<unknown>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The request finished (or the handler left the loop): frees the buffer. */
  close(): void {
    this.items.length = 0;
    if (this.state === 'open') this.state = 'closed';
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: undefined, done: true });
  }

  /** The request was aborted (deadline, cancel, drain): a waiting read rejects with `reason`, and so does the next one. */
  abort(reason: NaniteError): void {
    if (this.state === 'open') this.fail(reason);
  }

  onChunk(c: ChunkPacket): void {
    if (this.state !== 'open') return;
    if (c.seq !== this.received) return this.fail(new NaniteError('NANITE_ERR_STREAM', { message: `${this.route}: upload chunk ${c.seq} arrived where ${this.received} was expected (a chunk was lost)`, data: { route: this.route, received: this.received } }));
    if (this.received >= this.granted) return this.fail(new NaniteError('NANITE_ERR_STREAM', { message: `${this.route}: the caller sent more upload chunks than it had credit for`, data: { route: this.route, received: this.received } }));
    this.received++;
    const data = c.data instanceof Uint8Array && !Buffer.isBuffer(c.data) ? Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength) : c.data;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.read();
      w.resolve({ value: data, done: false });
    } else this.items.push(data);
  }

  onEnd(e: EndPacket): void {
    if (this.state !== 'open') return;
    if (e.error) return this.fail(NaniteError.fromJSON(e.error));
    if (e.chunks !== this.received) return this.fail(new NaniteError('NANITE_ERR_STREAM', { message: `${this.route}: the upload was cut (${this.received} of ${e.chunks} chunks arrived)`, data: { route: this.route, received: this.received, sent: e.chunks } }));
    this.state = 'ended';
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: undefined, done: true });
  }

  private fail(err: NaniteError): void {
    this.error = err;
    this.state = 'failed';
    this.items.length = 0;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.state = 'closed';
      w.reject(err);
    }
  }

  private read(): void {
    if (++this.readSinceCredit >= UPLOAD_WINDOW >> 1 && this.state === 'open') {
      const n = this.readSinceCredit;
      this.readSinceCredit = 0;
      this.grant(n);
    }
  }

  private grant(n: number): void {
    this.granted += n;
    const err = this.host.credit({ v: 1, type: 'credit', id: this.id, replyTo: this.mapper, from: this.agent, n });
    if (err !== undefined) this.fail(new NaniteError('NANITE_ERR_TRANSPORT', { message: 'Could not send upload credit', cause: err }));
  }
}
