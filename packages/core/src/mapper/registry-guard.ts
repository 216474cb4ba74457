/**
 * Sane ranges for what a Register or Ping carries. Any peer on the broker can send heartbeats, so
 * the registry never trusts their numbers or sizes: a `pingInterval` of 2^53−1 would keep a record
 * forever, a status of −1e300 would draw all traffic, a million routes would eat memory.
 */
import type { PingPacket, RegisterPacket, RouteInfo } from '../protocol/packets';

/** The ranges heartbeats are clamped to. */
export const REGISTRY_LIMITS = {
  minPingInterval: 100,
  maxPingInterval: 5 * 60_000,
  minStatus: 0,
  maxStatus: 1e6,
  maxConcurrency: 100_000,
  maxInFlight: 1_000_000,
  maxRoutes: 10_000,
  maxRouteLength: 512,
  maxTags: 100,
  maxTagLength: 256,
} as const;

const L = REGISTRY_LIMITS;

/** The values a Register carries, clamped; `clamped` names what was out of range. */
export interface SaneRegister {
  routes: RouteInfo[];
  tags: string[];
  status: number;
  concurrency: number;
  pingInterval: number;
  clamped: string[];
}

function clamp(v: number, min: number, max: number, name: string, clamped: string[]): number {
  if (v >= min && v <= max) return v;
  clamped.push(name);
  return v < min ? min : max;
}

function strings<T>(items: readonly T[], max: number, maxLength: number, text: (t: T) => string, name: string, clamped: string[]): T[] {
  let out = items.length > max ? items.slice(0, max) : (items as T[]);
  if (out !== items) clamped.push(`${name} count`);
  if (out.some((t) => text(t).length > maxLength)) {
    out = out.filter((t) => text(t).length <= maxLength);
    clamped.push(`${name} length`);
  }
  return out;
}

/** Clamps a (validated) Register to {@link REGISTRY_LIMITS}; over-long routes and tags are dropped. */
export function saneRegister(p: RegisterPacket): SaneRegister {
  const clamped: string[] = [];
  return {
    routes: strings(p.routes, L.maxRoutes, L.maxRouteLength, (r) => r.route, 'routes', clamped),
    tags: strings(p.tags, L.maxTags, L.maxTagLength, (t) => t, 'tags', clamped),
    status: clamp(p.status, L.minStatus, L.maxStatus, 'status', clamped),
    concurrency: clamp(p.concurrency, 1, L.maxConcurrency, 'concurrency', clamped),
    pingInterval: clamp(p.pingInterval, L.minPingInterval, L.maxPingInterval, 'pingInterval', clamped),
    clamped,
  };
}

/** Clamps a (validated) Ping's numbers; `clamped` names what was out of range. */
export function sanePing(p: PingPacket): { status: number; inFlight: number; clamped: string[] } {
  const clamped: string[] = [];
  return {
    status: clamp(p.status, L.minStatus, L.maxStatus, 'status', clamped),
    inFlight: clamp(p.inFlight, 0, L.maxInFlight, 'inFlight', clamped),
    clamped,
  };
}
