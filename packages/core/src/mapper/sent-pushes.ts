/**
 * The pushes a mapper sent recently, so a push the transport hands back (its agent vanished or is
 * draining) is re-sent only when this mapper really sent it to that agent, once, and as it was
 * sent: a forged or duplicated return is never re-sent under the mapper's identity.
 */
import type { RequestPacket } from '../protocol/packets';

interface SentPush {
  agent: string;
  packet: RequestPacket;
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

  add(agent: string, packet: RequestPacket, now: number): void {
    // Map iteration is insertion order: the first entries are the oldest.
    for (const [id, e] of this.byId) {
      if (this.byId.size < this.max && now - e.at < this.maxAge) break;
      this.byId.delete(id);
    }
    this.byId.set(packet.id, { agent, packet, at: now });
  }

  /** Our own copy of the push with `id` when we sent it to `agent` (and forgets it); undefined otherwise. */
  take(id: number, agent: string): RequestPacket | undefined {
    const e = this.byId.get(id);
    if (!e || e.agent !== agent) return undefined;
    this.byId.delete(id);
    return e.packet;
  }

  clear(): void {
    this.byId.clear();
  }
}
