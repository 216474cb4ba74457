/**
 * The mapper's roster: every agent ever registered with its state (joining / up / suspect / down /
 * removed), kept as a CRDT shared by gossip with the other mappers, judged by a phi-accrual failure
 * detector that discounts the mapper's own stalls, and saved to a store across restarts.
 *
 * The roster decides; the mapper acts through {@link RosterHooks} (take an agent out of dispatch,
 * drop it, tell listeners), so the registry and dispatcher stay as they are.
 */
import { BurstLog } from '../../internal/burst-log';
import type { Logger } from '../../internal/logger';
import type { GossipLink } from '../../transport/gossip';
import type { AgentView } from '../../selectors/selector';
import { HybridClock, type HlcStamp } from './hlc';
import { StallGuard } from './loop-lag';
import { PhiDetector } from './phi-detector';
import { parseEntry } from './roster-codec';
import { latestStamp, MAX_INCARNATION, nextEntry, ROSTER_STATES, stateOf, type AgentMeta, type Liveness, type RosterEntry, type RosterState } from './roster-entry';
import { RosterGossip } from './roster-gossip';
import { RosterSaver } from './roster-saver';
import { RosterSet } from './roster-set';
import type { RosterStore } from './roster-store';
import { resolveRosterOptions, type ResolvedRosterOptions, type RosterAgent, type RosterOptions, type RosterStats } from './roster.options';
import { metaMatches, metaOf, toRosterAgent } from './roster-view';

/** What the roster asks of its mapper. */
export interface RosterHooks {
  /** Take the agent out of dispatch until it is heard again (suspect). */
  suspend(identity: string): void;
  /** The suspicion ended (a heartbeat): back into dispatch. */
  resume(identity: string): void;
  /** Drop the agent from dispatch; its in-flight work moves on (down or removed). */
  drop(identity: string, reason: 'timeout' | 'removed'): void;
  /** Tell listeners. */
  emit(event: 'agent:suspect' | 'agent:removed', agent: RosterAgent): void;
  /**
   * Is the transport connected now (silence during an outage proves nothing)? Once it said no,
   * silence counts again only after {@link Roster.reconnected}.
   */
  connected(): boolean;
}

/** The roster of one mapper. */
export class Roster {
  readonly set: RosterSet;
  private readonly clock: HybridClock;
  private readonly detector: PhiDetector;
  private readonly guard: StallGuard;
  private readonly o: ResolvedRosterOptions;
  /** Loaded from the store and not heard of since this start. */
  private readonly unknown = new Set<string>();
  /** Local ms of the last heartbeat per agent (bounded by the set's cap: entries leave with their agent). */
  private readonly lastHeard = new Map<string, number>();
  private lastStallAt = 0;
  /** The transport was seen down and the link is not attached again yet (see {@link Roster.reconnected}). */
  private cutOff = false;
  private timer: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private gossip: RosterGossip | undefined;
  private saver: RosterSaver | undefined;
  /** New identities refused with the roster full (`maxEntries`): counted, one log line per burst. */
  private readonly refusals: BurstLog;
  /** Rejoins refused because the incarnation is at {@link MAX_INCARNATION} (asked by Registers: one log line per burst). */
  private readonly capped: BurstLog;
  private closed = false;

  constructor(
    readonly id: string,
    options: RosterOptions,
    private readonly hooks: RosterHooks,
    private readonly logger: Logger,
    private readonly store: RosterStore | undefined,
  ) {
    this.o = resolveRosterOptions(options);
    this.refusals = new BurstLog({ logger, bindings: { mapper: id }, message: 'roster full (maxEntries): agents it has no room for are refused (further ones are only counted for a while)' });
    this.set = new RosterSet(this.o.maxEntries);
    this.capped = new BurstLog({ logger, bindings: { mapper: id }, message: 'a removed agent asked to rejoin, but its incarnation is at the limit: refused (give it a new identity)' });
    this.clock = new HybridClock(id, { ...(options.clock ? { now: options.clock } : {}), logger, bindings: { mapper: id } });
    this.detector = new PhiDetector(options.detector);
    this.guard = new StallGuard(this.o.detectInterval);
    if (store) this.saver = new RosterSaver(store, () => [...this.set.all()], this.o.saveDelay, logger);
  }

  /**
   * Loads the stored roster (every agent `unknown-since-restart` until heard of). Entries that are
   * invalid (a custom store is user code) or stamped more than the clock's max drift ahead (they
   * would outrank every write of this mapper and, removed, never expire) are dropped and counted.
   */
  async load(): Promise<void> {
    if (!this.store) return;
    const { entries, corrupt } = await this.store.load();
    if (corrupt) this.logger.warn({ store: this.store.where, reason: corrupt }, 'the stored roster could not be read; it was set aside and is rebuilt from heartbeats and gossip');
    const now = Date.now();
    const horizon = this.clock.horizon();
    let dropped = 0;
    for (const raw of entries) {
      const e = parseEntry(raw, horizon);
      if (!e) {
        dropped++;
        continue;
      }
      // Our next writes come after what we wrote before the restart, whatever the clock did since.
      this.clock.receive(latestStamp(e));
      if (this.set.merge(e) !== 'changed') continue;
      if (e.removed) continue;
      this.unknown.add(e.identity);
      // Silent ones must still go down: watch them as if they had just pinged.
      if (e.live.state !== 'down') this.detector.heartbeat(e.identity, now, e.meta.value.pingInterval ?? 1_000);
    }
    if (dropped > 0) this.logger.warn({ store: this.store.where, dropped }, 'stored roster entries that are invalid or stamped more than maxDrift ahead of this clock were dropped');
    if (corrupt || dropped > 0) this.saver?.touch();
  }

  /** Starts the detector and, given a link, the gossip. */
  start(link: GossipLink | undefined): void {
    this.stopTimers();
    this.timer = setInterval(() => this.tick(), this.o.detectInterval);
    this.timer.unref();
    // At most once a minute and at least a second apart: each scan walks the whole roster.
    this.expiry = setInterval(() => this.set.expireTombstones(this.clock.physicalNow() - this.o.tombstoneTtl), Math.max(1_000, Math.min(this.o.tombstoneTtl, 60_000)));
    this.expiry.unref();
    if (link && this.o.gossip) {
      this.gossip = new RosterGossip(
        {
          id: this.id,
          set: this.set,
          stamp: () => this.clock.now(),
          horizon: () => this.clock.horizon(),
          heardClock: (at) => this.heardClock(at),
          merge: (entries) => this.mergeRemote(entries),
        },
        link,
        { interval: this.o.gossipInterval, deltaDelay: this.o.deltaDelay, logger: this.logger },
      );
      this.gossip.start();
    }
  }

  /** Where the transport's gossip goes (nothing, once closed: a merge would save after the store is closed). */
  onGossip(message: unknown): void {
    if (this.closed) return;
    this.gossip?.onMessage(message);
  }

  /** Gossip the transport could not decode: counted with the malformed (`stats.malformedGossip`). */
  onMalformedGossip(reason: string): void {
    if (this.closed) return;
    this.gossip?.malformed(reason);
  }

  /** Pauses (true) or resumes this mapper's gossip: a partition of the roster, for tests and maintenance. */
  pauseGossip(paused: boolean): void {
    if (paused) this.gossip?.pause();
    else this.gossip?.resume();
  }

  /**
   * False for an agent that was removed: its heartbeats are refused. With `rejoin` (an agent
   * restarted on purpose) a removed identity is admitted again as a new incarnation, unless its
   * incarnation is at {@link MAX_INCARNATION} already.
   */
  admits(identity: string, rejoin = false): boolean {
    const e = this.set.get(identity);
    if (!e?.removed) return true;
    if (!rejoin) return false;
    if (e.incarnation >= MAX_INCARNATION) {
      this.capped.record({ agent: identity, incarnation: e.incarnation });
      return false;
    }
    const at = this.clock.now();
    const { removed: _gone, ...rest } = e;
    this.put({ ...rest, incarnation: e.incarnation + 1, live: { state: 'joining', at }, lastUp: Date.now() });
    this.logger.info({ agent: identity, incarnation: e.incarnation + 1 }, 'a removed agent rejoined on purpose');
    return true;
  }

  /** A Register (`joined`) or Ping from an agent the registry holds. */
  heard(view: AgentView, joined: boolean): void {
    const now = Date.now();
    const id = view.identity;
    const entry = this.set.get(id);
    if (entry?.removed) return;
    const prev = this.lastHeard.get(id);
    this.lastHeard.set(id, now);
    const wasUnknown = this.unknown.delete(id);
    this.detector.heartbeat(id, now, view.pingInterval, prev === undefined || prev > this.lastStallAt);
    const state = entry?.live.state;
    let next: Liveness | undefined;
    if (!entry || ((state === 'down' || wasUnknown) && joined)) next = 'joining';
    else if (state !== 'up' && !(state === 'joining' && joined)) next = 'up';
    // The common case (a Ping from an agent that is up, nothing changed) writes and allocates nothing.
    const same = entry !== undefined && metaMatches(entry.meta.value, view);
    if (next === undefined && same) return;
    this.write(id, { ...(next ? { state: next } : {}), ...(same ? {} : { meta: metaOf(view) }), now });
    // Back in dispatch (a "down" agent is still in the registry when the mapper's agentTimeout holds it).
    if (state === 'suspect' || state === 'down') this.hooks.resume(id);
  }

  /** The registry dropped the agent (unregistered, the transport saw it go, or the reaper timed it out). */
  lost(identity: string, reason: string): void {
    const entry = this.set.get(identity);
    // Not tracked while down (a flood of short-lived identities must not grow the detector): its next heartbeat starts afresh.
    this.detector.forget(identity);
    // What we heard before it went is no evidence against a peer's "down" any more.
    this.lastHeard.delete(identity);
    if (!entry || entry.removed || entry.live.state === 'down') return;
    this.logger.debug({ agent: identity, reason }, 'roster: agent down');
    this.write(identity, { state: 'down', now: Date.now() });
  }

  /** Retires an agent on every mapper: `removed` wins over any later liveness of this incarnation. */
  forget(identity: string): RosterAgent | undefined {
    const entry = this.set.get(identity);
    if (!entry || entry.removed) return entry && toRosterAgent(entry, false);
    const at = this.clock.now();
    this.put({ ...entry, removed: at, lastDown: entry.live.state === 'down' ? entry.lastDown : Date.now() });
    this.afterRemoved(identity);
    return toRosterAgent(this.set.get(identity)!, false);
  }

  /** Every roster entry, as shown. */
  list(): RosterAgent[] {
    return [...this.set.all()].map((e) => toRosterAgent(e, this.unknown.has(e.identity)));
  }

  /** How many entries show each state (for metrics: no copies of the entries). */
  countStates(): Map<RosterState, number> {
    const counts = new Map<RosterState, number>(ROSTER_STATES.map((s) => [s, 0]));
    for (const e of this.set.all()) {
      const state: RosterState = e.removed ? 'removed' : this.unknown.has(e.identity) ? 'unknown-since-restart' : e.live.state;
      counts.set(state, counts.get(state)! + 1);
    }
    return counts;
  }

  /** One entry, as shown. */
  get(identity: string): RosterAgent | undefined {
    const e = this.set.get(identity);
    return e && toRosterAgent(e, this.unknown.has(identity));
  }

  get stats(): RosterStats {
    const g = this.gossip?.stats;
    return {
      entries: this.set.size, refused: this.refusals.count, stalls: this.guard.episodes, saveFailures: this.saver?.failed ?? 0,
      malformedGossip: g?.malformed ?? 0, gossipSent: g?.sent ?? 0, gossipBytesSent: g?.bytesSent ?? 0, gossipReceived: g?.received ?? 0, syncsRefused: g?.syncsRefused ?? 0, peers: g?.peers ?? 0,
    };
  }

  /**
   * Stops timers and gossip, saves what is pending, closes the store. Idempotent; never rejects for
   * the store (user code): a close that fails is logged, and the mapper still closes the rest.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    this.gossip?.stop();
    await this.saver?.flush();
    try {
      await this.store?.close();
    } catch (err) {
      this.logger.warn({ store: this.store?.where, err: err instanceof Error ? err.message : String(err) }, 'closing the roster store failed');
    }
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.expiry) clearInterval(this.expiry);
    this.guard.close();
    this.timer = undefined;
    this.expiry = undefined;
  }

  /**
   * The mapper's link is attached again after an outage: the heartbeats sent during it never reach
   * us (lost, not late), so every agent's silence starts again now. Judged on the old clock, live
   * agents whose Ping fell into the outage were declared down, and the gossip made the other
   * mappers drop them too.
   */
  reconnected(now = Date.now()): void {
    this.cutOff = false;
    this.detector.restartSilence(now);
    this.lastStallAt = now;
  }

  private tick(): void {
    const now = Date.now();
    const gap = this.guard.sinceLastTick(now);
    const stall = this.guard.tick(now);
    // Our own stall (or an outage of the transport): nobody's silence over it counts, and heartbeats
    // that waited in socket buffers are handled after this tick, so judge on the next one.
    // Cut off from the moment the transport is seen down until the link is attached again
    // (reconnected): a connection that is up again does not bring heartbeats before that.
    if (!this.hooks.connected()) this.cutOff = true;
    if (stall > 0 || this.cutOff) {
      this.detector.discount(stall > 0 ? stall : gap);
      this.lastStallAt = now;
      return;
    }
    for (const v of this.detector.check(now)) {
      const entry = this.set.get(v.identity);
      if (!entry || entry.removed) {
        if (v.to === 'down') this.detector.forget(v.identity);
        continue;
      }
      this.unknown.delete(v.identity);
      if (v.to === 'down') {
        this.lastHeard.delete(v.identity);
        this.detector.forget(v.identity);
      }
      this.write(v.identity, { state: v.to, now });
      if (v.to === 'suspect') {
        this.hooks.suspend(v.identity);
        this.hooks.emit('agent:suspect', toRosterAgent(this.set.get(v.identity)!, false));
      } else {
        this.hooks.drop(v.identity, 'timeout');
      }
    }
  }

  private heardClock(at: HlcStamp): void {
    this.clock.receive(at);
    // A peer speaks: what we loaded is now merged with what the cluster knows.
    this.unknown.clear();
  }

  private mergeRemote(entries: RosterEntry[]): void {
    const now = Date.now();
    // Entry stamps can be ahead of the message's own: our next writes must still come after them.
    for (const e of entries) this.clock.receive(latestStamp(e));
    for (const incoming of entries) {
      const before = this.set.get(incoming.identity);
      const outcome = this.set.merge(incoming);
      if (outcome === 'refused') this.refusals.record({ agent: incoming.identity, entries: this.set.size, from: 'gossip' });
      if (outcome !== 'changed') continue;
      this.saver?.touch();
      const after = this.set.get(incoming.identity)!;
      const was = before ? stateOf(before) : undefined;
      const is = stateOf(after);
      if (is === 'removed') {
        if (was !== 'removed') this.afterRemoved(after.identity);
        continue;
      }
      if (is !== 'suspect' && is !== 'down') continue;
      // A peer suspects it. Our own fresh evidence wins (re-asserted with a later stamp); without
      // it we take the peer's word: its evidence speeds us up.
      const heard = this.lastHeard.get(after.identity);
      const interval = after.meta.value.pingInterval ?? 1_000;
      if (heard !== undefined && now - heard < interval) this.write(after.identity, { state: 'up', now });
      else if (is === 'suspect' && was !== 'suspect') this.hooks.suspend(after.identity);
      else if (is === 'down' && was !== 'down') {
        this.detector.forget(after.identity);
        this.hooks.drop(after.identity, 'timeout');
      }
    }
  }

  private afterRemoved(identity: string): void {
    this.detector.forget(identity);
    this.lastHeard.delete(identity);
    this.unknown.delete(identity);
    this.hooks.drop(identity, 'removed');
    this.hooks.emit('agent:removed', toRosterAgent(this.set.get(identity)!, false));
  }

  /** A local write: new stamps, then gossip and save. */
  private write(identity: string, w: { state?: Liveness; meta?: AgentMeta; now: number }): void {
    const cur = this.set.get(identity);
    // A first sighting is the weakest claim (stamp zero): whatever a peer already knows of the agent
    // wins, so a mapper that starts (or a CLI's short-lived one) never turns "up" back into "joining".
    // Any other write is stamped after the entry it replaces, so it wins on every replica too.
    const next = nextEntry(identity, cur, w, cur ? this.clock.after(latestStamp(cur)) : { wall: 0, logical: 0, node: this.id });
    if (!cur && this.set.size >= this.o.maxEntries && this.set.merge(next) === 'refused') {
      this.refusals.record({ agent: identity, entries: this.set.size });
      return;
    }
    this.put(next);
  }

  private put(e: RosterEntry): void {
    this.set.put(e);
    // Closed (a Register can still arrive before the mapper's link is): kept in memory, no timer armed.
    if (this.closed) return;
    this.gossip?.changed(e.identity);
    this.saver?.touch();
  }
}
