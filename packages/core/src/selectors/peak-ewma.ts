/**
 * Peak-sensitive moving average of an agent's response time, as Finagle's and Envoy's/Linkerd's
 * "peak EWMA" load balancers keep it: a slower sample replaces the average at once (a slow agent is
 * avoided from its first slow reply), faster ones pull it down with a weight that depends on the
 * time since the last sample, and while no sample arrives the value decays toward zero, so an agent
 * that stopped getting traffic because it was slow is tried again after a while (and re-measured).
 */

/**
 * Time constant (ms) of the decay: after this long without samples the value is down to 1/e.
 * Finagle and Linkerd use 10 s; 2 s here, because a stall that hits every agent of a process at once
 * (GC, a starved CPU) peaks all their averages, and with 10 s they took that long to come back while
 * the one agent nobody had sampled (the slow one) looked cheap (bench/balance.bench.mjs: median p99
 * 13 ms with 2 s against 50 ms with 10 s, one run each, on the shared machine).
 */
export const PEAK_EWMA_DECAY_MS = 2_000;

/** The smallest sample kept (ms): half the resolution of the millisecond clock the samples come from. */
export const MIN_SAMPLE_MS = 0.5;

/** One agent's response-time average (ms). Plain numbers, no timers: read with the current time. */
export class PeakEwma {
  private value = 0;
  private at = 0;

  constructor(private readonly decayMs = PEAK_EWMA_DECAY_MS) {}

  /** Adds a sample (ms) observed at `now` (epoch ms). */
  observe(sample: number, now: number): void {
    if (!(sample >= 0)) return;
    // Samples come from a millisecond clock: 0 means "under a millisecond", and 0 must stay "not measured".
    if (sample < MIN_SAMPLE_MS) sample = MIN_SAMPLE_MS;
    if (sample >= this.value) this.value = sample;
    else {
      const w = Math.exp(-Math.max(0, now - this.at) / this.decayMs);
      this.value = this.value * w + sample * (1 - w);
    }
    this.at = now;
  }

  /** The average at `now`, decayed toward zero since the last sample; 0 until the first sample. */
  read(now: number): number {
    if (this.value === 0) return 0;
    const idle = now - this.at;
    return idle <= 0 ? this.value : this.value * Math.exp(-idle / this.decayMs);
  }
}
