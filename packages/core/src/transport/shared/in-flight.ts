/**
 * The requests a mapper link has handed to each agent and not yet seen answered.
 *
 * It is what lets the link (a) probe only agents that hold its requests, (b) re-send requests whose
 * fate an outage made unknown once their agent is back, and (c) hold requests for an agent that
 * has not yet come back after a reconnect.
 */
import type { RequestPacket } from '../../protocol/packets';

/** One request handed to an agent. */
export interface InFlightEntry {
  packet: RequestPacket;
  persistent: boolean;
  atMostOnce: boolean;
  /** Published on the current or an earlier connection (false: held, never published). */
  sent: boolean;
  /** When the entry may be forgotten even without a result (agent deadline + grace), or Infinity. */
  forgetAt: number;
  /** When the request becomes useless to its caller (epoch ms; 0: never): the broker drops it then. */
  expiresAt: number;
}

/** How a request was handed over (what {@link InFlight.add} records besides the packet). */
export interface InFlightSend {
  persistent: boolean;
  atMostOnce: boolean;
  expiresAt: number;
}

/** Extra time past a request's deadline before its entry is forgotten (the agent replies on its own deadline). */
const FORGET_GRACE = 5_000;

/** In-flight requests by agent, then by request id. */
export class InFlight {
  private readonly byAgent = new Map<string, Map<number, InFlightEntry>>();
  private held = 0;
  private count = 0;

  /** Requests in flight (published or held). */
  get size(): number {
    return this.count;
  }

  /** Requests held (never published), counted against the link's buffer. */
  get heldCount(): number {
    return this.held;
  }

  /** Records a request handed to `agent` (`sent`: published; false: held until the agent is back). Returns the entry. */
  add(agent: string, packet: RequestPacket, how: InFlightSend, sent: boolean): InFlightEntry {
    let m = this.byAgent.get(agent);
    if (!m) this.byAgent.set(agent, (m = new Map()));
    const prev = m.get(packet.id);
    if (!prev) this.count++;
    else if (!prev.sent) this.held--;
    if (!sent) this.held++;
    const forgetAt = packet.timeout > 0 ? Date.now() + packet.timeout + FORGET_GRACE : Infinity;
    const entry: InFlightEntry = { packet, persistent: how.persistent, atMostOnce: how.atMostOnce, expiresAt: how.expiresAt, sent, forgetAt };
    m.set(packet.id, entry);
    return entry;
  }

  /** The entry of request `id` handed to `agent`, if still in flight. */
  get(agent: string, id: number): InFlightEntry | undefined {
    return this.byAgent.get(agent)?.get(id);
  }

  /** A result (or a return) closed this request. */
  remove(agent: string, id: number): void {
    const m = this.byAgent.get(agent);
    const e = m?.get(id);
    if (!m || !e) return;
    if (!e.sent) this.held--;
    this.count--;
    m.delete(id);
    if (m.size === 0) this.byAgent.delete(agent);
  }

  /** Forgets an agent's requests and returns them. */
  take(agent: string): InFlightEntry[] {
    const m = this.byAgent.get(agent);
    if (!m) return [];
    this.byAgent.delete(agent);
    const out = [...m.values()];
    this.count -= out.length;
    for (const e of out) if (!e.sent) this.held--;
    return out;
  }

  has(agent: string): boolean {
    return this.byAgent.has(agent);
  }

  /** Agents holding at least one published request. */
  agentsWithSent(): string[] {
    const out: string[] = [];
    for (const [agent, m] of this.byAgent) {
      for (const e of m.values()) {
        if (e.sent) {
          out.push(agent);
          break;
        }
      }
    }
    return out;
  }

  agents(): string[] {
    return [...this.byAgent.keys()];
  }

  /** Drops entries past their deadline plus grace (the agent's timeout reply was lost). */
  expire(now: number): void {
    for (const [agent, m] of this.byAgent) {
      for (const [id, e] of m) if (e.forgetAt < now) this.remove(agent, id);
    }
  }

  clear(): void {
    this.byAgent.clear();
    this.held = 0;
    this.count = 0;
  }
}
