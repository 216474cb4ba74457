/**
 * The agent's running result streams: which job pumps which source, credit routed to them, and
 * the answer to a handler that returned a stream to a caller that did not ask for one.
 */
import { NaniteError } from '../errors';
import type { ChunkPacket } from '../protocol/stream-packets';
import type { AgentLink } from '../transport/transport';
import type { Job } from './job';
import { StreamPump } from './stream-pump';
import { closeSource, isSourceSafe } from './stream-source';

/** What {@link StreamPumps} needs from its job runner. */
export interface StreamPumpsHost {
  readonly identity: string;
  link(): AgentLink | undefined;
  /** Completes the job with the stream's outcome (the end packet, or an error reply). */
  finish(job: Job, ok: boolean, value: unknown): void;
  /** Ms a stream waits for its reader's credit before it is aborted (0: for ever); see StreamPump. */
  readonly stallTimeout?: number;
}

/** Owns the pumps of the jobs streaming now. */
export class StreamPumps {
  private readonly pumps = new Map<Job, StreamPump>();
  private readonly ended = new Set<Job>();

  constructor(private readonly host: StreamPumpsHost) {}

  /** Streams running now. */
  get size(): number {
    return this.pumps.size;
  }

  /**
   * Called with a handler's outcome before it is answered. True when the stream machinery took the
   * job over (it calls `finish` again when the stream ends); false to answer it as usual.
   */
  take(job: Job, ok: boolean, value: unknown): boolean {
    if (this.ended.delete(job)) return false;
    const wantsStream = job.packet.type === 'request' && job.packet.stream !== undefined;
    if (!ok || job.aborted !== undefined || job.replied || !wantsStream) {
      if (!isSourceSafe(value)) return false;
      closeSource(value, undefined, undefined);
      if (!ok || job.aborted !== undefined || job.replied || job.packet.type === 'push') return false;
      this.host.finish(job, false, new NaniteError('NANITE_ERR_STREAM', {
        message: `${job.route} returned a stream: read it with mapper.stream()`,
        data: { route: job.route },
      }));
      return true;
    }
    // Settled now: the delivery's prefetch slot must not hold up the credit that keeps it going
    // (the job still counts against the agent's concurrency until the stream ends).
    job.settle();
    const pump = new StreamPump(job, value, job.packet.stream!, (j, seq, data) => this.send(j, seq, data), this.host.stallTimeout);
    this.pumps.set(job, pump);
    void pump.run().then((outcome) => {
      this.pumps.delete(job);
      this.ended.add(job);
      this.host.finish(job, outcome.ok, outcome.value);
    });
    return true;
  }

  /** The caller made room for `n` more chunks of request `id`. */
  grant(job: Job, n: number): void {
    this.pumps.get(job)?.grant(n);
  }

  private send(job: Job, seq: number, data: unknown): unknown {
    const link = this.host.link();
    if (!link) return new NaniteError('NANITE_ERR_NOT_CONNECTED', { message: 'The agent link is closed' });
    const packet: ChunkPacket = { v: 1, type: 'chunk', id: job.packet.id, from: this.host.identity, seq, data };
    try {
      link.reply(job.packet.replyTo, packet);
      return undefined;
    } catch (err) {
      return err;
    }
  }
}
