/**
 * The agent's bounded queue of requests waiting for a free slot.
 *
 * Bounded because what fills it comes from the wire: on memory:// nothing else limits it, and on
 * amqp:// a peer may mark its messages at-most-once. Over the bound the agent refuses work at once
 * (`NANITE_ERR_OVERLOADED`) instead of holding it until it is useless.
 */
import type { Logger } from '../internal/logger';
import type { RequestPacket } from '../protocol/packets';
import type { Settle } from '../transport/transport';

/** A request or push received but not started. */
export interface Waiting {
  packet: RequestPacket;
  settle: Settle;
  /** When the caller gives up (epoch ms), `Infinity` without a deadline. */
  deadline: number;
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
  /** Refused (requests) or dropped (pushes) because the queue was full. */
  overloaded = 0;
  private inBurst = false;

  constructor(
    readonly max: number,
    private readonly logger: Logger,
    private readonly bindings: object,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Queues `w`; false (and counted) when the queue is full: the caller refuses it. */
  push(w: Waiting): boolean {
    if (this.length >= this.max) {
      this.overloaded++;
      if (!this.inBurst) {
        this.inBurst = true;
        this.logger.warn({ ...this.bindings, maxQueued: this.max, overloaded: this.overloaded }, 'queue full: refusing requests (NANITE_ERR_OVERLOADED) and dropping pushes until it drains (one line per burst)');
      }
      return false;
    }
    this.items.push(w);
    return true;
  }

  shift(): Waiting | undefined {
    if (this.head >= this.items.length) {
      // Asked for work with none waiting (a slot freed): any burst is over, even with `max` 0.
      this.inBurst = false;
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
    if (this.inBurst && this.length <= this.max / 2) this.inBurst = false;
    return w;
  }

  /** Empties the queue in one pass, oldest first. */
  takeAll(): Waiting[] {
    const out = this.items.slice(this.head) as Waiting[];
    this.items = [];
    this.head = 0;
    this.inBurst = false;
    return out;
  }
}
