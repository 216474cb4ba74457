import type { AgentView, RequestInfo, Selector } from './selector';
import { TRUSTED_SELECTOR } from './trusted';

/** Each route's candidates in turn. */
export class RoundRobinSelector implements Selector {
  readonly [TRUSTED_SELECTOR] = true;
  private readonly turns = new Map<string, number>();

  select(candidates: readonly AgentView[], request: RequestInfo): readonly AgentView[] {
    if (candidates.length <= 1) return candidates;
    const turn = this.turns.get(request.route) ?? 0;
    this.turns.set(request.route, turn + 1);
    return [candidates[turn % candidates.length]!];
  }
}
