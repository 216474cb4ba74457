/**
 * A hybrid logical clock (Kulkarni et al., 2014): stamps that follow physical time when clocks
 * agree and never go backwards or behind anything this node has seen, whatever the clocks say.
 * The roster orders its writes by these stamps instead of raw wall-clock time, so a mapper whose
 * clock runs behind still writes after what it has heard, and a fast clock's lead is bounded.
 */

/** One stamp: physical milliseconds, a logical counter for ties, and the writer (last tie-break). */
export interface HlcStamp {
  readonly wall: number;
  readonly logical: number;
  readonly node: string;
}

/** Total order of stamps: wall, then logical, then node. */
export function compareStamps(a: HlcStamp, b: HlcStamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** The later of two stamps (either when equal). */
export function maxStamp(a: HlcStamp, b: HlcStamp): HlcStamp {
  return compareStamps(a, b) >= 0 ? a : b;
}

/** Options of {@link HybridClock}. */
export interface HybridClockOptions {
  /** The physical clock (ms); tests inject skew here. Default `Date.now`. */
  now?: () => number;
  /** Remote stamps further ahead of our clock than this (ms) are not followed (a broken or forged clock). Default 5 minutes. */
  maxDrift?: number;
}

/** A node's hybrid logical clock. */
export class HybridClock {
  private wall = 0;
  private logical = 0;
  private readonly physical: () => number;
  private readonly maxDrift: number;

  constructor(
    readonly node: string,
    options: HybridClockOptions = {},
  ) {
    this.physical = options.now ?? Date.now;
    this.maxDrift = options.maxDrift ?? 300_000;
  }

  /** The physical clock this HLC follows (ms). */
  physicalNow(): number {
    return this.physical();
  }

  /** A fresh stamp for a local event, later than every stamp made or received so far. */
  now(): HlcStamp {
    const pt = this.physical();
    if (pt > this.wall) {
      this.wall = pt;
      this.logical = 0;
    } else {
      this.logical++;
    }
    return { wall: this.wall, logical: this.logical, node: this.node };
  }

  /**
   * Takes a stamp heard from another node into account. Returns false (and ignores it) when it is
   * more than `maxDrift` ahead of our physical clock.
   */
  receive(remote: HlcStamp): boolean {
    const pt = this.physical();
    if (remote.wall - pt > this.maxDrift) return false;
    const wall = Math.max(this.wall, remote.wall, pt);
    if (wall === this.wall && wall === remote.wall) this.logical = Math.max(this.logical, remote.logical) + 1;
    else if (wall === this.wall) this.logical++;
    else if (wall === remote.wall) this.logical = remote.logical + 1;
    else this.logical = 0;
    this.wall = wall;
    return true;
  }
}
