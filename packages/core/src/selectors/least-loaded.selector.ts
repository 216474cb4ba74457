import type { AgentView, RequestInfo, Selector } from './selector';

/**
 * The agent with the lowest `load` (reported status plus this mapper's own pending requests to it
 * per slot, so a burst between two pings spreads instead of piling on one agent). Ties rotate.
 */
export class LeastLoadedSelector implements Selector {
  private turn = 0;

  select(candidates: readonly AgentView[], _request?: RequestInfo): readonly AgentView[] {
    const n = candidates.length;
    if (n <= 1) return candidates;
    const start = this.turn++ % n;
    let best = candidates[start]!;
    for (let k = 1; k < n; k++) {
      const c = candidates[(start + k) % n]!;
      if (c.load < best.load) best = c;
    }
    return [best];
  }
}
