import { malformedKind } from '../observability/malformed-kind';
import { BurstLog } from './burst-log';
import type { Logger } from './logger';

/**
 * Counts dropped packets and logs each distinct reason once (the first 100 reasons), so a peer
 * spewing garbage cannot flood the logs while operators still learn what was wrong.
 */
export class MalformedCounter {
  private readonly log: BurstLog;
  /** Drops by kind: a fixed set of keys (see malformedKind), so bounded. */
  private readonly kinds = new Map<string, number>();

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

  /** Packets dropped, by kind. */
  byKind(): ReadonlyMap<string, number> {
    return this.kinds;
  }

  record(reason: string): void {
    const kind = malformedKind(reason);
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    this.log.record({ reason }, reason);
  }
}
