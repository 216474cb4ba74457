/** One log line per burst of the same event, instead of one per occurrence. */

/** Where the Control Tower reports what it had to drop (a pino or Fastify logger fits). */
export interface TowerLogger {
  warn(obj: object, msg: string): void;
}

/** Shortest time between two lines of one {@link BurstLog}. */
export const BURST_LOG_INTERVAL_MS = 10_000;

/** Counts occurrences of one event and logs at most one line (with the running count) per interval. */
export class BurstLog {
  private total = 0;
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly message: string,
    private readonly logger?: TowerLogger,
    private readonly intervalMs = BURST_LOG_INTERVAL_MS,
  ) {}

  /** How many times {@link BurstLog.note} was called. */
  get count(): number {
    return this.total;
  }

  /** Counts one occurrence; logs `details` with the count when the last line is old enough. */
  note(details: object): void {
    this.total++;
    const now = Date.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    this.logger?.warn({ ...details, total: this.total }, this.message);
  }
}
