import type { AgentView, RequestInfo, Selector } from './selector';
import { TRUSTED_SELECTOR } from './trusted';

/** Options of {@link LeastLoadedSelector}. */
export interface LeastLoadedOptions {
  /**
   * Weigh each agent's load by its response time (peak EWMA, see `AgentView.latency`), like
   * Finagle's and Envoy's least-request balancers: cost = latency × (1 + load). An agent that is
   * slower than its peers gets work only once theirs would wait longer. Default true; false compares
   * load only (Nanite's original least-loaded).
   */
  latencyAware?: boolean;
  /**
   * Up to this many candidates every one is compared; past it two are drawn at random and the less
   * loaded wins ("power of two choices"), so a pick costs the same for 10 or 10,000 agents. Default 32.
   */
  scanLimit?: number;
  /** Source of randomness for the two choices (tests pass a seeded one). */
  random?: () => number;
}

/** Default {@link LeastLoadedOptions.scanLimit}. */
export const DEFAULT_SCAN_LIMIT = 32;

/**
 * The agent with the lowest `load` (reported status plus this mapper's own pending requests to it
 * per slot, so a burst between two pings spreads instead of piling on one agent), weighed by its
 * response time: the lowest `latency × (1 + load)` (`latencyAware: false` for load alone). Ties rotate. Past `scanLimit` candidates, the better
 * of two random ones.
 */
export class LeastLoadedSelector implements Selector {
  readonly [TRUSTED_SELECTOR] = true;
  private turn = 0;
  private readonly latencyAware: boolean;
  private readonly scanLimit: number;
  private readonly random: () => number;

  constructor(options: LeastLoadedOptions = {}) {
    this.latencyAware = options.latencyAware ?? true;
    this.scanLimit = options.scanLimit ?? DEFAULT_SCAN_LIMIT;
    this.random = options.random ?? Math.random;
  }

  select(candidates: readonly AgentView[], _request?: RequestInfo): readonly AgentView[] {
    const n = candidates.length;
    if (n <= 1) return candidates;
    if (n > this.scanLimit) return [this.twoChoices(candidates)];
    const start = this.turn++ % n;
    let best = candidates[start]!;
    for (let k = 1; k < n; k++) {
      const c = candidates[(start + k) % n]!;
      if (this.better(c, best)) best = c;
    }
    return [best];
  }

  private twoChoices(candidates: readonly AgentView[]): AgentView {
    const n = candidates.length;
    const i = Math.floor(this.random() * n) % n;
    // A second index distinct from the first, uniform over the other n - 1.
    const j = (i + 1 + (Math.floor(this.random() * (n - 1)) % (n - 1))) % n;
    const a = candidates[i]!;
    const b = candidates[j]!;
    return this.better(b, a) ? b : a;
  }

  /** True when `c` should win over `best`. */
  private better(c: AgentView, best: AgentView): boolean {
    if (!this.latencyAware) return c.load < best.load;
    // An agent not measured yet (latency 0) is taken to be as fast as the one it is compared with.
    const lc = c.latency || best.latency || 1;
    const lb = best.latency || lc;
    return lc * (1 + c.load) < lb * (1 + best.load);
  }
}
