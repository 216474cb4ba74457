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

/**
 * The detector's guard against the mapper's own stalls: a tick that runs late, or two ticks with
 * no I/O turn between them (heartbeats could not even be read: a blocked loop, or timers run back
 * to back), is a stall of ours. Owns one pending `setImmediate`; `close()` clears it.
 */
export class StallGuard {
  private readonly lag: LoopLag;
  private lastTick = Date.now();
  private turned = true;
  private turn: NodeJS.Immediate | undefined;
  private stalled = false;
  /** Stalls seen, counted once per episode. */
  episodes = 0;

  constructor(interval: number) {
    this.lag = new LoopLag(interval);
  }

  /** Called from each tick: the time (ms) to discount when this tick is part of a stall of ours, else 0. */
  tick(now: number): number {
    const late = this.lag.tick(now);
    const gap = Math.max(0, now - this.lastTick);
    this.lastTick = now;
    const turned = this.turned;
    this.turned = false;
    if (this.turn) clearImmediate(this.turn);
    this.turn = setImmediate(() => {
      this.turn = undefined;
      this.turned = true;
    });
    const own = late > 0 || !turned;
    if (own && !this.stalled) this.episodes++;
    this.stalled = own;
    return own ? Math.max(late, gap, 1) : 0;
  }

  /** Time since the last tick (ms), to discount over an outage. */
  sinceLastTick(now: number): number {
    return Math.max(0, now - this.lastTick);
  }

  close(): void {
    if (this.turn) clearImmediate(this.turn);
    this.turn = undefined;
  }
}
