/**
 * Anti-entropy between mappers over a {@link GossipLink}:
 * - every `interval`, a digest (one hash per bucket of identities) goes to every mapper (fanout);
 * - a mapper whose digest differs in some buckets sends the sender its entries of those buckets
 *   and asks for theirs (direct message); the answer closes the gap (push-pull, one round trip);
 * - local changes go at once (batched over `deltaDelay`) as deltas to every peer heard lately.
 * Everything received is validated; malformed messages are dropped and counted.
 */
import { BurstLog, type BurstLogger } from '../../internal/burst-log';
import type { GossipLink } from '../../transport/gossip';
import { parseEntry, parseStamp } from './roster-codec';
import type { HlcStamp } from './hlc';
import type { RosterEntry } from './roster-entry';
import { DIGEST_BUCKETS, type RosterSet } from './roster-set';

/**
 * Most peers tracked (a flood of forged sender ids must not turn deltas into a flood). Past it the
 * peer heard from least recently makes room, so forged ids cannot lock a real mapper out.
 */
const MAX_PEERS = 256;

/** Most entries in one message (bigger syncs go in several). */
const MAX_ENTRIES_PER_MESSAGE = 500;

/**
 * Most syncs (entries a peer asked for: its digest differed from ours, or it wanted buckets) one
 * peer is answered per gossip interval. An honest peer asks about twice (our answer to its digest,
 * and to the `want` of its answer to ours); without a bound, a stream of forged digests naming a
 * victim as sender made every mapper send it its whole roster once per digest.
 */
export const SYNCS_PER_INTERVAL = 4;

/** What the gossip needs from its roster. */
export interface GossipHost {
  readonly id: string;
  readonly set: RosterSet;
  /** A fresh HLC stamp (sent along so peers' clocks follow ours). */
  stamp(): HlcStamp;
  /** The latest `wall` a stamp from a peer may carry now (our physical clock plus the HLC's max drift). */
  horizon(): number;
  /** A peer's stamp: the roster's clock takes it into account. */
  heardClock(at: HlcStamp): void;
  /** Entries from a peer, validated: the roster merges them. */
  merge(entries: RosterEntry[], from: string): void;
}

/** Options of {@link RosterGossip}. */
export interface RosterGossipOptions {
  /** Digest period (ms). Default 1 000. */
  interval: number;
  /** Delay (ms) batching local changes into one delta. Default 50. */
  deltaDelay: number;
  logger?: BurstLogger;
}

/** Counters of the gossip. */
export interface GossipStats {
  sent: number;
  received: number;
  bytesSent: number;
  malformed: number;
  /** Syncs asked for past {@link SYNCS_PER_INTERVAL} per interval by one peer: not answered (the next digests repair what they would have). */
  syncsRefused: number;
  peers: number;
}

type Msg =
  | { t: 'digest'; from: string; at: HlcStamp; buckets: string[] }
  | { t: 'entries'; from: string; at: HlcStamp; entries: RosterEntry[]; want?: number[] };

/** Runs the gossip of one roster. */
export class RosterGossip {
  private timer: NodeJS.Timeout | undefined;
  private deltaTimer: NodeJS.Timeout | undefined;
  private readonly dirty = new Set<string>();
  /** Peers and when (local ms) we last heard them, least recently heard first; at most MAX_PEERS. */
  private readonly peers = new Map<string, number>();
  /** Syncs answered per peer in the current window (local ms it opened), least recently opened first; at most MAX_PEERS. */
  private readonly syncs = new Map<string, { since: number; n: number }>();
  private paused = false;
  private readonly malformedLog: BurstLog;
  private readonly syncLog: BurstLog;
  readonly stats: GossipStats = { sent: 0, received: 0, bytesSent: 0, malformed: 0, syncsRefused: 0, peers: 0 };

  constructor(
    private readonly host: GossipHost,
    private readonly link: GossipLink,
    private readonly o: RosterGossipOptions,
  ) {
    this.malformedLog = new BurstLog({ logger: o.logger, bindings: { mapper: host.id }, message: 'malformed roster gossip dropped (further ones are only counted for a while)' });
    this.syncLog = new BurstLog({ logger: o.logger, bindings: { mapper: host.id }, message: `a peer asked for more than ${SYNCS_PER_INTERVAL} roster syncs in one gossip interval: the rest were not answered (forged digests naming it? further ones are only counted for a while)` });
  }

  /** Starts the digest timer (and sends the first digest at once). */
  start(): void {
    this.stop();
    this.timer = setInterval(() => this.tick(), this.o.interval);
    this.timer.unref();
    this.tick();
  }

  /** Stops the timers. Idempotent. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.deltaTimer) clearTimeout(this.deltaTimer);
    this.timer = undefined;
    this.deltaTimer = undefined;
  }

  /**
   * Fault injection and maintenance: while paused nothing is sent and what arrives is dropped
   * (a partition of this mapper's gossip). `resume()` catches up through the next digests.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.tick();
  }

  /** An entry changed locally: it goes to every peer shortly. */
  changed(identity: string): void {
    this.dirty.add(identity);
    if (this.deltaTimer) return;
    this.deltaTimer = setTimeout(() => this.flushDelta(), this.o.deltaDelay);
    this.deltaTimer.unref();
  }

  /** A message the transport could not even decode (or that failed validation): dropped and counted. */
  malformed(reason: string): void {
    this.stats.malformed++;
    this.malformedLog.record({ reason });
  }

  /** Handles one message from the transport. */
  onMessage(raw: unknown): void {
    if (this.paused) return;
    const m = parseMessage(raw, this.host.horizon());
    if (typeof m === 'string') {
      this.malformed(m);
      return;
    }
    if (m.from === this.host.id) return;
    this.stats.received++;
    this.host.heardClock(m.at);
    this.heardFrom(m.from);
    if (m.t === 'digest') return this.onDigest(m.from, m.buckets);
    if (m.entries.length) this.host.merge(m.entries, m.from);
    if (m.want?.length && this.maySync(m.from)) this.sendEntries(m.from, this.host.set.inBuckets(new Set(m.want)), undefined);
  }

  /** True when `peer` may be answered one more sync in this interval (counted); false (counted, logged once per burst) past the bound. */
  private maySync(peer: string): boolean {
    const now = Date.now();
    let w = this.syncs.get(peer);
    if (w === undefined || now - w.since >= this.o.interval) {
      this.syncs.delete(peer);
      if (this.syncs.size >= MAX_PEERS) this.syncs.delete(this.syncs.keys().next().value!);
      this.syncs.set(peer, (w = { since: now, n: 0 }));
    }
    if (w.n < SYNCS_PER_INTERVAL) {
      w.n++;
      return true;
    }
    this.stats.syncsRefused++;
    this.syncLog.record({ peer });
    return false;
  }

  /** Moves `peer` to the most recent end of the table, making room by forgetting the least recent one. */
  private heardFrom(peer: string): void {
    if (!this.peers.delete(peer) && this.peers.size >= MAX_PEERS) this.peers.delete(this.peers.keys().next().value!);
    this.peers.set(peer, Date.now());
    this.stats.peers = this.peers.size;
  }

  private onDigest(from: string, theirs: string[]): void {
    const ours = this.host.set.digest();
    const differ: number[] = [];
    for (let i = 0; i < DIGEST_BUCKETS; i++) if (ours[i] !== theirs[i]) differ.push(i);
    if (differ.length && this.maySync(from)) this.sendEntries(from, this.host.set.inBuckets(new Set(differ)), differ);
  }

  private tick(): void {
    if (this.paused) return;
    const now = Date.now();
    for (const [peer, at] of this.peers) if (now - at > this.o.interval * 10) this.peers.delete(peer);
    this.stats.peers = this.peers.size;
    this.post(undefined, { t: 'digest', from: this.host.id, at: this.host.stamp(), buckets: this.host.set.digest() });
  }

  private flushDelta(): void {
    this.deltaTimer = undefined;
    if (this.paused) return;
    const entries: RosterEntry[] = [];
    for (const id of this.dirty) {
      const e = this.host.set.get(id);
      if (e) entries.push(e);
    }
    this.dirty.clear();
    if (!entries.length) return;
    for (const peer of this.peers.keys()) this.sendEntries(peer, entries, undefined);
  }

  private sendEntries(to: string, entries: RosterEntry[], want: number[] | undefined): void {
    if (this.paused) return;
    if (entries.length === 0 && !want) return;
    for (let i = 0; i === 0 || i < entries.length; i += MAX_ENTRIES_PER_MESSAGE) {
      const chunk = entries.slice(i, i + MAX_ENTRIES_PER_MESSAGE);
      this.post(to, { t: 'entries', from: this.host.id, at: this.host.stamp(), entries: chunk, ...(want && i === 0 ? { want } : {}) });
    }
  }

  private post(to: string | undefined, m: Msg): void {
    this.stats.sent++;
    // Bandwidth accounting at the JSON size, what the default serializer puts on the wire.
    this.stats.bytesSent += JSON.stringify(m).length;
    try {
      if (to === undefined) this.link.broadcast(m);
      else this.link.send(to, m);
    } catch {
      // Gossip is best-effort: a lost message is repaired by the next digest.
    }
  }
}

const INVALID = 'invalid gossip message';
const AHEAD = 'gossip stamped more than maxDrift ahead of this clock (a forged stamp, or a peer whose clock is wrong)';

/** Whether a stamp that parsed without a bound fails only because it is past `maxWall`. */
const isAhead = (v: unknown, maxWall: number): boolean => parseStamp(v) !== undefined && parseStamp(v, maxWall) === undefined;

/**
 * A gossip message from outside, validated; the reason it is refused when anything is off. A
 * stamp past `maxWall`, the message's own or any of its entries', refuses the whole message:
 * followed, it would win every merge and outrank every later local write.
 */
function parseMessage(raw: unknown, maxWall: number): Msg | string {
  if (typeof raw !== 'object' || raw === null) return INVALID;
  const m = raw as Record<string, unknown>;
  const at = parseStamp(m.at, maxWall);
  if (typeof m.from !== 'string' || m.from.length === 0 || m.from.length > 512) return INVALID;
  if (!at) return isAhead(m.at, maxWall) ? AHEAD : INVALID;
  if (m.t === 'digest') {
    if (!Array.isArray(m.buckets) || m.buckets.length !== DIGEST_BUCKETS || !m.buckets.every((b) => typeof b === 'string' && b.length === 16)) return INVALID;
    return { t: 'digest', from: m.from, at, buckets: m.buckets as string[] };
  }
  if (m.t !== 'entries' || !Array.isArray(m.entries) || m.entries.length > MAX_ENTRIES_PER_MESSAGE) return INVALID;
  const entries: RosterEntry[] = [];
  for (const raw of m.entries) {
    const e = parseEntry(raw, maxWall);
    if (!e) return parseEntry(raw) ? AHEAD : INVALID;
    entries.push(e);
  }
  let want: number[] | undefined;
  if (m.want !== undefined) {
    if (!Array.isArray(m.want) || m.want.length > DIGEST_BUCKETS || !m.want.every((b) => Number.isInteger(b) && b >= 0 && b < DIGEST_BUCKETS)) return INVALID;
    want = m.want as number[];
  }
  return { t: 'entries', from: m.from, at, entries, ...(want ? { want } : {}) };
}
