import { BurstLog } from './burst-log';
import type { Logger } from './logger';

/**
 * Counts dropped packets and logs each distinct reason once (the first 100 reasons), so a peer
 * spewing garbage cannot flood the logs while operators still learn what was wrong.
 */
export class MalformedCounter {
  private readonly log: BurstLog;

  constructor(logger: Logger, bindings: object) {
    this.log = new BurstLog({
      logger,
      bindings,
      quietMs: Infinity,
      windowPerKey: true,
      maxKeys: 100,
      message: 'dropped a malformed packet (further packets with this fault are only counted)',
    });
  }

  /** Packets dropped since creation. */
  get count(): number {
    return this.log.count;
  }

  record(reason: string): void {
    this.log.record({ reason }, reason);
  }
}
