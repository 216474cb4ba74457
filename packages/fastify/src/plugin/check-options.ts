/**
 * The plugin's own options (`errorHandler`, `metrics`), checked at registration before anything is
 * created: a bad one fails with `NANITE_ERR_INVALID_ARGUMENT` naming it, rather than a 500 on every
 * mapped error (a status Fastify refuses) or an AssertionError from Fastify's router; `mapper` and
 * `agent` only as far as the plugin reads them (an object). What is passed on to @nanite/core (url,
 * transport, security, the mapper and agent options themselves) is checked there.
 */
import { NaniteError } from '@nanite/core';
import { checkErrorHandlerOptions } from '../errors/error-handler';
import type { NanitePluginOptions } from './nanite.options';

/** Throws `NANITE_ERR_INVALID_ARGUMENT` naming the first bad option. */
export function checkPluginOptions(options: NanitePluginOptions): void {
  const { errorHandler, metrics } = options as Record<string, unknown>;
  // Either shape (an instance or options) is an object: a string would be spread into options.
  for (const name of ['mapper', 'agent', 'mapperOptions', 'agentOptions'] as const) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined && !isObject(value)) invalid(`${name} must be ${name.endsWith('Options') ? 'an object of options' : `a ${name === 'mapper' ? 'Mapper' : 'Agent'} or an object of options`}; got ${describe(value)}`);
  }
  if (errorHandler !== undefined && typeof errorHandler !== 'boolean') {
    if (!isObject(errorHandler)) invalid(`errorHandler must be true, false or { statusCodes, exposeData }; got ${describe(errorHandler)}`);
    checkErrorHandlerOptions(errorHandler, 'errorHandler.');
  }
  if (metrics !== undefined && typeof metrics !== 'boolean') {
    if (!isObject(metrics)) invalid(`metrics must be true, false or { path, metrics }; got ${describe(metrics)}`);
    const { path, metrics: adapter } = metrics;
    if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) invalid(`metrics.path must be a path starting with '/' (e.g. '/metrics'); got ${describe(path)}`);
    if (adapter !== undefined && !(isObject(adapter) && typeof adapter['metrics'] === 'function')) {
      invalid(`metrics.metrics must be a prometheusMetrics() adapter of @nanite/core; got ${describe(adapter)}`);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return typeof value === 'function' ? 'a function' : String(value);
}

function invalid(message: string): never {
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `@nanite/fastify: ${message}` });
}
