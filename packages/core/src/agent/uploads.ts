/** The uploads (`ctx.input`) of an agent's running requests: created on first read or chunk, routed by request. */
import type { NaniteError } from '../errors';
import type { ChunkPacket, EndPacket } from '../protocol/stream-packets';
import type { AgentLink } from '../transport/transport';
import type { Job } from './job';
import { UploadReader } from './upload-reader';

/** Owns the upload readers of running jobs. */
export class Uploads {
  private readonly readers = new Map<Job, UploadReader>();
  /** Chunks and ends for no running upload (late, after the handler finished; or forged). */
  stray = 0;

  constructor(
    private readonly identity: string,
    private readonly link: () => AgentLink | undefined,
  ) {}

  /** The job's upload, or undefined when its caller sent none. */
  readerFor(job: Job): UploadReader | undefined {
    if (job.packet.upload !== true) return undefined;
    let r = this.readers.get(job);
    if (!r) {
      r = new UploadReader(job.route, job.packet.id, job.packet.replyTo, this.identity, {
        credit: (packet) => {
          try {
            this.link()?.reply(job.packet.replyTo, packet);
            return undefined;
          } catch (err) {
            return err;
          }
        },
      });
      // Read after the handler finished (a callback it left behind): the upload was dropped with
      // the job; an ended reader, not one that would wait forever and never be freed.
      if (job.done) r.close();
      else if (job.aborted) r.abort(job.aborted);
      else this.readers.set(job, r);
    }
    return r;
  }

  chunk(job: Job | undefined, c: ChunkPacket): void {
    const r = job ? this.readerFor(job) : undefined;
    if (r) r.onChunk(c);
    else this.stray++;
  }

  end(job: Job | undefined, e: EndPacket): void {
    const r = job ? this.readerFor(job) : undefined;
    if (r) r.onEnd(e);
    else this.stray++;
  }

  /** The job was aborted: a read waiting for a chunk rejects with `reason`, and so do later reads. */
  abort(job: Job, reason: NaniteError): void {
    this.readers.get(job)?.abort(reason);
  }

  /** The job finished: its upload is dropped. */
  release(job: Job): void {
    const r = this.readers.get(job);
    if (!r) return;
    this.readers.delete(job);
    r.close();
  }
}
