/** Options of the mapper's roster. */
import { checkIntegerOption, invalidOption } from '../../internal/option-checks';
import { MAX_TIMER_DELAY } from '../../internal/timers';
import { DEFAULT_PHI_DETECTOR_OPTIONS, type PhiDetectorOptions } from './phi-detector';
import type { AgentMeta, RosterState } from './roster-entry';
import type { RosterStore } from './roster-store';

/** Defaults of {@link RosterOptions}. */
export const DEFAULT_ROSTER_OPTIONS = {
  maxEntries: 10_000,
  tombstoneTtl: 7 * 24 * 3_600_000,
  gossipInterval: 1_000,
  deltaDelay: 50,
  detectInterval: 100,
  saveDelay: 1_000,
} as const;

/** How the mapper keeps its roster of every agent ever registered. */
export interface RosterOptions {
  /**
   * Where the roster survives restarts: a file path (`./nanite-roster.json`), a `redis://` URL
   * (needs the `ioredis` package) or a {@link RosterStore}. Default: memory only.
   */
  store?: string | RosterStore;
  /** Key prefix in Redis. Default `nanite:roster:`. */
  redisPrefix?: string;
  /** Most entries (agents) kept; past it the longest-removed, then the longest-down, are evicted. Default 10 000. */
  maxEntries?: number;
  /** How long (ms) a removed agent's tombstone is kept (and gossiped); expiry looks once a second to once a minute. Default 7 days. */
  tombstoneTtl?: number;
  /** Gossip digest period (ms). Default 1 000. */
  gossipInterval?: number;
  /** Delay batching local changes into one gossip delta (ms). Default 50. */
  deltaDelay?: number;
  /** How often the failure detector looks (ms). Default 100. */
  detectInterval?: number;
  /** Debounce of saves to the store (ms). Default 1 000. */
  saveDelay?: number;
  /** Failure-detector thresholds. */
  detector?: PhiDetectorOptions;
  /**
   * The physical clock of the roster's hybrid logical clock (epoch ms). Tests inject skew here.
   * Fractions are floored; a clock that throws or returns no finite, non-negative number is
   * replaced by `Date.now()` (logged once per burst). Default `Date.now`.
   */
  clock?: () => number;
  /** Gossip with other mappers through the transport (when it can). Default true. */
  gossip?: boolean;
}

/** {@link RosterOptions} with defaults applied (what the roster itself reads). */
export type ResolvedRosterOptions = Required<Omit<RosterOptions, 'store' | 'redisPrefix' | 'detector' | 'clock'>>;

function invalid(option: string, expected: string, value: unknown): never {
  return invalidOption(`roster.${option}`, expected, value);
}

function integer(option: string, value: unknown, min: number, max: number): void {
  if (value !== undefined) checkIntegerOption(`roster.${option}`, value, min, max);
}

function positive(option: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) invalid(option, 'a positive number', value);
}

/**
 * Checks every option (`NANITE_ERR_INVALID_ARGUMENT` naming it, at the mapper's construction):
 * unchecked, maxEntries -1 refused every agent, detectInterval 0 ticked every millisecond, a
 * tombstoneTtl of NaN kept tombstones forever, and a clock or store of the wrong type threw a raw
 * TypeError later.
 */
function checkRosterOptions(o: RosterOptions): void {
  if (typeof o !== 'object' || o === null) invalid('', 'an object or false', o);
  integer('maxEntries', o.maxEntries, 1, Number.MAX_SAFE_INTEGER);
  for (const t of ['tombstoneTtl', 'gossipInterval', 'detectInterval'] as const) integer(t, o[t], 1, MAX_TIMER_DELAY);
  for (const t of ['deltaDelay', 'saveDelay'] as const) integer(t, o[t], 0, MAX_TIMER_DELAY);
  if (o.clock !== undefined && typeof o.clock !== 'function') invalid('clock', 'a function returning epoch ms', o.clock);
  if (o.gossip !== undefined && typeof o.gossip !== 'boolean') invalid('gossip', 'a boolean', o.gossip);
  if (o.redisPrefix !== undefined && typeof o.redisPrefix !== 'string') invalid('redisPrefix', 'a string', o.redisPrefix);
  const store = o.store as unknown;
  if (store !== undefined && typeof store !== 'string') {
    const st = store as Partial<Record<keyof RosterStore, unknown>> | null;
    if (typeof st !== 'object' || st === null || typeof st.load !== 'function' || typeof st.save !== 'function' || typeof st.close !== 'function') invalid('store', 'a file path, a redis:// URL or a RosterStore (load, save, close)', store);
  }
  const det = o.detector as unknown;
  if (det !== undefined) {
    if (typeof det !== 'object' || det === null) invalid('detector', 'an object', det);
    const d = det as PhiDetectorOptions;
    positive('detector.suspectPhi', d.suspectPhi);
    positive('detector.downPhi', d.downPhi);
    positive('detector.minStdRatio', d.minStdRatio);
    integer('detector.window', d.window, 2, 100_000);
    // Against the default of the one not given too: suspectPhi 10 alone (downPhi 8) would go down before suspect.
    const suspectPhi = d.suspectPhi ?? DEFAULT_PHI_DETECTOR_OPTIONS.suspectPhi;
    const downPhi = d.downPhi ?? DEFAULT_PHI_DETECTOR_OPTIONS.downPhi;
    if (downPhi < suspectPhi) {
      if (d.downPhi === undefined) invalid('detector.suspectPhi', `at most downPhi (default ${downPhi})`, suspectPhi);
      invalid('detector.downPhi', d.suspectPhi === undefined ? `at least suspectPhi (default ${suspectPhi})` : `at least suspectPhi (${suspectPhi})`, downPhi);
    }
  }
}

/** Checks the options and applies the defaults. */
export function resolveRosterOptions(o: RosterOptions): ResolvedRosterOptions {
  checkRosterOptions(o);
  const d = DEFAULT_ROSTER_OPTIONS;
  return {
    maxEntries: o.maxEntries ?? d.maxEntries, tombstoneTtl: o.tombstoneTtl ?? d.tombstoneTtl, gossipInterval: o.gossipInterval ?? d.gossipInterval,
    deltaDelay: o.deltaDelay ?? d.deltaDelay, detectInterval: o.detectInterval ?? d.detectInterval, saveDelay: o.saveDelay ?? d.saveDelay, gossip: o.gossip ?? true,
  };
}

/** One agent as the roster shows it. */
export interface RosterAgent extends AgentMeta {
  identity: string;
  state: RosterState;
  incarnation: number;
  /** Epoch ms (0: never). */
  firstSeen: number;
  /** When it last came up (epoch ms; 0: never). */
  lastUp: number;
  /** When it last went down (epoch ms; 0: never). */
  lastDown: number;
  /** When it was removed (epoch ms of the remover's clock). */
  removedAt?: number;
  /** The mapper that wrote its current state. */
  by: string;
}

/** Counters of the roster. */
export interface RosterStats {
  entries: number;
  /** Entries refused because the roster held `maxEntries` and nothing could be evicted. */
  refused: number;
  /** Gossip messages dropped as malformed. */
  malformedGossip: number;
  gossipSent: number;
  gossipBytesSent: number;
  gossipReceived: number;
  /** Syncs a peer asked for (its digest differed, or it wanted buckets) past 4 per gossip interval (the next digests repair what they would have): not answered. */
  syncsRefused: number;
  peers: number;
  /** Stalls of this mapper's event loop the failure detector discounted. */
  stalls: number;
  /** Saves to the store that failed. */
  saveFailures: number;
}
