/**
 * `--metrics-port`: a tiny HTTP server answering `GET /metrics` with the Prometheus exposition of
 * the agent's or mapper's metrics (docs/observability.md). Nothing else is served.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prometheusMetrics, type PrometheusMetrics } from '@nanite/core';
import { InvalidArgumentError, Option } from 'commander';

/** A listening metrics endpoint. */
export interface MetricsServer {
  readonly metrics: PrometheusMetrics;
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** Stops listening (idempotent). */
  close(): Promise<void>;
}

/** `--metrics-port <port>` (0: any free port, logged at start). */
export function metricsPortOption(): Option {
  return new Option('--metrics-port <port>', 'serve Prometheus metrics at http://<metrics-host>:<port>/metrics (0: any free port)').argParser((value: string) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n > 65_535) throw new InvalidArgumentError('expected a port number (0-65535).');
    return n;
  });
}

/** `--metrics-host <host>`. */
export function metricsHostOption(): Option {
  return new Option('--metrics-host <host>', 'address the metrics endpoint listens on (default: 127.0.0.1; 0.0.0.0 for every interface)');
}

/** Starts serving `metrics` (a fresh {@link PrometheusMetrics} when omitted). */
export async function startMetricsServer(port: number, host = '127.0.0.1', metrics: PrometheusMetrics = prometheusMetrics()): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    metrics.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    metrics,
    url: `http://${shown}:${address.port}/metrics`,
    close: () => (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })),
  };
}
