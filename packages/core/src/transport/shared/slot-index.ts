/**
 * An index from request id to the ring slot holding its result, for the reply cache's ring of
 * recent results: open addressing with linear probing over one typed array, so the hot path (one
 * insert, one delete and one lookup per request) allocates nothing and leaves no garbage. A
 * `Map<number, …>` of 4 096 entries churned the same way cost ~1–2 µs per request (rehashes,
 * boxed keys, entry objects promoted to the old generation).
 *
 * The index stores slot numbers only and reads each slot's id and owner (whose request it is)
 * through the callbacks it is given: a slot is found by both, as request ids are unique per owner only.
 */

/** Ring slots by request id and owner. Capacity is fixed: at most half full, so probes stay short. */
export class SlotIndex<O> {
  /** Slot + 1 per bucket; 0 = empty. */
  private readonly buckets: Int32Array;
  private readonly mask: number;
  /** 32 − log2(buckets): the top bits of the multiplicative hash pick the bucket. */
  private readonly shift: number;

  /** `slots`: the most slots ever indexed at once; `idOf` / `ownerOf`: what a slot holds. */
  constructor(
    slots: number,
    private readonly idOf: (slot: number) => number,
    private readonly ownerOf: (slot: number) => O | undefined,
  ) {
    let bits = 1;
    while (1 << bits < slots * 2) bits++;
    this.buckets = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  /**
   * Fibonacci hashing of both halves of the id: Nanite's ids are random, but a peer may send any
   * integers, and sequential ones must not form the long probe runs that make every delete slow.
   */
  private home(id: number): number {
    const lo = id >>> 0;
    const hi = (id / 0x1_0000_0000) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85eb_ca6b), 0x9e37_79b1) >>> this.shift;
  }

  /** Indexes `slot`, which holds request `id`. */
  add(id: number, slot: number): void {
    let h = this.home(id);
    while (this.buckets[h] !== 0) h = (h + 1) & this.mask;
    this.buckets[h] = slot + 1;
  }

  /** The indexed slot holding request `id` of `owner`, if any. */
  find(id: number, owner: O): number | undefined {
    for (let h = this.home(id); this.buckets[h] !== 0; h = (h + 1) & this.mask) {
      const slot = this.buckets[h]! - 1;
      if (this.idOf(slot) === id && this.ownerOf(slot) === owner) return slot;
    }
    return undefined;
  }

  /** Removes `slot` (holding request `id`) from the index; no-op when it is not indexed. */
  remove(id: number, slot: number): void {
    let i = this.home(id);
    while (this.buckets[i] !== slot + 1) {
      if (this.buckets[i] === 0) return;
      i = (i + 1) & this.mask;
    }
    // Backward-shift deletion: later entries of the probe run move up, so no tombstones pile up.
    for (let j = (i + 1) & this.mask; this.buckets[j] !== 0; j = (j + 1) & this.mask) {
      const k = this.home(this.idOf(this.buckets[j]! - 1));
      // Entry j may move to i when its home is not cyclically within (i, j].
      if (i <= j ? k <= i || k > j : k <= i && k > j) {
        this.buckets[i] = this.buckets[j]!;
        i = j;
      }
    }
    this.buckets[i] = 0;
  }

  /** Forgets every slot. */
  clear(): void {
    this.buckets.fill(0);
  }
}
