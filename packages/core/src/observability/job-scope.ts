/** The agent's one hook per handler: tells the observers a job started, with its queue wait. */
import type { AgentObservation, JobScope } from './observer';

/** The part of a job observers see. */
export interface ObservedJob {
  readonly route: string;
  readonly requestId: string;
  readonly hops: number;
  readonly packet: { readonly type: 'request' | 'push'; readonly traceparent?: string | undefined };
}

/** Starts observing a job; `receivedAt` (epoch ms) is when it arrived, when it had to wait. */
export function startJobScope(observation: AgentObservation, job: ObservedJob, receivedAt: number | undefined): JobScope | undefined {
  return observation.begin({
    route: job.route,
    kind: job.packet.type,
    requestId: job.requestId,
    traceparent: job.packet.traceparent,
    hops: job.hops,
    queuedMs: receivedAt === undefined ? 0 : Math.max(0, Date.now() - receivedAt),
  });
}
