/**
 * Acknowledges the deliveries of one channel with as few frames as possible, never later than the
 * end of the current tick.
 *
 * Handlers settle in roughly delivery order, so most acks of a tick form a contiguous run of
 * delivery tags: those go out as one `multiple` ack. Tags settled out of order (a slow request
 * holds the run back) are acknowledged one by one in the same flush, so a slow handler never holds
 * back the acks, and the prefetch window, of the others. Only for channels whose every delivery is
 * acknowledged manually (a no-ack consumer's tags would make holes in the run).
 */
import type { Channel, Message } from 'amqplib';
import { TagRuns } from './tag-runs';

/** Batches acks on one channel. */
export class AckBatcher {
  /** Lowest tag not yet acknowledged (delivery tags start at 1 on every channel). */
  private next = 1;
  /** Settled, not yet acknowledged. */
  private readonly settled = new Set<number>();
  /** Acknowledged one by one, ahead of `next` (settled out of order), as runs: bounded by the unsettled deliveries between them (tag-runs.ts). */
  private readonly ahead = new TagRuns();
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly ch: Channel,
    private readonly afterFlush: () => void,
  ) {}

  /** Marks a delivery of this channel settled; the ack goes out at the end of the tick (none when it was acknowledged elsewhere already). */
  ack(m: Message): void {
    const tag = m.fields.deliveryTag;
    if (tag < this.next || this.ahead.has(tag)) return;
    this.settled.add(tag);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushNow);
    }
  }

  /** Delivery `tag` was acknowledged on its own, outside this batcher (with its reply): no later ack may cover it. */
  ackedElsewhere(tag: number): void {
    if (tag < this.next) return;
    if (tag !== this.next) {
      this.ahead.add(tag);
      return;
    }
    // The common case (in order): move on without keeping it, past any acknowledged ahead of it.
    this.next++;
    const end = this.ahead.takeRunAt(this.next);
    if (end !== undefined) this.next = end + 1;
  }

  /** Runs of tags acknowledged ahead of the lowest unsettled one (for tests: bounded by the unsettled deliveries). */
  get aheadRuns(): number {
    return this.ahead.runs;
  }

  private flush(): void {
    this.scheduled = false;
    // The multiple-ack must name a tag the broker still holds, so it ends at the last settled one.
    let last = 0;
    for (;;) {
      if (this.settled.delete(this.next)) {
        last = this.next++;
        continue;
      }
      const end = this.ahead.takeRunAt(this.next);
      if (end === undefined) break;
      this.next = end + 1;
    }
    try {
      if (last > 0) this.ch.ack(tagOnly(last), true);
      for (const tag of this.settled) {
        this.ch.ack(tagOnly(tag), false);
        this.ahead.add(tag);
      }
    } catch {
      // The channel closed since these deliveries: the broker took them back; nothing to acknowledge.
    }
    this.settled.clear();
    this.afterFlush();
  }
}

/** amqplib's ack reads only `fields.deliveryTag`. */
function tagOnly(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as unknown as Message;
}

/** Acks on a channel that may have closed since the delivery (then the broker already requeued or dropped it). */
export function safeAck(ch: Channel, m: Message): void {
  try {
    ch.ack(m);
  } catch {
    // The channel is gone: the broker already took the message back; nothing to acknowledge.
  }
}
