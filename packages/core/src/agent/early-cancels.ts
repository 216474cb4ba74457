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
 * Bounded: most cancels remembered never match (the request had finished, or it is the second copy
 * of a cancel that already stopped it), and past {@link MAX_EARLY_CANCELS} the oldest is forgotten
 * (counted, one log line per burst): its request, should it still come, runs as it did before.
 */
import { BurstLog } from '../internal/burst-log';
import type { Logger } from '../internal/logger';

/** Most cancels remembered at once. */
export const MAX_EARLY_CANCELS = 4_096;

/** Remembered cancels by mapper and request id, oldest first; no timer (nothing to close). */
export class EarlyCancels {
  private readonly table = new Map<string, true>();
  /** Cancels forgotten unmatched to make room. */
  forgotten = 0;
  private readonly overflow: BurstLog;

  constructor(logger: Logger, bindings: object, private readonly max = MAX_EARLY_CANCELS) {
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

  /** Remembers a cancel of request `id` of mapper `replyTo` that found nothing here. */
  remember(replyTo: string, id: number): void {
    const key = keyOf(replyTo, id);
    this.table.delete(key);
    this.table.set(key, true);
    if (this.table.size <= this.max) return;
    this.table.delete(this.table.keys().next().value!);
    this.forgotten++;
    this.overflow.record();
  }

  /** True (and forgotten) when the caller of request `id` of mapper `replyTo` cancelled it before it arrived. */
  take(replyTo: string, id: number): boolean {
    return this.table.size !== 0 && this.table.delete(keyOf(replyTo, id));
  }
}

function keyOf(replyTo: string, id: number): string {
  return `${id} ${replyTo}`;
}
