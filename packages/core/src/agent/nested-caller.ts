/**
 * Calls made from inside handlers (`ctx.request()` / `ctx.push()`): through a light mapper the
 * agent starts on first use, with the caller's deadline, cancellation, trace id and hop count.
 */
import { NaniteError } from '../errors';
import { Mapper } from '../mapper/mapper';
import type { MapperOptions, MapperRequestOptions, PushOptions } from '../mapper/mapper.options';
import type { Transport } from '../transport/transport';
import type { Job } from './job';

/** Owns the light mapper; `close()` closes it. */
export class NestedCaller {
  private mapper: Promise<Mapper> | undefined;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly options: Omit<MapperOptions, 'transport'>,
    /** Whether the agent may still call out (running or draining), and who it is for the error. */
    private readonly canCall: () => boolean,
    private readonly agent: string,
  ) {}

  async request<R>(job: Job, route: string, payload: unknown, options: MapperRequestOptions | undefined): Promise<R> {
    // Read before anything else runs: an in-process job's deadline is fixed no later than its
    // handler's first call out (job.ts), not after the light mapper starts.
    const signal = options?.signal ? AbortSignal.any([options.signal, job.signal]) : job.signal;
    // A nested call never outlives the outer request: the earlier of the two deadlines wins.
    const deadline = Math.min(options?.deadline ?? Infinity, job.deadline);
    const mapper = await this.get();
    return mapper.request<R>(route, payload, { ...options, signal, ...traceOf(job), hops: job.hops + 1, ...(Number.isFinite(deadline) ? { deadline } : {}) });
  }

  async push(job: Job, route: string, payload: unknown, options: PushOptions | undefined): Promise<void> {
    const mapper = await this.get();
    return mapper.push(route, payload, { ...options, ...traceOf(job), hops: job.hops + 1 });
  }

  /** Closes the light mapper, if one was started. */
  async close(): Promise<void> {
    // From here on a call out fails (a handler that outlived the drain must not start a mapper nobody closes).
    this.closed = true;
    // A mapper that failed to start has nothing to close; its error already reached the caller.
    const mapper = await this.mapper?.catch(() => undefined);
    await mapper?.close();
  }

  /**
   * The light mapper, started on first use on the agent's transport. It hears heartbeats only from
   * then on, so agents that never call out pay nothing.
   */
  private get(): Promise<Mapper> {
    if (this.closed || !this.canCall()) return Promise.reject(new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Agent ${this.agent} is not running` }));
    this.mapper ??= (async () => {
      // A light mapper: no roster (the cluster's mappers keep it), so no gossip from every agent.
      const mapper = new Mapper({ roster: false, ...this.options, transport: this.transport });
      await mapper.start();
      return mapper;
    })();
    return this.mapper;
  }
}

/** The trace id and W3C context a nested call carries from the job that makes it. */
function traceOf(job: Job): { traceId: string; traceparent?: string } {
  const traceparent = job.traceparent;
  return traceparent === undefined ? { traceId: job.traceId } : { traceId: job.traceId, traceparent };
}
