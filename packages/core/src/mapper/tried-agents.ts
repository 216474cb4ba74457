/**
 * The agents a request was sent to, each as it was in dispatch then. A request does not go back to
 * an agent it tried, unless that agent left dispatch since (dropped, or suspended after a returned
 * request) and came back: the agent it failed on is not the one there now (it re-attached, moved to
 * another broker node, or was wrongly taken out for a moment).
 */
import type { AgentRecord } from './registry';

/** Agents a candidate list leaves out. */
export interface Exclusion {
  excludes(agent: AgentRecord): boolean;
}

/** The agents one request tried, by identity, with the entry into dispatch each was tried in. */
export class TriedAgents implements Exclusion {
  private readonly entries = new Map<string, number>();

  add(agent: AgentRecord): void {
    this.entries.set(agent.identity, agent.entry);
  }

  excludes(agent: AgentRecord): boolean {
    return this.entries.get(agent.identity) === agent.entry;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The identities tried, in the order first tried (for errors). */
  identities(): string[] {
    return [...this.entries.keys()];
  }
}
