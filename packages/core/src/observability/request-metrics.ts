/**
 * Request counters and latency histograms kept as plain numbers on the hot path and handed to
 * prom-client only when scraped. prom-client's own Counter/Histogram hash their label values on
 * every `inc()`/`observe()`: measured (bench/observability.bench.js) that cost a third of an
 * in-process round trip; these cost a map lookup and a bucket search.
 */
import { isNaniteErrorCode } from '../errors';
import { BoundedLabels } from './route-labels';

/** A metric as prom-client's `Registry#registerMetric` reads it (`get()` at scrape time). */
export interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): { name: string; help: string; type: string; aggregator: 'sum'; values: ScrapedValue[] };
  reset(): void;
}

interface ScrapedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** Non-cumulative bucket counts, sum and count of one label set. */
class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(size: number) {
    this.counts = new Float64Array(size);
  }
}

/** One route (and kind) of a {@link RequestMetrics}. */
export class RouteCell {
  readonly codes = new Map<string, number>();
  readonly ok: HistogramCell;
  readonly error: HistogramCell;
  readonly wait: HistogramCell;

  constructor(readonly route: string, readonly kind: string, size: number) {
    this.ok = new HistogramCell(size);
    this.error = new HistogramCell(size);
    this.wait = new HistogramCell(size);
  }
}

/** Names and help of the three metrics of a {@link RequestMetrics}. */
export interface RequestMetricNames {
  requests: [name: string, help: string];
  duration: [name: string, help: string];
  /** Queue wait (agents only). */
  wait?: [name: string, help: string];
}

/** Requests by route, kind and code, with latency (and queue wait) histograms by route and kind. */
export class RequestMetrics {
  private readonly cells: Record<'request' | 'push', BoundedLabels<RouteCell>>;
  private readonly all: RouteCell[] = [];

  constructor(
    private readonly names: RequestMetricNames,
    private readonly buckets: readonly number[],
    maxRoutes: number,
  ) {
    const make = (kind: 'request' | 'push') => new BoundedLabels<RouteCell>(maxRoutes, (route) => {
      const cell = new RouteCell(route, kind, buckets.length);
      this.all.push(cell);
      return cell;
    });
    this.cells = { request: make('request'), push: make('push') };
  }

  /** The cell of a route (bounded: past `maxRoutes`, the `other` cell). */
  cell(kind: 'request' | 'push', route: string): RouteCell {
    return this.cells[kind].get(route);
  }

  /**
   * Counts one outcome (`code`: `ok` or an error code) and its latency in seconds. A code not in
   * the error table (a handler may throw a NaniteError of its own making) counts as
   * `NANITE_ERR_HANDLER`, what its caller receives: the label's values stay bounded.
   */
  record(cell: RouteCell, code: string, seconds: number): void {
    if (code !== 'ok' && !isNaniteErrorCode(code)) code = 'NANITE_ERR_HANDLER';
    cell.codes.set(code, (cell.codes.get(code) ?? 0) + 1);
    this.observe(code === 'ok' ? cell.ok : cell.error, seconds);
  }

  /** A queue wait, in seconds. */
  waited(cell: RouteCell, seconds: number): void {
    this.observe(cell.wait, seconds);
  }

  /** The metrics to register with prom-client. */
  metrics(): ScrapedMetric[] {
    const out = [
      this.metric(this.names.requests, 'counter', () => this.all.flatMap((c) => [...c.codes].map(([code, value]) => ({ labels: { route: c.route, kind: c.kind, code }, value })))),
      this.metric(this.names.duration, 'histogram', () => this.all.flatMap((c) => [
        ...this.histogram(this.names.duration[0], { route: c.route, kind: c.kind, outcome: 'ok' }, c.ok),
        ...this.histogram(this.names.duration[0], { route: c.route, kind: c.kind, outcome: 'error' }, c.error),
      ])),
    ];
    const wait = this.names.wait;
    if (wait) out.push(this.metric(wait, 'histogram', () => this.all.flatMap((c) => this.histogram(wait[0], { route: c.route, kind: c.kind }, c.wait))));
    return out;
  }

  private observe(h: HistogramCell, seconds: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    if (i < b.length) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** A cell in Prometheus' cumulative form (`_bucket` per `le`, `_sum`, `_count`); nothing while empty. */
  private histogram(name: string, labels: Record<string, string>, h: HistogramCell): ScrapedValue[] {
    if (h.count === 0) return [];
    const out: ScrapedValue[] = [];
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += h.counts[i]!;
      out.push({ labels: { ...labels, le }, value: cumulative, metricName: `${name}_bucket` });
    });
    out.push({ labels: { ...labels, le: '+Inf' }, value: h.count, metricName: `${name}_bucket` });
    out.push({ labels, value: h.sum, metricName: `${name}_sum` });
    out.push({ labels, value: h.count, metricName: `${name}_count` });
    return out;
  }

  private metric([name, help]: [string, string], type: 'counter' | 'histogram', values: () => ScrapedValue[]): ScrapedMetric {
    return {
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => ({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => {
        for (const c of this.all) {
          c.codes.clear();
          for (const h of [c.ok, c.error, c.wait]) {
            h.counts.fill(0);
            h.sum = 0;
            h.count = 0;
          }
        }
      },
    };
  }
}
