/**
 * Reading roster entries from outside (a peer's gossip, a file, Redis): nothing is trusted, every
 * field is checked and bounded, and what does not fit is refused whole (the caller counts it).
 */
import type { HlcStamp } from './hlc';
import { MAX_INCARNATION, type AgentMeta, type Liveness, type RosterEntry } from './roster-entry';
import { REGISTRY_LIMITS } from '../registry-guard';

const LIVENESS: ReadonlySet<string> = new Set<Liveness>(['joining', 'up', 'suspect', 'down']);
const MAX_ID = 512;
const MAX_TEXT = 1_024;
/**
 * Highest logical counter of a stamp from outside: far above any real burst of writes within one
 * millisecond, far below 2^53 (a counter there stops increasing, and every stamp after it is refused).
 */
const MAX_LOGICAL = 2 ** 31 - 1;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * A stamp from outside, or undefined; also undefined past `maxWall` (our clock's horizon: a stamp
 * far in the future would win every merge, and a tombstone stamped there would never expire).
 */
export function parseStamp(v: unknown, maxWall = Number.MAX_SAFE_INTEGER): HlcStamp | undefined {
  if (!isObj(v)) return undefined;
  const { wall, logical, node } = v;
  if (!isTime(wall) || wall > maxWall || !isTime(logical) || logical > MAX_LOGICAL || !isText(node, MAX_ID)) return undefined;
  return { wall, logical, node };
}

function strings(v: unknown, maxItems: number, maxLen: number): string[] | undefined {
  if (!Array.isArray(v) || v.length > maxItems) return undefined;
  return v.every((s) => isText(s, maxLen)) ? (v as string[]) : undefined;
}

function parseMeta(v: unknown): AgentMeta | undefined {
  if (!isObj(v)) return undefined;
  const routes = strings(v.routes, REGISTRY_LIMITS.maxRoutes, REGISTRY_LIMITS.maxRouteLength);
  const tags = strings(v.tags, REGISTRY_LIMITS.maxTags, REGISTRY_LIMITS.maxTagLength);
  if (!routes || !tags) return undefined;
  const meta: { -readonly [K in keyof AgentMeta]: AgentMeta[K] } = { routes, tags };
  if (v.pingInterval !== undefined) {
    // The registry's range: a peer's 9e15 would keep the detector from ever judging the agent down.
    const p = v.pingInterval;
    if (!isTime(p) || p < REGISTRY_LIMITS.minPingInterval || p > REGISTRY_LIMITS.maxPingInterval) return undefined;
    meta.pingInterval = p;
  }
  for (const k of ['endpoint', 'version', 'subject'] as const) {
    if (v[k] === undefined) continue;
    if (!isText(v[k], MAX_TEXT)) return undefined;
    meta[k] = v[k];
  }
  return meta;
}

/**
 * An entry from outside, checked field by field; undefined when anything is off, including a stamp
 * past `maxWall` (see {@link parseStamp}) or an incarnation past {@link MAX_INCARNATION}.
 */
export function parseEntry(v: unknown, maxWall = Number.MAX_SAFE_INTEGER): RosterEntry | undefined {
  if (!isObj(v) || !isText(v.identity, MAX_ID) || !isTime(v.incarnation) || v.incarnation > MAX_INCARNATION) return undefined;
  if (!isTime(v.firstSeen) || !isTime(v.lastUp) || !isTime(v.lastDown)) return undefined;
  if (!isObj(v.live) || !isObj(v.meta)) return undefined;
  const state = v.live.state;
  const liveAt = parseStamp(v.live.at, maxWall);
  const metaAt = parseStamp(v.meta.at, maxWall);
  const value = parseMeta(v.meta.value);
  if (typeof state !== 'string' || !LIVENESS.has(state) || !liveAt || !metaAt || !value) return undefined;
  let removed: HlcStamp | undefined;
  if (v.removed !== undefined) {
    removed = parseStamp(v.removed, maxWall);
    if (!removed) return undefined;
  }
  return {
    identity: v.identity,
    incarnation: v.incarnation,
    live: { state: state as Liveness, at: liveAt },
    meta: { value, at: metaAt },
    ...(removed ? { removed } : {}),
    firstSeen: v.firstSeen,
    lastUp: v.lastUp,
    lastDown: v.lastDown,
  };
}
