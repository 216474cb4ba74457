/**
 * Counts an event that arrives from the wire (a dropped packet, a forged bounce) and logs it at most
 * once per quiet period, so a flood costs a counter increment per item and one log line per burst.
 */
import type { Logger } from '../../internal/logger';

/** Default quiet period between two log lines of one counter (ms). */
const QUIET = 10_000;

/** A counter that logs once per burst. No timer: the clock is read when an event is recorded. */
export class BurstLog {
  /** Events recorded since creation. */
  count = 0;
  private lastLog = -Infinity;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    private readonly bindings: object,
    private readonly quiet = QUIET,
  ) {}

  /** Counts one event; logs (with the running total and `detail`) unless one was logged in the last quiet period. */
  record(detail?: object): void {
    this.count++;
    const now = Date.now();
    if (now - this.lastLog < this.quiet) return;
    this.lastLog = now;
    this.logger.warn({ ...this.bindings, ...detail, total: this.count }, `${this.message} (further ones in the next ${this.quiet / 1000} s are only counted)`);
  }
}
