/**
 * Prometheus metrics through prom-client (an optional peer dependency, loaded when this adapter is
 * created). Pass one instance to every agent and mapper of the process and scrape `registry`.
 *
 * ```ts
 * const metrics = prometheusMetrics();              // or { registry: appRegistry } to join yours
 * const mapper = new Mapper({ transport, observers: [metrics] });
 * http.get('/metrics', async () => metrics.metrics());
 * ```
 */
import { trusted } from './guarded-observation';
import type * as PromClient from 'prom-client';
import { loadPeer } from './load-peer';
import type { AgentObservation, AgentSource, JobScope, JobStart, MapperObservation, MapperSource, Observer, RequestScope, RequestStart } from './observer';
import { registerScrapeMetrics, type ScrapeSources } from './prometheus-collect';
import { NaniteError } from '../errors';
import { RequestMetrics, type RouteCell } from './request-metrics';
import { TransportWatch } from './transport-watch';

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** The registry to add Nanite's metrics to (e.g. your app's); default: a new one. */
  registry?: PromClient.Registry;
  /** Distinct routes labelled by name; the rest are counted as `other`. Default 100. */
  maxRoutes?: number;
  /** Agents per mapper given their own series (`nanite_mapper_agent_*`); the rest are summed as `other`. Default 100. */
  maxAgents?: number;
  /** Latency histogram buckets, in seconds. */
  buckets?: number[];
}

/** Defaults of {@link PrometheusMetricsOptions}. */
export const DEFAULT_PROMETHEUS_OPTIONS = {
  maxRoutes: 100,
  maxAgents: 100,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
} as const;

/** The Prometheus adapter: an {@link Observer} plus the registry to scrape. */
export class PrometheusMetrics implements Observer {
  /** Holds every Nanite metric; scrape it (or join it to yours). */
  readonly registry: PromClient.Registry;
  private readonly sources: ScrapeSources;
  private readonly mapperRequests: RequestMetrics;
  private readonly agentRequests: RequestMetrics;

  constructor(options: PrometheusMetricsOptions = {}) {
    const prom = loadPeer<typeof PromClient>('prom-client', 'Prometheus metrics');
    this.registry = options.registry ?? new prom.Registry();
    const buckets = checkBuckets(options.buckets ?? [...DEFAULT_PROMETHEUS_OPTIONS.buckets]);
    const maxRoutes = checkCount('maxRoutes', options.maxRoutes ?? DEFAULT_PROMETHEUS_OPTIONS.maxRoutes);
    this.sources = { mappers: new Set(), agents: new Set(), transports: new TransportWatch(), maxAgents: checkCount('maxAgents', options.maxAgents ?? DEFAULT_PROMETHEUS_OPTIONS.maxAgents) };
    this.mapperRequests = new RequestMetrics({
      requests: ['nanite_mapper_requests_total', 'Requests and pushes sent by mappers, by route, kind and outcome (ok or a NANITE_ERR_* code)'],
      duration: ['nanite_mapper_request_duration_seconds', 'End-to-end latency of requests as their mapper saw it, from the call to the result or error (pushes: until sent)'],
    }, buckets, maxRoutes);
    this.agentRequests = new RequestMetrics({
      requests: ['nanite_agent_requests_total', 'Requests and pushes whose handler ran on agents, by route, kind and outcome'],
      duration: ['nanite_agent_handler_duration_seconds', 'Handler time on agents'],
      wait: ['nanite_agent_queue_wait_seconds', 'Time requests waited in the agent for a free slot before their handler started'],
    }, buckets, maxRoutes);
    for (const m of [...this.mapperRequests.metrics(), ...this.agentRequests.metrics()]) this.registry.registerMetric(m as unknown as PromClient.Metric);
    registerScrapeMetrics(prom, [this.registry], this.sources);
  }

  /** The exposition text of the registry (what `GET /metrics` serves). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` of {@link PrometheusMetrics.metrics}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** @internal Observer */
  observeMapper(source: MapperSource): MapperObservation {
    this.sources.mappers.add(source);
    const unwatch = this.sources.transports.watch(source.transport);
    const requests = this.mapperRequests;
    return trusted({
      begin: (start: RequestStart): RequestScope => {
        return new TimedScope(requests, requests.cell(start.kind, start.route));
      },
      close: () => {
        this.sources.mappers.delete(source);
        unwatch();
      },
    });
  }

  /** @internal Observer */
  observeAgent(source: AgentSource): AgentObservation {
    this.sources.agents.add(source);
    const unwatch = this.sources.transports.watch(source.transport);
    const requests = this.agentRequests;
    return trusted({
      begin: (start: JobStart): JobScope => {
        const cell = requests.cell(start.kind, start.route);
        requests.waited(cell, start.queuedMs / 1000);
        return new TimedScope(requests, cell);
      },
      close: () => {
        this.sources.agents.delete(source);
        unwatch();
      },
    });
  }
}

/** Times one request or handler into its route's cell (a class: one small object per request). */
class TimedScope implements RequestScope, JobScope {
  private readonly t0 = performance.now();

  constructor(
    private readonly requests: RequestMetrics,
    private readonly cell: RouteCell,
  ) {}

  end(error: NaniteError | undefined): void {
    this.requests.record(this.cell, error?.code ?? 'ok', (performance.now() - this.t0) / 1000);
  }
}

function invalidOption(message: string): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message });
}

/** Histogram bounds, strictly ascending finite positive seconds (observe() walks them in order; unsorted ones filled the wrong buckets). */
function checkBuckets(b: unknown): number[] {
  if (!Array.isArray(b) || b.length === 0 || !b.every((x, i) => typeof x === 'number' && Number.isFinite(x) && x > 0 && (i === 0 || x > (b[i - 1] as number)))) {
    throw invalidOption('buckets must be a non-empty array of finite positive seconds in ascending order');
  }
  return [...(b as number[])];
}

function checkCount(name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1_000_000) throw invalidOption(`${name} must be an integer from 1 to 1000000`);
  return n;
}

/** A {@link PrometheusMetrics}; throws `NANITE_ERR_MISSING_DEPENDENCY` when prom-client is not installed. */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  return new PrometheusMetrics(options);
}
