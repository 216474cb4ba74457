/**
 * What a mapper link remembers of each agent's queues, from the headers of its heartbeats (see
 * amqp.wire.ts): the incarnation of its request queue (`x-nanite-queue`: when it changes, the queue
 * may have been re-created on another cluster node, and requests sent to the old one may be lost),
 * whether it has a control queue (`x-nanite-control`: where what follows its running requests
 * goes), and the name of its request queue while it takes work (`x-nanite-queue-name`: requests may
 * go to it through the default exchange). A name is believed only when it is the agent's own
 * `P.agent.<identity>`: a heartbeat can point a mapper at no other queue than the one the named
 * exchange routes that agent's requests to.
 */

/** Most agents remembered; past it the longest-unheard one is forgotten (it then counts as new). */
export const MAX_REMEMBERED_AGENTS = 10_000;

interface Heard {
  incarnation: string | undefined;
  control: boolean;
  /** The agent's request queue, when its last heartbeat named it and the name is its own. */
  queue: string | undefined;
}

/** Last-seen queue facts per agent identity, bounded. */
export class QueueIncarnations {
  private readonly seen = new Map<string, Heard>();

  /** `ownQueue(identity)`: the name of an agent's request queue (`P.agent.<identity>`). */
  constructor(
    private readonly ownQueue: (identity: string) => string,
    private readonly max = MAX_REMEMBERED_AGENTS,
  ) {}

  /**
   * Records what a validated heartbeat of `agent` says (its incarnation header, and whether it
   * carries the control header); true when the incarnation differs from the one seen before.
   */
  heard(agent: string, incarnation: unknown, control: boolean, queueName?: unknown): boolean {
    const valid = typeof incarnation === 'string' && incarnation.length > 0 && incarnation.length <= 64;
    const before = this.seen.get(agent);
    // Re-inserted: the Map's order is then least recently heard first.
    this.seen.delete(agent);
    const own = this.ownQueue(agent);
    this.seen.set(agent, { incarnation: valid ? incarnation : before?.incarnation, control, queue: queueName === own ? own : undefined });
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
    return valid && before?.incarnation !== undefined && before.incarnation !== incarnation;
  }

  /** True when `agent`'s last heartbeat said it has a control queue. */
  hasControl(agent: string): boolean {
    return this.seen.get(agent)?.control ?? false;
  }

  /** The request queue `agent`'s last heartbeat named (its own `P.agent.<identity>`), or undefined: publish through `P.agent`. */
  queueOf(agent: string): string | undefined {
    return this.seen.get(agent)?.queue;
  }

  /** Agents remembered now. */
  get size(): number {
    return this.seen.size;
  }
}
