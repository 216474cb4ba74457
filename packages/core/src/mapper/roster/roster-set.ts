/**
 * The roster's CRDT state: entries by identity, merged with {@link mergeEntries}, with an
 * order-independent digest per bucket of identities (so two mappers compare rosters of thousands
 * of agents with a few hundred bytes and exchange only the buckets that differ), a cap on entries
 * and tombstone expiry.
 */
import { mergeEntries, versionOf, type RosterEntry } from './roster-entry';

/** Number of digest buckets. */
export const DIGEST_BUCKETS = 32;

/** What {@link RosterSet.merge} did with an entry. */
export type MergeOutcome = 'changed' | 'same' | 'refused';

/**
 * 64 bits of an entry's version, as two unsigned 32-bit halves: two multiplicative string hashes
 * (cyrb53's mixing). Not cryptographic, and need not be: digests only spot buckets that differ
 * between mappers (a collision delays one sync until the entry changes again), and what peers
 * send is validated and merged, never trusted for its hash. It was SHA-1 (through node:crypto),
 * which cost more than the rest of a roster write together when thousands of agents changed state.
 */
function hashOf(e: RosterEntry): [number, number] {
  const s = versionOf(e);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

/** The digest bucket of an identity. */
export function bucketOf(identity: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < identity.length; i++) {
    h ^= identity.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % DIGEST_BUCKETS;
}

/** Entries by identity, with digests kept up to date on every change. */
export class RosterSet {
  private readonly entries = new Map<string, RosterEntry>();
  private readonly hashes = new Map<string, [number, number]>();
  private readonly buckets: Array<[number, number]> = Array.from({ length: DIGEST_BUCKETS }, () => [0, 0]);

  /** @param maxEntries most entries held; see {@link RosterSet.merge} for what happens past it. */
  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(identity: string): RosterEntry | undefined {
    return this.entries.get(identity);
  }

  all(): IterableIterator<RosterEntry> {
    return this.entries.values();
  }

  /**
   * Joins an entry into the set. A new identity past `maxEntries` first evicts the longest-removed
   * tombstone, else the agent down the longest; with neither, it is refused.
   */
  merge(incoming: RosterEntry): MergeOutcome {
    const current = this.entries.get(incoming.identity);
    if (!current && this.entries.size >= this.maxEntries && !this.evictOne()) return 'refused';
    const next = current ? mergeEntries(current, incoming) : incoming;
    if (current && versionOf(next) === versionOf(current)) return 'same';
    this.put(next);
    return 'changed';
  }

  /** Replaces an entry with a local write (already joined by the caller). */
  put(e: RosterEntry): void {
    const old = this.hashes.get(e.identity);
    if (old) this.xor(e.identity, old);
    const h = hashOf(e);
    this.entries.set(e.identity, e);
    this.hashes.set(e.identity, h);
    this.xor(e.identity, h);
  }

  /** Deletes an entry outright (expiry and eviction only: a CRDT never deletes otherwise). */
  delete(identity: string): boolean {
    const old = this.hashes.get(identity);
    if (!old) return false;
    this.xor(identity, old);
    this.hashes.delete(identity);
    this.entries.delete(identity);
    return true;
  }

  /** One 16-hex-digit hash per bucket: equal digests mean equal rosters (up to hash collisions). */
  digest(): string[] {
    return this.buckets.map(([a, b]) => a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0'));
  }

  /** Entries of the given buckets. */
  inBuckets(buckets: ReadonlySet<number>): RosterEntry[] {
    const out: RosterEntry[] = [];
    for (const e of this.entries.values()) if (buckets.has(bucketOf(e.identity))) out.push(e);
    return out;
  }

  /** Drops tombstones removed before `before` (wall ms); returns how many. */
  expireTombstones(before: number): number {
    let n = 0;
    for (const e of [...this.entries.values()]) if (e.removed && e.removed.wall < before && this.delete(e.identity)) n++;
    return n;
  }

  private evictOne(): boolean {
    let victim: RosterEntry | undefined;
    for (const e of this.entries.values()) {
      if (e.removed && (!victim?.removed || e.removed.wall < victim.removed.wall)) victim = e;
    }
    if (!victim) {
      for (const e of this.entries.values()) {
        if (e.live.state === 'down' && (!victim || e.lastDown < victim.lastDown)) victim = e;
      }
    }
    return victim ? this.delete(victim.identity) : false;
  }

  private xor(identity: string, [a, b]: [number, number]): void {
    const bucket = this.buckets[bucketOf(identity)]!;
    bucket[0] = (bucket[0] ^ a) >>> 0;
    bucket[1] = (bucket[1] ^ b) >>> 0;
  }
}
