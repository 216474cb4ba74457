/**
 * Sinks that record what a transport hands them, and let a case wait for it without sleeping.
 */
import type { RequestPacket } from '../protocol/packets';
import type { AgentSink, MapperSink, Settle } from '../transport/transport';

/** A request handed back to its mapper. */
export interface Returned {
  packet: RequestPacket;
  agent: string;
}

/** How an agent sink settles what it receives. */
export type SettleMode = 'at-once' | 'held';

/** Records every call a transport makes on a sink. */
export class SinkRecorder {
  readonly packets: unknown[] = [];
  readonly undeliverable: Returned[] = [];
  readonly malformed: string[] = [];
  readonly gone: string[] = [];
  /** Settle functions of packets received by a `held` agent sink, oldest first. */
  readonly unsettled: Settle[] = [];
  reconnects = 0;
  private waiters: Array<() => void> = [];

  /** Resolves once `cond()` holds; rejects with `what` after `ms`. */
  async until(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`transport contract: ${what} did not happen within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Settles the oldest held packet. */
  settleOldest(): void {
    const settle = this.unsettled.shift();
    if (!settle) throw new Error('transport contract: nothing to settle');
    settle();
  }

  /** Packets of a given type, in arrival order. */
  ofType(type: string): unknown[] {
    return this.packets.filter((p) => typeof p === 'object' && p !== null && (p as { type?: unknown }).type === type);
  }

  agentSink(mode: SettleMode = 'at-once'): AgentSink {
    return {
      onPacket: (packet, settle) => {
        if (mode === 'held') this.unsettled.push(settle);
        else settle();
        this.record(this.packets, packet);
      },
      onMalformed: (reason) => this.record(this.malformed, reason),
      onReconnect: () => this.reconnected(),
    };
  }

  mapperSink(): MapperSink {
    return {
      onPacket: (packet) => this.record(this.packets, packet),
      onMalformed: (reason) => this.record(this.malformed, reason),
      onUndeliverable: (packet, agent) => this.record(this.undeliverable, { packet, agent }),
      onAgentGone: (agent) => this.record(this.gone, agent),
      onReconnect: () => this.reconnected(),
    };
  }

  private reconnected(): void {
    this.reconnects++;
    this.wake();
  }

  private record<T>(list: T[], item: T): void {
    list.push(item);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Resolves after `ms`: only for watching that something does NOT happen. */
export function watch(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
