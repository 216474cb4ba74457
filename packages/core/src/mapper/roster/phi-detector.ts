/**
 * Phi-accrual failure detection (Hayashibara et al., 2004; as in Akka and Cassandra): per agent, a
 * window of heartbeat inter-arrival times gives a mean and deviation, and the suspicion level phi
 * grows with the silence since the last heartbeat. An agent pinging every second with little
 * jitter is suspected after about 1.3 s of silence; one that jitters ±50 % gets proportionally
 * more slack. Thresholds are turned into deadlines once per heartbeat, so a check costs one
 * comparison per agent.
 */

/** Options of {@link PhiDetector}. */
export interface PhiDetectorOptions {
  /** Phi at which an agent becomes `suspect` (no new work). Default 3 (≈ 1 false suspicion in 1 000 intervals under a normal fit). */
  suspectPhi?: number;
  /** Phi at which an agent is `down`. Default 8. */
  downPhi?: number;
  /** Inter-arrival samples kept per agent. Default 50. */
  window?: number;
  /**
   * Least deviation, as a fraction of the mean interval. Default 0.15: an agent pinging steadily
   * every second is down after ~1.8 s of silence (one lost ping), suspect after ~1.5 s.
   */
  minStdRatio?: number;
}

/** Defaults of {@link PhiDetectorOptions}. */
export const DEFAULT_PHI_DETECTOR_OPTIONS = {
  suspectPhi: 3,
  downPhi: 8,
  window: 50,
  minStdRatio: 0.15,
} as const;

/** A transition the detector decided. */
export interface PhiVerdict {
  identity: string;
  to: 'suspect' | 'down';
}

/** Phi of the logistic approximation of the normal tail (Akka's). */
export function phiOf(elapsed: number, mean: number, std: number): number {
  const y = (elapsed - mean) / std;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  return elapsed > mean ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
}

/** The standardized silence at which phi reaches `phi` (bisection; phi is increasing). */
function zFor(phi: number): number {
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (phiOf(mid, 0, 1) < phi) lo = mid;
    else hi = mid;
  }
  return hi;
}

class Track {
  readonly samples: number[] = [];
  next = 0;
  sum = 0;
  sumSq = 0;
  last: number;
  state: 'up' | 'suspect' | 'down' = 'up';
  suspectAt = Infinity;
  downAt = Infinity;

  constructor(now: number) {
    this.last = now;
  }

  add(interval: number, max: number): void {
    if (this.samples.length < max) this.samples.push(interval);
    else {
      const old = this.samples[this.next]!;
      this.sum -= old;
      this.sumSq -= old * old;
      this.samples[this.next] = interval;
      this.next = (this.next + 1) % max;
    }
    this.sum += interval;
    this.sumSq += interval * interval;
  }
}

/** Per-agent phi-accrual detector. Time is passed in (ms), so it runs under fake timers and in benches alike. */
export class PhiDetector {
  private readonly tracks = new Map<string, Track>();
  private readonly zSuspect: number;
  private readonly zDown: number;
  private readonly window: number;
  private readonly minStdRatio: number;

  constructor(options: PhiDetectorOptions = {}) {
    const d = DEFAULT_PHI_DETECTOR_OPTIONS;
    this.zSuspect = zFor(options.suspectPhi ?? d.suspectPhi);
    this.zDown = zFor(options.downPhi ?? d.downPhi);
    this.window = options.window ?? d.window;
    this.minStdRatio = options.minStdRatio ?? d.minStdRatio;
  }

  /**
   * A heartbeat from `identity`. `expected` (its announced ping interval) seeds a new window.
   * `clean` false: the interval since the previous one spans a stall of ours and is not sampled.
   * Returns the state before it (`undefined` for an agent new to the detector).
   */
  heartbeat(identity: string, now: number, expected: number, clean = true): 'up' | 'suspect' | 'down' | undefined {
    let t = this.tracks.get(identity);
    let before: 'up' | 'suspect' | 'down' | undefined;
    if (!t) {
      t = new Track(now);
      // Two synthetic samples around the announced interval, so the first deadlines are sane.
      t.add(expected * 0.9, this.window);
      t.add(expected * 1.1, this.window);
      this.tracks.set(identity, t);
    } else {
      before = t.state;
      const interval = now - t.last;
      // A down agent that comes back starts a fresh gap; tiny intervals are bursts after a stall.
      if (clean && before !== 'down' && interval > 0) t.add(interval, this.window);
      t.last = Math.max(t.last, now);
    }
    t.state = 'up';
    const n = t.samples.length;
    const mean = t.sum / n;
    const std = Math.max(Math.sqrt(Math.max(0, t.sumSq / n - mean * mean)), mean * this.minStdRatio);
    t.suspectAt = t.last + mean + this.zSuspect * std;
    t.downAt = t.last + mean + this.zDown * std;
    return before;
  }

  /** Suspicion level of one agent now (0 for unknown agents). */
  phi(identity: string, now: number): number {
    const t = this.tracks.get(identity);
    if (!t) return 0;
    const n = t.samples.length;
    const mean = t.sum / n;
    const std = Math.max(Math.sqrt(Math.max(0, t.sumSq / n - mean * mean)), mean * this.minStdRatio);
    return phiOf(now - t.last, mean, std);
  }

  /** Moves every deadline `ms` later: time the mapper itself was stalled (or cut off) is not the agents' silence. */
  discount(ms: number): void {
    for (const t of this.tracks.values()) {
      t.last += ms;
      t.suspectAt += ms;
      t.downAt += ms;
    }
  }

  /**
   * Restarts every live agent's silence at `now`: the mapper was cut off from the broker, and the
   * heartbeats sent meanwhile are lost (not late), so until each agent's next one arrives its
   * silence says nothing. An agent that died during the outage is found one interval later.
   */
  restartSilence(now: number): void {
    for (const t of this.tracks.values()) {
      if (t.state === 'down' || now <= t.last) continue;
      const shift = now - t.last;
      t.last = now;
      t.suspectAt += shift;
      t.downAt += shift;
    }
  }

  /** Transitions due at `now` (each agent at most once per state). */
  check(now: number): PhiVerdict[] {
    const out: PhiVerdict[] = [];
    for (const [identity, t] of this.tracks) {
      if (t.state !== 'down' && now >= t.downAt) {
        t.state = 'down';
        out.push({ identity, to: 'down' });
      } else if (t.state === 'up' && now >= t.suspectAt) {
        t.state = 'suspect';
        out.push({ identity, to: 'suspect' });
      }
    }
    return out;
  }

  /** Marks an agent down at once (the transport said so); it is up again on its next heartbeat. */
  markDown(identity: string): void {
    const t = this.tracks.get(identity);
    if (t) t.state = 'down';
  }

  /** Stops tracking an agent. */
  forget(identity: string): void {
    this.tracks.delete(identity);
  }

  get size(): number {
    return this.tracks.size;
  }
}
