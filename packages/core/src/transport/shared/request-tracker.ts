/**
 * What a mapper link of a networked transport knows about the requests it handed to agents, and
 * what it does about them across an outage. Transport-neutral: the link publishes, this decides.
 *
 * - Sent requests stay in the in-flight table until answered, returned or their agent is gone:
 *   that is what a link probes agents for, and how a bounced request is checked (only one this
 *   link sent to that agent is believed, and the stored packet is what gets re-dispatched).
 * - While detached (connection or channel lost), requests are held (bounded by `bufferSize`);
 *   every agent that held requests becomes "awaiting". Once an awaiting agent is heard from again
 *   its requests are (re-)sent, marked as re-sent when they may already have reached it; one that
 *   stays silent `rejoinTimeout` after the re-attach is reported gone.
 */
import type { RequestPacket } from '../../protocol/packets';
import { InFlight, type InFlightEntry, type InFlightSend } from './in-flight';
import { PublishBuffer } from './publish-buffer';

/** What {@link RequestTracker} needs from its link. */
export interface RequestTrackerSettings {
  bufferSize: number;
  rejoinTimeout: number;
  /** Publishes a request now (the link is attached); `resent` when it may have reached the agent before. */
  publish(agent: string, entry: InFlightEntry, resent: boolean): void;
  /** A request that never left this process, for an agent that is gone: it may go anywhere. */
  undeliverable(packet: RequestPacket, agent: string): void;
  /** The agent is gone (its sent requests are the mapper's to fail or move). */
  agentGone(agent: string): void;
  /** Re-publishing held or sent requests threw (the channel went meanwhile): they stay, for the next attach. */
  republishFailed(agent: string, err: unknown): void;
}

/** In-flight requests of one mapper link, and their fate across outages. */
export class RequestTracker {
  private readonly inFlight = new InFlight();
  /** Agents that held requests when the link detached and have not been heard from since. */
  private readonly awaiting = new Set<string>();
  /** Bounds the requests held while detached (they live in `inFlight`). */
  private readonly held: PublishBuffer<never>;
  private rejoinTimer: NodeJS.Timeout | undefined;
  private attached = false;

  constructor(private readonly s: RequestTrackerSettings) {
    this.held = new PublishBuffer(s.bufferSize, 'request');
  }

  /** True when {@link RequestTracker.send} would hold a request for `agent` rather than publish it now. */
  holds(agent: string): boolean {
    return !this.attached || this.awaiting.has(agent);
  }

  /**
   * Sends a request through the link, or holds it (detached, or its agent not heard from since the
   * re-attach). Throws `NANITE_ERR_BUFFER_FULL` / `NANITE_ERR_NOT_CONNECTED` when it cannot hold it,
   * and what publishing threw (e.g. `NANITE_ERR_PAYLOAD`), keeping nothing of it.
   */
  send(agent: string, packet: RequestPacket, how: InFlightSend): void {
    if (this.holds(agent)) {
      this.held.assertRoom(this.inFlight.heldCount);
      if (!this.attached) this.awaiting.add(agent);
      this.inFlight.add(agent, packet, how, false);
      return;
    }
    const entry = this.inFlight.add(agent, packet, how, true);
    try {
      this.s.publish(agent, entry, false);
    } catch (err) {
      this.inFlight.remove(agent, packet.id);
      throw err;
    }
  }

  /** The link lost its channel: whatever was sent may be lost, so every agent holding requests is awaited. */
  detached(): void {
    this.attached = false;
    this.stopRejoinTimer();
    for (const agent of this.inFlight.agents()) this.awaiting.add(agent);
  }

  /** The link has a channel again: agents still awaited get `rejoinTimeout` to be heard from. */
  reattached(): void {
    this.attached = true;
    if (this.awaiting.size === 0) return;
    this.stopRejoinTimer();
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined;
      for (const agent of [...this.awaiting]) this.gone(agent);
    }, this.s.rejoinTimeout);
    this.rejoinTimer.unref();
  }

  /** A (valid) Register or Ping from `agent`: if it was awaited, send what it held or what waited for it. */
  heardFrom(agent: string): void {
    // Not attached yet: the Register answering the link's re-advertise will come.
    if (!this.attached || !this.awaiting.delete(agent)) return;
    this.republish(agent);
  }

  /**
   * `agent`'s queue may have been re-created (it moved to another broker node) while this link
   * stayed attached: what was sent to it may be lost, so every sent request is re-sent, marked as
   * re-sent (the agent answers one it already ran from its reply cache).
   */
  requeued(agent: string): void {
    if (!this.attached || this.awaiting.has(agent)) return; // heardFrom re-sends them anyway
    this.republish(agent);
  }

  /**
   * Publishes every request of `agent` (re-sent when it may have reached it). Runs in a transport
   * callback (a Register or Ping arrived): a throw stops it, keeps that request and the rest as
   * they were (the channel went: the next attach sends them) and is reported, never thrown.
   */
  private republish(agent: string): void {
    const entries = this.inFlight.take(agent);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      try {
        this.s.publish(agent, this.inFlight.add(agent, e.packet, e, true), e.sent);
      } catch (err) {
        for (const rest of entries.slice(i)) this.inFlight.add(agent, rest.packet, rest, rest.sent);
        this.awaiting.add(agent);
        this.s.republishFailed(agent, err);
        return;
      }
    }
  }

  /** The agent is gone: requests held for it are re-dispatched (they never left), then the link reports it. */
  gone(agent: string): void {
    this.awaiting.delete(agent);
    for (const e of this.inFlight.take(agent)) if (!e.sent) this.s.undeliverable(e.packet, agent);
    this.s.agentGone(agent);
  }

  /** A (valid) result closed request `id` of `agent`. */
  answered(agent: string, id: number): void {
    this.inFlight.remove(agent, id);
  }

  /** Forgets request `id` of `agent` and returns its entry, if it was in flight (a return, a bounce, an expiry). */
  take(agent: string, id: number): InFlightEntry | undefined {
    const e = this.inFlight.get(agent, id);
    if (e) this.inFlight.remove(agent, id);
    return e;
  }

  /** The published (not merely held) entry of request `id` of `agent`, if any. */
  sent(agent: string, id: number): InFlightEntry | undefined {
    const e = this.inFlight.get(agent, id);
    return e?.sent ? e : undefined;
  }

  /** Requests of this link in flight (published or held). */
  get size(): number {
    return this.inFlight.size;
  }

  /** True while `agent` holds requests of this link. */
  has(agent: string): boolean {
    return this.inFlight.has(agent);
  }

  /** Agents worth probing now: holding published requests, not awaited. Forgets entries long past their deadline first. */
  probeCandidates(): string[] {
    this.inFlight.expire(Date.now());
    return this.inFlight.agentsWithSent().filter((a) => !this.awaiting.has(a));
  }

  /** Forgets everything (link closed). */
  clear(): void {
    this.attached = false;
    this.stopRejoinTimer();
    this.inFlight.clear();
    this.awaiting.clear();
  }

  private stopRejoinTimer(): void {
    if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
    this.rejoinTimer = undefined;
  }
}
