/**
 * The mapper's own stalls: a check that runs every `interval` ms and finds itself late by much
 * more than that knows the event loop was blocked (GC, a CPU-bound handler, a paused VM). Heartbeats
 * that arrived meanwhile wait in socket buffers, so silence measured across a stall is ours, not
 * the agents'.
 */

/** Measures how late a periodic check runs. */
export class LoopLag {
  private last: number | undefined;
  /** Largest stall seen (ms). */
  maxStall = 0;
  /** Stalls seen. */
  stalls = 0;

  /**
   * @param interval how often {@link LoopLag.tick} is meant to run (ms)
   * @param tolerance lateness (ms) below which a tick counts as on time
   */
  constructor(
    private readonly interval: number,
    private readonly tolerance = 50,
  ) {}

  /** Called from the periodic check; returns the stall (ms) since the previous tick, 0 when on time. */
  tick(now: number): number {
    const last = this.last;
    this.last = now;
    if (last === undefined) return 0;
    const late = now - last - this.interval;
    if (late <= this.tolerance) return 0;
    this.stalls++;
    this.maxStall = Math.max(this.maxStall, late);
    return late;
  }

  /** Forgets the last tick (after a pause of the checks themselves). */
  reset(): void {
    this.last = undefined;
  }
}
