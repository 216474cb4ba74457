/**
 * Sends one handler's result stream: chunk by chunk, never more than the credit its caller
 * granted, so a slow consumer slows the handler and nothing piles up in the agent or the broker.
 */
import { NaniteError } from '../errors';
import type { StreamEnd } from '../protocol/stream-packets';
import type { Job } from './job';
import { closeSource, isStreamSource } from './stream-source';

/** Largest chunk of bytes sent in one packet: bigger Buffers are split. */
export const MAX_CHUNK_BYTES = 256 * 1024;

/** Chunks sent in a row before a pump lets timers and I/O run (heartbeats, acks, other requests). */
export const CHUNKS_PER_TURN = 16;

/** Resolves on the next turn of the event loop, after pending I/O callbacks and timers. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Sends one chunk; returns what the transport threw (e.g. `NANITE_ERR_PAYLOAD`), if anything. */
export type ChunkSender = (job: Job, seq: number, data: unknown) => unknown;

/** How a pump ended: the stream's end, or why it failed. */
export type PumpOutcome = { ok: true; value: StreamEnd } | { ok: false; value: unknown };

/** Pumps one source into chunks within the credit window. */
export class StreamPump {
  private seq = 0;
  /** Chunks sent since the pump last gave the event loop a turn. */
  private burst = 0;
  private wake: (() => void) | undefined;
  private iterator: AsyncIterator<unknown> | undefined;

  /**
   * @param stallTimeout ms the pump waits for credit before it gives up on its reader (aborting the
   *   job with `NANITE_ERR_TIMEOUT`): a mapper that died, or a reader that stopped reading without
   *   cancelling, would otherwise hold the job's slot for good. 0: wait for ever.
   */
  /** The reader's window (its first credit): what it has room for, and so the most credit it can rightly have outstanding. */
  private readonly window: number;

  constructor(
    private readonly job: Job,
    private readonly source: unknown,
    private credit: number,
    private readonly send: ChunkSender,
    private readonly stallTimeout = 0,
  ) {
    this.window = credit;
  }

  /**
   * The caller read more: `n` more chunks may go. Never more than its window outstanding: a caller
   * granting more than it has room for (broken, or hostile) would have the agent publish as fast as
   * the source produces, with nothing to hold the chunks back.
   */
  grant(n: number): void {
    this.credit = Math.min(this.credit + n, this.window);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Runs until the source ends, fails, or the job is aborted (cancel, timeout, agent stop). */
  async run(): Promise<PumpOutcome> {
    const signal = this.job.signal;
    const onAbort = (): void => {
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
      closeSource(this.source, this.iterator, signal.reason);
      this.iterator = undefined;
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (!isStreamSource(this.source)) {
        // A plain result read as a stream: one chunk (none for `undefined`).
        if (this.source !== undefined) await this.emit(this.source);
      } else {
        const source = this.source;
        this.iterator = this.inScope(() => source[Symbol.asyncIterator]());
        for (;;) {
          const it = this.iterator;
          if (!it || signal.aborted) break;
          const r = await this.inScope(() => it.next());
          if (r.done) {
            this.iterator = undefined;
            break;
          }
          if (!(await this.emit(r.value))) break;
        }
      }
      if (signal.aborted) return { ok: false, value: signal.reason };
      return { ok: true, value: { chunks: this.seq } };
    } catch (err) {
      return { ok: false, value: err };
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Ended early (failed or aborted): let the source clean up.
      if (this.iterator) closeSource(this.source, this.iterator, signal.reason);
      this.iterator = undefined;
    }
  }

  /** Waits for credit (or the abort that wakes it); past `stallTimeout` without any, aborts the job. */
  private async creditOrStall(): Promise<void> {
    let stall: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.stallTimeout > 0) {
          stall = setTimeout(() => {
            this.job.abort(new NaniteError('NANITE_ERR_TIMEOUT', {
              message: `${this.job.route}: the reader took no chunk for ${this.stallTimeout} ms (gone, or stopped reading without cancelling)`,
              data: { route: this.job.route, sent: this.seq },
            }));
            resolve();
          }, this.stallTimeout);
          // Housekeeping: the stream's reader keeps its own process alive, not this.
          stall.unref();
        }
      });
    } finally {
      if (stall) clearTimeout(stall);
    }
  }

  /**
   * Runs `fn` in the handler's scope (inside its span's context, for a tracing observer): a
   * generator's body runs on each next(), not when the handler returned it.
   */
  private inScope<T>(fn: () => T): T {
    const scope = this.job.scope;
    return scope?.run ? scope.run(fn) : fn();
  }

  /** Sends one value the source produced (bytes split into chunks); false when aborted meanwhile. */
  private async emit(value: unknown): Promise<boolean> {
    if (value instanceof Uint8Array) {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      for (let at = 0; at < bytes.length || (at === 0 && bytes.length === 0); at += MAX_CHUNK_BYTES) {
        if (!(await this.one(bytes.length <= MAX_CHUNK_BYTES ? bytes : bytes.subarray(at, at + MAX_CHUNK_BYTES)))) return false;
        if (bytes.length === 0) break;
      }
      return true;
    }
    return this.one(value);
  }

  private async one(data: unknown): Promise<boolean> {
    while (this.credit <= 0) {
      if (this.job.aborted) return false;
      this.burst = 0;
      await this.creditOrStall();
    }
    // A source that never waits (an in-memory generator) would otherwise hold the event loop for as
    // long as credit lasts, starving the agent's heartbeat under load.
    if (++this.burst >= CHUNKS_PER_TURN) {
      this.burst = 0;
      await nextTurn();
    }
    if (this.job.aborted) return false;
    this.credit--;
    const err = this.send(this.job, this.seq, data);
    if (err !== undefined) throw err instanceof NaniteError ? err : new NaniteError('NANITE_ERR_TRANSPORT', { message: 'Could not send a stream chunk', cause: err });
    this.seq++;
    return true;
  }
}
