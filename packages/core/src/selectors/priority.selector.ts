import { LeastLoadedSelector } from './least-loaded.selector';
import type { AgentView, RequestInfo, Selector } from './selector';

/** Options of {@link PrioritySelector}. */
export interface PrioritySelectorOptions {
  /**
   * An agent whose `load` (reported status plus this mapper's pending requests per slot) reaches
   * this is saturated: its tier is skipped while another tier has room. Default 1 (every request
   * slot busy, with the default status function).
   */
  saturatedAt?: number;
}

/**
 * nanomsg's send priorities: agents advertise a tier (`priority`, 1 = preferred … 16). A request
 * goes to the least-loaded non-saturated agent of the best tier that has one; when a tier empties
 * (its agents stop or are reaped) or saturates, the next tier takes the traffic at once, and the
 * better tier gets it back as soon as it has a usable agent again (every request chooses afresh).
 * When every agent is saturated, the least-loaded agent of all gets the request (it queues there)
 * rather than failing it.
 */
export class PrioritySelector implements Selector {
  private readonly saturatedAt: number;
  private readonly within = new LeastLoadedSelector();

  constructor(options: PrioritySelectorOptions = {}) {
    this.saturatedAt = options.saturatedAt ?? 1;
  }

  select(candidates: readonly AgentView[], request?: RequestInfo): readonly AgentView[] {
    if (candidates.length <= 1) return candidates;
    let best = Infinity;
    for (const c of candidates) if (c.priority < best && c.load < this.saturatedAt) best = c.priority;
    if (best === Infinity) return this.within.select(candidates, request);
    return this.within.select(
      candidates.filter((c) => c.priority === best && c.load < this.saturatedAt),
      request,
    );
  }
}
