/**
 * `--metrics-port`: a tiny HTTP server answering `GET /metrics` with the Prometheus exposition of
 * the agent's or mapper's metrics (docs/observability.md). Nothing else is served.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prometheusMetrics, type PrometheusMetrics } from '@nanite/core';
import { Option } from 'commander';
import { checkPort, listenError, parsePort, PORT_HELP } from './port';

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
  return new Option('--metrics-port <port>', `serve Prometheus metrics at http://<metrics-host>:<port>/metrics (${PORT_HELP})`).argParser(parsePort);
}

/** `--metrics-host <host>`. */
export function metricsHostOption(): Option {
  return new Option('--metrics-host <host>', 'address the metrics endpoint listens on (default: 127.0.0.1; 0.0.0.0 for every interface)');
}

/**
 * Starts serving `metrics` (a fresh {@link PrometheusMetrics} when omitted). A port out of range fails
 * with `NANITE_ERR_INVALID_ARGUMENT`, one in use or needing privileges with an error saying so.
 */
export async function startMetricsServer(port: number, host = '127.0.0.1', metrics: PrometheusMetrics = prometheusMetrics()): Promise<MetricsServer> {
  checkPort('--metrics-port', port);
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
  await once(server, 'listening').catch((err: unknown) => {
    throw listenError(err, '--metrics-port', port, host);
  });
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
