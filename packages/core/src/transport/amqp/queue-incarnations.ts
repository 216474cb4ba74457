/**
 * What a mapper link remembers of each agent's queue incarnation (header `x-nanite-queue` of its
 * heartbeats, see amqp.wire.ts): when it changes, the agent's queue may have been re-created on
 * another cluster node, and requests sent to the old one may be lost.
 */

/** Most agents remembered; past it the longest-unheard one is forgotten (it then counts as new). */
export const MAX_REMEMBERED_AGENTS = 10_000;

/** Last-seen queue incarnation per agent identity, bounded. */
export class QueueIncarnations {
  private readonly seen = new Map<string, string>();

  constructor(private readonly max = MAX_REMEMBERED_AGENTS) {}

  /**
   * Records `agent`'s incarnation from a validated heartbeat; true when it differs from the one seen
   * before (an agent heard for the first time, or without the header, is not a change).
   */
  changed(agent: string, incarnation: unknown): boolean {
    if (typeof incarnation !== 'string' || incarnation.length === 0 || incarnation.length > 64) return false;
    const before = this.seen.get(agent);
    // Re-inserted: the Map's order is then least recently heard first.
    this.seen.delete(agent);
    this.seen.set(agent, incarnation);
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
    return before !== undefined && before !== incarnation;
  }

  /** Agents remembered now. */
  get size(): number {
    return this.seen.size;
  }
}
