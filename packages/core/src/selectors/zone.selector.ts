import { LeastLoadedSelector } from './least-loaded.selector';
import type { AgentView, RequestInfo, Selector } from './selector';

/** Options of {@link ZoneSelector}. */
export interface ZoneSelectorOptions {
  /** The caller's zone: agents tagged `zone:<zone>` are preferred. */
  zone: string;
  /** Picks among the agents of one side (local, or the others when no local agent is usable). Default least-loaded; e.g. a {@link PrioritySelector}. */
  within?: Selector;
}

/** The tag that puts an agent in `zone`. */
export function zoneTag(zone: string): string {
  return `zone:${zone}`;
}

/**
 * Locality: a request goes to an agent in the caller's zone (tag `zone:<zone>`) when one serves the
 * route, chosen by `within`; otherwise to the others, chosen the same way. Unlike passing the tag
 * in `tags` (which fails when no local agent serves the route), this falls back.
 */
export class ZoneSelector implements Selector {
  private readonly tag: string;
  private readonly within: Selector;

  constructor(options: ZoneSelectorOptions) {
    this.tag = zoneTag(options.zone);
    this.within = options.within ?? new LeastLoadedSelector();
  }

  select(candidates: readonly AgentView[], request: RequestInfo): readonly AgentView[] {
    const local = candidates.filter((c) => c.tags.includes(this.tag));
    if (local.length > 0) {
      const picked = this.within.select(local, request);
      if (picked.length > 0) return picked;
    }
    const others = local.length > 0 ? candidates.filter((c) => !c.tags.includes(this.tag)) : candidates;
    return this.within.select(others, request);
  }
}
