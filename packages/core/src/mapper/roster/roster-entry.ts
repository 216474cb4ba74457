/**
 * One roster entry and its merge: a join-semilattice, so entries merged in any order, any number
 * of times, end equal on every mapper.
 *
 * An entry is (incarnation, body): a higher incarnation (an agent that rejoined after being
 * removed) replaces the whole body; within one incarnation the liveness and the metadata are
 * last-writer-wins registers ordered by hybrid-logical-clock stamps, and removal is a tombstone
 * that wins over any liveness (remove-wins). The first-seen / last-up / last-down times join by
 * min / max, independently.
 */
import { compareStamps, maxStamp, type HlcStamp } from './hlc';

/** Liveness of an agent as mappers write it. */
export type Liveness = 'joining' | 'up' | 'suspect' | 'down';

/** What the roster shows: liveness, `removed`, or `unknown-since-restart` (loaded from the store, not heard of since). */
export type RosterState = Liveness | 'removed' | 'unknown-since-restart';

/** Every {@link RosterState}, in lifecycle order. */
export const ROSTER_STATES: readonly RosterState[] = ['joining', 'up', 'suspect', 'down', 'removed', 'unknown-since-restart'];

/**
 * Highest incarnation: a removed agent at it cannot rejoin (a counter read from gossip or a store
 * must stay a safe integer after the bump, or peers and the store refuse the entry).
 */
export const MAX_INCARNATION = 2 ** 31 - 1;

/** What the roster keeps of an agent besides its liveness. */
export interface AgentMeta {
  routes: readonly string[];
  tags: readonly string[];
  /** The agent's ping interval (ms), when known. */
  pingInterval?: number;
  /** Where the agent listens, when its transport tells (e.g. an SP address). */
  endpoint?: string;
  /** The agent's software version, when it says. */
  version?: string;
  /** Certificate subject, when the agent is authenticated. */
  subject?: string;
}

/** One agent in the roster (a CRDT state; plain JSON so it can cross the wire and sit in a file). */
export interface RosterEntry {
  readonly identity: string;
  /** Bumped when a removed agent rejoins on purpose. */
  readonly incarnation: number;
  readonly live: { readonly state: Liveness; readonly at: HlcStamp };
  readonly meta: { readonly value: AgentMeta; readonly at: HlcStamp };
  /** Set once the agent was removed (in this incarnation). */
  readonly removed?: HlcStamp;
  /** Epoch ms (0: never). Joined by min. */
  readonly firstSeen: number;
  /** Epoch ms (0: never). Joined by max. */
  readonly lastUp: number;
  /** Epoch ms (0: never). Joined by max. */
  readonly lastDown: number;
}

/** The state an entry shows (before the local `unknown-since-restart` overlay). */
export function stateOf(e: RosterEntry): Liveness | 'removed' {
  return e.removed ? 'removed' : e.live.state;
}

function minKnown(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

/** Equal stamps written by one node are one write; a tie-break on content keeps merge deterministic anyway. */
function lww<T extends { at: HlcStamp }>(a: T, b: T): T {
  const c = compareStamps(a.at, b.at);
  if (c !== 0) return c > 0 ? a : b;
  return JSON.stringify(a) >= JSON.stringify(b) ? a : b;
}

/** The latest of an entry's stamps (liveness, metadata, tombstone). */
export function latestStamp(e: RosterEntry): HlcStamp {
  const at = maxStamp(e.live.at, e.meta.at);
  return e.removed ? maxStamp(at, e.removed) : at;
}

/** The join of two entries of the same identity. */
export function mergeEntries(a: RosterEntry, b: RosterEntry): RosterEntry {
  const times = { firstSeen: minKnown(a.firstSeen, b.firstSeen), lastUp: Math.max(a.lastUp, b.lastUp), lastDown: Math.max(a.lastDown, b.lastDown) };
  if (a.incarnation !== b.incarnation) {
    const top = a.incarnation > b.incarnation ? a : b;
    return { ...top, ...times };
  }
  const removed = a.removed && b.removed ? maxStamp(a.removed, b.removed) : (a.removed ?? b.removed);
  return {
    identity: a.identity,
    incarnation: a.incarnation,
    live: lww(a.live, b.live),
    meta: lww(a.meta, b.meta),
    ...(removed ? { removed } : {}),
    ...times,
  };
}

/** A local write on `cur` (or a new entry): state and/or metadata stamped `at`, first/last times kept. */
export function nextEntry(identity: string, cur: RosterEntry | undefined, w: { state?: Liveness; meta?: AgentMeta; now: number }, at: HlcStamp): RosterEntry {
  const base: RosterEntry = cur ?? {
    identity, incarnation: 0, live: { state: 'joining', at }, meta: { value: w.meta ?? { routes: [], tags: [] }, at }, firstSeen: w.now, lastUp: 0, lastDown: 0,
  };
  const cameUp = (w.state === 'up' || w.state === 'joining') && (!cur || (cur.live.state !== 'up' && cur.live.state !== 'joining'));
  const wentDown = w.state === 'down' && cur?.live.state !== 'down';
  return {
    ...base,
    ...(w.state ? { live: { state: w.state, at } } : {}),
    ...(w.meta ? { meta: { value: w.meta, at } } : {}),
    lastUp: cameUp ? w.now : base.lastUp,
    lastDown: wentDown ? w.now : base.lastDown,
  };
}

/** A string that changes whenever the entry does (for digests and "did the merge change anything"). */
export function versionOf(e: RosterEntry): string {
  const s = (t: HlcStamp | undefined): string => (t ? `${t.wall}.${t.logical}.${t.node}` : '-');
  return `${e.identity}|${e.incarnation}|${e.live.state}@${s(e.live.at)}|${s(e.meta.at)}|${s(e.removed)}|${e.firstSeen}|${e.lastUp}|${e.lastDown}`;
}
