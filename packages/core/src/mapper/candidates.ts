/** Narrows the agents serving a route to those a request may go to. */
import type { AgentRecord } from './registry';
import type { Exclusion } from './tried-agents';

/** Agents carrying every tag, optionally only `target`, never one in `exclude`. Returns `serving` itself when nothing filters. */
export function filterCandidates(
  serving: readonly AgentRecord[],
  tags: readonly string[],
  target: string | undefined,
  exclude: Exclusion | undefined,
): readonly AgentRecord[] {
  if (tags.length === 0 && target === undefined && exclude === undefined) return serving;
  return serving.filter(
    (a) =>
      (target === undefined || a.identity === target) &&
      (exclude === undefined || !exclude.excludes(a)) &&
      tags.every((t) => a.tags.includes(t)),
  );
}
