/**
 * The agent's bounded queue of requests waiting for a free slot.
 *
 * Bounded because what fills it comes from the wire: on memory:// nothing else limits it, and on
 * amqp:// a peer may mark its messages at-most-once. Over the bound the agent refuses work at once
 * (`NANITE_ERR_OVERLOADED`) instead of holding it until it is useless.
 */
import { BurstLog } from '../internal/burst-log';
import type { Logger } from '../internal/logger';
import type { RequestPacket } from '../protocol/packets';
import type { Settle } from '../transport/transport';

/** A request or push received but not started. */
export interface Waiting {
  packet: RequestPacket;
  settle: Settle;
  /** When the caller gives up (epoch ms), `Infinity` without a deadline. */
  deadline: number;
  /** When it arrived (epoch ms): observers learn how long it waited. */
  receivedAt?: number;
}

/** The default bound: 16 waiting per slot, and never fewer than 1024 (a few MB at most). */
export function defaultMaxQueued(concurrency: number): number {
  return Math.max(concurrency * 16, 1024);
}

/**
 * A FIFO with a bound. `shift()` advances a head index (Array#shift copies the array: O(n) per
 * call on a long queue); the array is compacted once the consumed head outgrows the rest.
 */
export class JobQueue {
  private items: Array<Waiting | undefined> = [];
  private head = 0;
  /** One line per burst of overflows; a burst ends when the queue drains (see `shift()`), not after a time. */
  private readonly full: BurstLog;

  constructor(
    readonly max: number,
    logger: Logger,
    bindings: object,
  ) {
    this.full = new BurstLog({
      logger,
      bindings,
      quietMs: Infinity,
      message: 'queue full: refusing requests (NANITE_ERR_OVERLOADED) and dropping pushes until it drains (one line per burst)',
    });
  }

  /** Refused (requests) or dropped (pushes) because the queue was full. */
  get overloaded(): number {
    return this.full.count;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Queues `w`; false (and counted) when the queue is full: the caller refuses it. */
  push(w: Waiting): boolean {
    if (this.length >= this.max) {
      this.full.record({ maxQueued: this.max });
      return false;
    }
    this.items.push(w);
    return true;
  }

  /** Takes out the request `id` of mapper `replyTo`, if it waits here (a scan: cancels are rare, the queue bounded). */
  remove(replyTo: string, id: number): Waiting | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const w = this.items[i]!;
      if (w.packet.id !== id || w.packet.replyTo !== replyTo) continue;
      this.items.splice(i, 1);
      return w;
    }
    return undefined;
  }

  shift(): Waiting | undefined {
    if (this.head >= this.items.length) {
      // Asked for work with none waiting (a slot freed): any burst is over, even with `max` 0.
      this.full.endBurst();
      return undefined;
    }
    const w = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    // A burst ends when the queue is half empty again; the next overflow logs again.
    if (this.length <= this.max / 2) this.full.endBurst();
    return w;
  }

  /** Empties the queue in one pass, oldest first. */
  takeAll(): Waiting[] {
    const out = this.items.slice(this.head) as Waiting[];
    this.items = [];
    this.head = 0;
    this.full.endBurst();
    return out;
  }
}
