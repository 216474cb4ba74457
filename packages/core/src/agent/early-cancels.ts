/**
 * Cancels that arrived before the request they name.
 *
 * On a transport whose cancels can overtake requests (amqp://: a cancel goes to the agent's control
 * queue, while the request it names may still wait at the broker behind the prefetch window), a
 * cancel that finds nothing running or waiting here is remembered, and the request, when it comes,
 * is answered `NANITE_ERR_ABORTED` without running. Without it, a request its caller gave up on
 * while the agent's every slot was busy ran to its end for nobody.
 *
 * Only networked links declare that (`AgentLink.cancelsMayOvertake`): their request ids are random
 * 53-bit integers (internal/ids.ts), so a remembered cancel cannot name a later request unless
 * its sender saw that request (secure mode also binds a cancel's `replyTo` to its signer).
 * In-process ids are sequential: there a remembered cancel from anyone on the bus would stop a
 * later honest request, so memory:// does not declare it.
 *
 * Bounded twice: most cancels remembered never match (the request had finished, or it is the second
 * copy of a cancel that already stopped it), so a remembered cancel lapses silently after
 * {@link EARLY_CANCEL_TTL_MS} (a request still waiting at the broker that long runs as it did
 * before), and past {@link MAX_EARLY_CANCELS} younger ones the oldest is forgotten (counted, one
 * log line per burst): a steady trickle of cancels never fills the table nor writes a line.
 */
import { BurstLog } from '../internal/burst-log';
import type { Logger } from '../internal/logger';

/** Most cancels remembered at once. */
export const MAX_EARLY_CANCELS = 4_096;

/** How long a remembered cancel waits for its request, ms. */
export const EARLY_CANCEL_TTL_MS = 60_000;

/** Remembered cancels by mapper and request id, oldest first; no timer (nothing to close). */
export class EarlyCancels {
  /** Key → when remembered (ms); insertion order is age order. */
  private readonly table = new Map<string, number>();
  /** Cancels forgotten unmatched to make room. */
  forgotten = 0;
  private readonly overflow: BurstLog;

  constructor(logger: Logger, bindings: object, private readonly max = MAX_EARLY_CANCELS, private readonly ttlMs = EARLY_CANCEL_TTL_MS) {
    this.overflow = new BurstLog({
      logger,
      bindings,
      message: `more than ${max} cancels for requests not seen here: the oldest forgotten (their requests, should they still come, run; further ones in the next 10 s are only counted)`,
    });
  }

  /** Cancels remembered now. */
  get size(): number {
    return this.table.size;
  }

  /** Remembers a cancel of request `id` of mapper `replyTo` that found nothing here. `now`: the clock, ms. */
  remember(replyTo: string, id: number, now = Date.now()): void {
    const key = keyOf(replyTo, id);
    this.table.delete(key);
    this.table.set(key, now);
    for (const [oldest, at] of this.table) {
      if (at > now - this.ttlMs) break;
      this.table.delete(oldest); // lapsed: its request, if it was ever coming, would have come
    }
    if (this.table.size <= this.max) return;
    this.table.delete(this.table.keys().next().value!);
    this.forgotten++;
    this.overflow.record();
  }

  /** True (and forgotten) when the caller of request `id` of mapper `replyTo` cancelled it before it arrived. */
  take(replyTo: string, id: number, now = Date.now()): boolean {
    if (this.table.size === 0) return false;
    const key = keyOf(replyTo, id);
    const at = this.table.get(key);
    if (at === undefined) return false;
    this.table.delete(key);
    return at > now - this.ttlMs;
  }
}

function keyOf(replyTo: string, id: number): string {
  return `${id} ${replyTo}`;
}
