/**
 * A sliding replay window (as in IPsec, RFC 4303 §3.4.3): accepts each sequence number once,
 * tolerates reordering within `size`, and drops what is older than the window. Fixed memory.
 */

/** Accepts each sequence number at most once. */
export class ReplayWindow {
  private highest = -1;
  private readonly bits: Uint32Array;

  /** @param size how far behind the highest number seen a late frame is still accepted (a multiple of 32). */
  constructor(readonly size = 1024) {
    this.bits = new Uint32Array(Math.ceil(size / 32));
  }

  /** True (and remembered) for a number not seen before and not too old; false otherwise. */
  accept(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) return false;
    if (seq > this.highest) {
      const shift = seq - this.highest;
      if (shift >= this.size) this.bits.fill(0);
      else for (let s = this.highest + 1; s < seq; s++) this.clear(s);
      this.highest = seq;
      this.set(seq);
      return true;
    }
    if (this.highest - seq >= this.size) return false;
    if (this.isSet(seq)) return false;
    this.set(seq);
    return true;
  }

  private slot(seq: number): [number, number] {
    const i = seq % this.size;
    return [i >>> 5, 1 << (i & 31)];
  }

  private set(seq: number): void {
    const [w, m] = this.slot(seq);
    this.bits[w]! |= m;
  }

  private clear(seq: number): void {
    const [w, m] = this.slot(seq);
    this.bits[w]! &= ~m;
  }

  private isSet(seq: number): boolean {
    const [w, m] = this.slot(seq);
    return (this.bits[w]! & m) !== 0;
  }
}
