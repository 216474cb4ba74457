/**
 * A set of delivery tags kept as sorted runs of consecutive tags.
 *
 * The tags an ack batcher has acknowledged ahead of its lowest unsettled delivery: while one
 * delivery stays unsettled (a handler that hangs), every later one lands here. As a plain set that
 * grows with throughput for as long as the handler hangs; as runs it holds one entry per gap, and
 * a gap is a delivery not settled yet, of which a channel has at most its prefetch.
 */

/** Runs `[start, end]` (inclusive), sorted, neither overlapping nor touching. */
export class TagRuns {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /** Number of runs (for tests and bounds). */
  get runs(): number {
    return this.starts.length;
  }

  has(tag: number): boolean {
    const i = this.runAtOrBefore(tag);
    return i >= 0 && tag <= this.ends[i]!;
  }

  add(tag: number): void {
    const n = this.starts.length;
    // The common case: at or past the end of the last run (tags mostly come in order).
    if (n === 0 || tag > this.ends[n - 1]! + 1) {
      this.starts.push(tag);
      this.ends.push(tag);
      return;
    }
    const i = this.runAtOrBefore(tag);
    if (i >= 0 && tag <= this.ends[i]!) return; // already in
    const joinsLeft = i >= 0 && tag === this.ends[i]! + 1;
    const joinsRight = i + 1 < n && tag === this.starts[i + 1]! - 1;
    if (joinsLeft && joinsRight) {
      this.ends[i] = this.ends[i + 1]!;
      this.starts.splice(i + 1, 1);
      this.ends.splice(i + 1, 1);
    } else if (joinsLeft) this.ends[i] = tag;
    else if (joinsRight) this.starts[i + 1] = tag;
    else {
      this.starts.splice(i + 1, 0, tag);
      this.ends.splice(i + 1, 0, tag);
    }
  }

  /** When a run starts at `tag`: removes it and returns its last tag; otherwise undefined. */
  takeRunAt(tag: number): number | undefined {
    if (this.starts.length === 0 || this.starts[0] !== tag) return undefined;
    this.starts.shift();
    return this.ends.shift();
  }

  /** Index of the last run starting at or before `tag` (-1: none). */
  private runAtOrBefore(tag: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= tag) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
