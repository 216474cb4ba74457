/** `metrics: true`: Prometheus metrics of the plugin's mapper and hosted agent at `GET /metrics`. */
import { prometheusMetrics, type PrometheusMetrics } from '@nanite/core';
import type { FastifyInstance } from 'fastify';

/** The `metrics` option of the plugin. */
export interface NaniteMetricsOptions {
  /** Route of the exposition; default `/metrics`. */
  path?: string;
  /**
   * The adapter to serve (e.g. one made with your app's prom-client registry, or one your own
   * `Mapper` / `Agent` instances already use as an observer). Default: a new one.
   */
  metrics?: PrometheusMetrics;
}

/** The adapter the plugin uses for `metrics` (undefined: metrics off). */
export function metricsFor(option: boolean | NaniteMetricsOptions | undefined): PrometheusMetrics | undefined {
  if (!option) return undefined;
  return (option === true ? undefined : option.metrics) ?? prometheusMetrics();
}

/** Adds `GET <path>` serving `metrics`. */
export function addMetricsRoute(fastify: FastifyInstance, metrics: PrometheusMetrics, option: boolean | NaniteMetricsOptions): void {
  const path = (typeof option === 'object' ? option.path : undefined) ?? '/metrics';
  fastify.get(path, async (_request, reply) => {
    const text = await metrics.metrics();
    return reply.type(metrics.contentType).send(text);
  });
}
