/**
 * What the Control Tower charts: per second, each route's requests, errors and p50/p99 latency as
 * the tower's mapper saw them, and each agent's load. Attached to the mapper as an observer
 * (`mapper.observe()`), bounded in routes, agents and seconds kept.
 */
import type { MapperObservation, Observer, RequestScope, RequestStart } from '@nanite/core';
import type { AgentRow } from './agent-board';

/**
 * One route during one second, as a tuple (the history goes to every page that connects, so it is
 * kept small): `[route, requests completed, of which failed, p50 ms, p99 ms]`, the percentiles of
 * that second's requests. Seconds without requests for a route leave it out.
 */
export type RoutePoint = [route: string, count: number, errors: number, p50: number, p99: number];

/** One agent at the end of one second: `[identity, 1 up / 0 down, in flight (its last ping), this mapper's pending, load]`. */
export type AgentPoint = [identity: string, up: 0 | 1, inFlight: number, pending: number, load: number];

/** One second of history (what the `traffic` event carries; `traffic:history` sends the seconds kept). */
export interface TrafficTick {
  /** End of the second (server epoch ms). */
  t: number;
  routes: RoutePoint[];
  agents: AgentPoint[];
}

/** Limits of a {@link TrafficHistory}. */
export interface TrafficHistoryOptions {
  /** Seconds kept (and sent to a page that connects). */
  window: number;
  /** Routes charted by name; the rest are summed as `other`. */
  maxRoutes: number;
  /** Agents charted. */
  maxAgents: number;
  /** The agents now (up and lately down). */
  rows: () => AgentRow[];
}

// Latency buckets: upper bounds growing by 10% from 50 µs to past 10 minutes (~170 buckets),
// so a percentile read from them is within 10% of the true one.
const BOUNDS: number[] = [];
for (let b = 0.05; b < 700_000; b *= 1.1) BOUNDS.push(b);

function bucketOf(ms: number): number {
  let lo = 0;
  let hi = BOUNDS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (BOUNDS[mid]! >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

class RouteSecond {
  count = 0;
  errors = 0;
  readonly buckets = new Uint32Array(BOUNDS.length);

  add(ms: number, failed: boolean): void {
    this.count++;
    if (failed) this.errors++;
    this.buckets[bucketOf(ms)]!++;
  }

  point(route: string): RoutePoint {
    return [route, this.count, this.errors, this.quantile(0.5), this.quantile(0.99)];
  }

  private quantile(q: number): number {
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return Math.round(BOUNDS[i]! * 1000) / 1000;
    }
    return BOUNDS[BOUNDS.length - 1]!;
  }
}

/** Per-second traffic and load history; `tick()` closes a second. */
export class TrafficHistory implements Observer {
  private current = new Map<string, RouteSecond>();
  /** Routes seen so far (charted by name up to maxRoutes). */
  private readonly named = new Set<string>();
  private readonly ticks: TrafficTick[] = [];

  constructor(private readonly options: TrafficHistoryOptions) {}

  /** @internal Observer: records each request's outcome and latency into the current second. */
  observeMapper(): MapperObservation {
    return {
      begin: (start: RequestStart): RequestScope | undefined => {
        if (start.kind !== 'request') return undefined;
        const t0 = performance.now();
        return { end: (error) => this.record(start.route, performance.now() - t0, error !== undefined) };
      },
      close: () => undefined,
    };
  }

  /** Closes the current second: returns its tick (also kept in the history). */
  tick(now: number): TrafficTick {
    const seconds = this.current;
    this.current = new Map();
    const routes = [...seconds].map(([route, second]) => second.point(route));
    const agents = this.options.rows().slice(0, this.options.maxAgents).map((a): AgentPoint => [a.identity, a.state === 'up' ? 1 : 0, a.inFlight, a.pending, Math.round(a.load * 1000) / 1000]);
    const tick: TrafficTick = { t: now, routes, agents };
    this.ticks.push(tick);
    if (this.ticks.length > this.options.window) this.ticks.shift();
    return tick;
  }

  /** The seconds kept, oldest first. */
  history(): TrafficTick[] {
    return [...this.ticks];
  }

  private record(route: string, ms: number, failed: boolean): void {
    let key = route;
    if (!this.named.has(route)) {
      if (this.named.size < this.options.maxRoutes) this.named.add(route);
      else key = 'other';
    }
    let second = this.current.get(key);
    if (!second) this.current.set(key, (second = new RouteSecond()));
    second.add(ms, failed);
  }
}
