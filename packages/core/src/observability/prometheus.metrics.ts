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
import type * as PromClient from 'prom-client';
import type { NaniteError } from '../errors';
import { loadPeer } from './load-peer';
import type { AgentObservation, AgentSource, JobScope, JobStart, MapperObservation, MapperSource, Observer, RequestScope, RequestStart } from './observer';
import { registerScrapeMetrics, type ScrapeSources } from './prometheus-collect';
import { BoundedLabels } from './route-labels';
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

type Kind = 'request' | 'push';

/** Children of one route's metrics, cached so the hot path does no label hashing. */
interface RouteSeries {
  duration: { ok: PromClient.Histogram.Internal<string>; error: PromClient.Histogram.Internal<string> };
  wait: PromClient.Histogram.Internal<string> | undefined;
  codes: Map<string, PromClient.Counter.Internal>;
  route: string;
}

/** The Prometheus adapter: an {@link Observer} plus the registry to scrape. */
export class PrometheusMetrics implements Observer {
  /** Holds every Nanite metric; scrape it (or join it to yours). */
  readonly registry: PromClient.Registry;
  private readonly sources: ScrapeSources;
  private readonly mapperRoutes: Record<Kind, BoundedLabels<RouteSeries>>;
  private readonly agentRoutes: Record<Kind, BoundedLabels<RouteSeries>>;

  constructor(options: PrometheusMetricsOptions = {}) {
    const prom = loadPeer<typeof PromClient>('prom-client', 'Prometheus metrics');
    this.registry = options.registry ?? new prom.Registry();
    const registers = [this.registry];
    const buckets = options.buckets ?? [...DEFAULT_PROMETHEUS_OPTIONS.buckets];
    const maxRoutes = options.maxRoutes ?? DEFAULT_PROMETHEUS_OPTIONS.maxRoutes;
    this.sources = { mappers: new Set(), agents: new Set(), transports: new TransportWatch(), maxAgents: options.maxAgents ?? DEFAULT_PROMETHEUS_OPTIONS.maxAgents };

    const mapperRequests = new prom.Counter({ name: 'nanite_mapper_requests_total', help: 'Requests and pushes sent by mappers, by route, kind and outcome (ok or a NANITE_ERR_* code)', labelNames: ['route', 'kind', 'code'], registers });
    const mapperDuration = new prom.Histogram({ name: 'nanite_mapper_request_duration_seconds', help: 'End-to-end latency of requests as their mapper saw it (from the call to the result or error)', labelNames: ['route', 'outcome'], buckets, registers });
    const agentRequests = new prom.Counter({ name: 'nanite_agent_requests_total', help: 'Requests and pushes whose handler ran on agents, by route, kind and outcome', labelNames: ['route', 'kind', 'code'], registers });
    const agentDuration = new prom.Histogram({ name: 'nanite_agent_handler_duration_seconds', help: 'Handler time on agents', labelNames: ['route', 'outcome'], buckets, registers });
    const agentWait = new prom.Histogram({ name: 'nanite_agent_queue_wait_seconds', help: 'Time requests waited in the agent for a free slot before their handler started', labelNames: ['route'], buckets, registers });

    const series = (requests: PromClient.Counter<string>, duration: PromClient.Histogram<string>, wait: PromClient.Histogram<string> | undefined, kind: Kind) =>
      new BoundedLabels<RouteSeries>(maxRoutes, (route) => ({
        route,
        duration: { ok: duration.labels(route, 'ok'), error: duration.labels(route, 'error') },
        wait: wait?.labels(route),
        codes: new Map([['ok', requests.labels(route, kind, 'ok')]]),
      }));
    const code = (s: RouteSeries, requests: PromClient.Counter<string>, kind: Kind, error: NaniteError | undefined) => {
      const c = error?.code ?? 'ok';
      let child = s.codes.get(c);
      // Codes come from the error table (unknown remote codes are mapped on decode), so this map stays small.
      if (!child) s.codes.set(c, (child = requests.labels(s.route, kind, c)));
      child.inc();
    };
    this.countMapper = (s, kind, error) => code(s, mapperRequests, kind, error);
    this.countAgent = (s, kind, error) => code(s, agentRequests, kind, error);
    this.mapperRoutes = { request: series(mapperRequests, mapperDuration, undefined, 'request'), push: series(mapperRequests, mapperDuration, undefined, 'push') };
    this.agentRoutes = { request: series(agentRequests, agentDuration, agentWait, 'request'), push: series(agentRequests, agentDuration, agentWait, 'push') };
    registerScrapeMetrics(prom, registers, this.sources);
  }

  private readonly countMapper: (s: RouteSeries, kind: Kind, error: NaniteError | undefined) => void;
  private readonly countAgent: (s: RouteSeries, kind: Kind, error: NaniteError | undefined) => void;

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
    return {
      begin: (start: RequestStart): RequestScope => {
        const s = this.mapperRoutes[start.kind].get(start.route);
        const t0 = performance.now();
        return {
          end: (error) => {
            this.countMapper(s, start.kind, error);
            if (start.kind === 'request') (error ? s.duration.error : s.duration.ok).observe((performance.now() - t0) / 1000);
          },
        };
      },
      close: () => {
        this.sources.mappers.delete(source);
        unwatch();
      },
    };
  }

  /** @internal Observer */
  observeAgent(source: AgentSource): AgentObservation {
    this.sources.agents.add(source);
    const unwatch = this.sources.transports.watch(source.transport);
    return {
      begin: (start: JobStart): JobScope => {
        const s = this.agentRoutes[start.kind].get(start.route);
        s.wait!.observe(start.queuedMs / 1000);
        const t0 = performance.now();
        return {
          end: (error) => {
            this.countAgent(s, start.kind, error);
            (error ? s.duration.error : s.duration.ok).observe((performance.now() - t0) / 1000);
          },
        };
      },
      close: () => {
        this.sources.agents.delete(source);
        unwatch();
      },
    };
  }
}

/** A {@link PrometheusMetrics}; throws `NANITE_ERR_MISSING_DEPENDENCY` when prom-client is not installed. */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  return new PrometheusMetrics(options);
}
