import type { Logger } from './logger';

/**
 * Counts dropped packets and logs each distinct reason once, so a peer spewing garbage cannot
 * flood the logs while operators still learn what was wrong.
 */
export class MalformedCounter {
  count = 0;
  private readonly seen = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly bindings: object,
  ) {}

  record(reason: string): void {
    this.count++;
    if (this.seen.size < 100 && !this.seen.has(reason)) {
      this.seen.add(reason);
      this.logger.warn({ ...this.bindings, reason, dropped: this.count }, 'dropped a malformed packet (further packets with this fault are only counted)');
    }
  }
}
