/**
 * A hybrid logical clock (Kulkarni et al., 2014): stamps that follow physical time when clocks
 * agree and never go backwards or behind anything this node has seen, whatever the clocks say.
 * The roster orders its writes by these stamps instead of raw wall-clock time, so a mapper whose
 * clock runs behind still writes after what it has heard, and a fast clock's lead is bounded.
 */
import { BurstLog, type BurstLogger } from '../../internal/burst-log';

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
  /** Where a physical clock that gives no usable time is reported (one line per burst). */
  logger?: BurstLogger;
  /** Fields of that line, e.g. `{ mapper: id }`. */
  bindings?: object;
}

/** Default {@link HybridClockOptions.maxDrift} (ms). */
export const DEFAULT_MAX_DRIFT = 300_000;

/** A node's hybrid logical clock. */
export class HybridClock {
  private wall = 0;
  private logical = 0;
  private readonly physical: () => number;
  private readonly maxDrift: number;
  private readonly badClock: BurstLog;

  constructor(
    readonly node: string,
    options: HybridClockOptions = {},
  ) {
    this.physical = options.now ?? Date.now;
    this.maxDrift = options.maxDrift ?? DEFAULT_MAX_DRIFT;
    this.badClock = new BurstLog({ logger: options.logger, bindings: options.bindings, message: 'the roster clock gave no usable time (not a finite number of ms, or it threw); Date.now() is used instead (further ones are only counted for a while)' });
  }

  /**
   * The physical clock this HLC follows (whole ms). A user clock that returns fractions (e.g.
   * performance-based) is floored; one that throws or gives no finite, non-negative number is
   * replaced by `Date.now()`: stamps must stay safe integers, or every peer refuses them.
   */
  physicalNow(): number {
    let pt: number;
    try {
      pt = Math.floor(this.physical());
    } catch (err) {
      this.badClock.record({ err: err instanceof Error ? err.message : String(err) });
      return Date.now();
    }
    if (Number.isSafeInteger(pt) && pt >= 0) return pt;
    this.badClock.record({ value: String(pt) });
    return Date.now();
  }

  /** The latest `wall` a stamp from outside may carry now: our physical clock plus `maxDrift`. */
  horizon(): number {
    return this.physicalNow() + this.maxDrift;
  }

  /** A fresh stamp for a local event, later than every stamp made or received so far. */
  now(): HlcStamp {
    const pt = this.physicalNow();
    if (pt > this.wall) {
      this.wall = pt;
      this.logical = 0;
    } else {
      this.logical++;
    }
    return { wall: this.wall, logical: this.logical, node: this.node };
  }

  /**
   * A fresh stamp later than every stamp made or received so far and than `floor` too, even when
   * `floor` is ahead of this clock (it came from a store or a peer while our clock was behind):
   * a local write then wins over what it replaces on every replica.
   */
  after(floor: HlcStamp): HlcStamp {
    const s = this.now();
    if (compareStamps(s, floor) > 0) return s;
    if (Number.isSafeInteger(floor.logical + 1)) {
      this.wall = floor.wall;
      this.logical = floor.logical + 1;
    } else {
      this.wall = floor.wall + 1;
      this.logical = 0;
    }
    return { wall: this.wall, logical: this.logical, node: this.node };
  }

  /**
   * Takes a stamp heard from another node into account. Returns false (and ignores it) when it is
   * more than `maxDrift` ahead of our physical clock, or when its logical counter could not be
   * incremented as a safe integer (followed, it would stop our stamps from increasing).
   */
  receive(remote: HlcStamp): boolean {
    const pt = this.physicalNow();
    if (!Number.isSafeInteger(remote.wall) || !Number.isSafeInteger(remote.logical + 1) || remote.wall - pt > this.maxDrift) return false;
    const wall = Math.max(this.wall, remote.wall, pt);
    if (wall === this.wall && wall === remote.wall) this.logical = Math.max(this.logical, remote.logical) + 1;
    else if (wall === this.wall) this.logical++;
    else if (wall === remote.wall) this.logical = remote.logical + 1;
    else this.logical = 0;
    this.wall = wall;
    return true;
  }
}
