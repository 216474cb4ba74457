/**
 * What a mapper link remembers of each agent's queues, from the headers of its heartbeats (see
 * amqp.wire.ts): the incarnation of its request queue (`x-nanite-queue`: when it changes, the queue
 * may have been re-created on another cluster node, and requests sent to the old one may be lost),
 * and whether it has a control queue (`x-nanite-control`: where what follows its running requests
 * goes).
 */

/** Most agents remembered; past it the longest-unheard one is forgotten (it then counts as new). */
export const MAX_REMEMBERED_AGENTS = 10_000;

interface Heard {
  incarnation: string | undefined;
  control: boolean;
}

/** Last-seen queue facts per agent identity, bounded. */
export class QueueIncarnations {
  private readonly seen = new Map<string, Heard>();

  constructor(private readonly max = MAX_REMEMBERED_AGENTS) {}

  /**
   * Records what a validated heartbeat of `agent` says (its incarnation header, and whether it
   * carries the control header); true when the incarnation differs from the one seen before.
   */
  heard(agent: string, incarnation: unknown, control: boolean): boolean {
    const valid = typeof incarnation === 'string' && incarnation.length > 0 && incarnation.length <= 64;
    const before = this.seen.get(agent);
    // Re-inserted: the Map's order is then least recently heard first.
    this.seen.delete(agent);
    this.seen.set(agent, { incarnation: valid ? incarnation : before?.incarnation, control });
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
    return valid && before?.incarnation !== undefined && before.incarnation !== incarnation;
  }

  /** True when `agent`'s last heartbeat said it has a control queue. */
  hasControl(agent: string): boolean {
    return this.seen.get(agent)?.control ?? false;
  }

  /** Agents remembered now. */
  get size(): number {
    return this.seen.size;
  }
}
