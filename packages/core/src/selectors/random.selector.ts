import type { AgentView, RequestInfo, Selector } from './selector';
import { TRUSTED_SELECTOR } from './trusted';

/** A uniformly random agent. */
export class RandomSelector implements Selector {
  readonly [TRUSTED_SELECTOR] = true;
  constructor(private readonly random: () => number = Math.random) {}

  select(candidates: readonly AgentView[], _request?: RequestInfo): readonly AgentView[] {
    if (candidates.length <= 1) return candidates;
    return [candidates[Math.floor(this.random() * candidates.length)]!];
  }
}
