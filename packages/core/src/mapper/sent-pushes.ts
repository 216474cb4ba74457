/**
 * The pushes a mapper sent recently, so a push the transport hands back (its agent vanished or is
 * draining) is re-sent only when this mapper really sent it to that agent, once per return, and as
 * it was sent: a forged or duplicated return is never re-sent under the mapper's identity.
 */
import type { RequestPacket } from '../protocol/packets';
import type { Selector } from '../selectors/selector';
import type { SendOptions } from '../transport/transport';
import type { TriedAgents } from './tried-agents';

/** Our own copy of a push, with what choosing its agent again needs. */
export interface PushCopy {
  packet: RequestPacket;
  selector: Selector;
  tags: readonly string[];
  target: string | undefined;
  options: SendOptions | undefined;
  /** One leg of a fan-out: every other agent has its own copy, so it is never moved. */
  leg: boolean;
  /** The agents it came back from (set on its first return). */
  tried?: TriedAgents;
  /** Epoch ms after which it is no longer moved: its first return plus the failover window. */
  until?: number;
}

interface SentPush {
  agent: string;
  copy: PushCopy;
  at: number;
}

/** Bounded by count and age; the oldest entries go first. */
export class SentPushes {
  private readonly byId = new Map<number, SentPush>();

  constructor(
    private readonly max = 10_000,
    private readonly maxAge = 60_000,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  add(agent: string, copy: PushCopy, now: number): void {
    // Map iteration is insertion order: the first entries are the oldest.
    for (const [id, e] of this.byId) {
      if (this.byId.size < this.max && now - e.at < this.maxAge) break;
      this.byId.delete(id);
    }
    this.byId.set(copy.packet.id, { agent, copy, at: now });
  }

  /** Our own copy of the push with `id` when we sent it to `agent` (and forgets it); undefined otherwise. */
  take(id: number, agent: string): PushCopy | undefined {
    const e = this.byId.get(id);
    if (!e || e.agent !== agent) return undefined;
    this.byId.delete(id);
    return e.copy;
  }

  clear(): void {
    this.byId.clear();
  }
}
