/**
 * A bounded FIFO of publishes made while a link has no channel, flushed when it has one again.
 */
import { NaniteError } from '../../errors';

/** A bounded buffer of deferred publishes. */
export class PublishBuffer<T> {
  private items: T[] = [];

  constructor(
    private readonly capacity: number,
    private readonly what: string,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /**
   * Holds an item; throws `NANITE_ERR_NOT_CONNECTED` when buffering is off (capacity 0) and
   * `NANITE_ERR_BUFFER_FULL` when the buffer is full.
   */
  push(item: T): void {
    this.assertRoom(this.items.length);
    this.items.push(item);
  }

  /** Throws like {@link push} would when `used` items (kept elsewhere) already fill the capacity. */
  assertRoom(used: number): void {
    if (this.capacity <= 0) throw new NaniteError('NANITE_ERR_NOT_CONNECTED', { message: `The broker connection is down; ${this.what} not sent` });
    if (used >= this.capacity) {
      throw new NaniteError('NANITE_ERR_BUFFER_FULL', { message: `${this.capacity} ${this.what}(s) already wait for the broker connection`, data: { capacity: this.capacity } });
    }
  }

  /** Like {@link push}, but drops the oldest item when full (for replies the mapper can ask again). Returns false when something was dropped. */
  pushDroppingOldest(item: T): boolean {
    if (this.capacity <= 0) return false;
    let kept = true;
    if (this.items.length >= this.capacity) {
      this.items.shift();
      kept = false;
    }
    this.items.push(item);
    return kept;
  }

  /** Takes everything, oldest first. */
  drain(): T[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  clear(): void {
    this.items = [];
  }
}
