import type { AgentView, RequestInfo, Selector } from './selector';

/** The agent named by the request's `target` option, if it serves the route. */
export class TargetSelector implements Selector {
  select(candidates: readonly AgentView[], request: RequestInfo): readonly AgentView[] {
    const found = candidates.find((c) => c.identity === request.target);
    return found ? [found] : [];
  }
}
