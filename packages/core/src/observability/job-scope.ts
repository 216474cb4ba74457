/** The agent's one hook per handler: tells the observers a job started, with its queue wait. */
import type { AgentObservation, JobScope, JobStart } from './observer';

/** The part of a job observers see. */
export interface ObservedJob {
  readonly route: string;
  readonly requestId: string;
  readonly hops: number;
  readonly packet: { readonly type: 'request' | 'push'; readonly traceparent?: string | undefined };
}

/** A {@link JobStart} read from the job on demand (a class: one small object per job, and the request id string only built if asked for). */
class JobStartView implements JobStart {
  readonly queuedMs: number;

  constructor(private readonly job: ObservedJob, receivedAt: number | undefined) {
    this.queuedMs = receivedAt === undefined ? 0 : Math.max(0, Date.now() - receivedAt);
  }

  get route(): string {
    return this.job.route;
  }

  get kind(): 'request' | 'push' {
    return this.job.packet.type;
  }

  get requestId(): string {
    return this.job.requestId;
  }

  get traceparent(): string | undefined {
    return this.job.packet.traceparent;
  }

  get hops(): number {
    return this.job.hops;
  }
}

/** Starts observing a job; `receivedAt` (epoch ms) is when it arrived, when it had to wait. */
export function startJobScope(observation: AgentObservation, job: ObservedJob, receivedAt: number | undefined): JobScope | undefined {
  return observation.begin(new JobStartView(job, receivedAt));
}
