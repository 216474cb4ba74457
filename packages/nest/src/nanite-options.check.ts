/**
 * Checks of what users pass to the module and its services: a mistake (a `forRootAsync` factory
 * that returns nothing, `startup: 'Background'`, `startupRetry: { initialDelay: 0 }`, a timeout
 * Node cannot schedule) fails at once with `NANITE_ERR_INVALID_ARGUMENT` naming the option
 * (`data.option`), instead of a raw TypeError later, a silent default or a retry storm.
 */
import { NaniteError } from '@nanite/core';
import type { NaniteModuleOptions, NaniteStartupRetry } from './nanite-module.options';

/** The longest delay Node's timers take (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_DELAY = 0x7fff_ffff;

/** Defaults of {@link NaniteStartupRetry}. */
export const DEFAULT_STARTUP_RETRY = { initialDelay: 250, maxDelay: 5_000 } as const;

/** `NANITE_ERR_INVALID_ARGUMENT` about `option`, showing the value it got. */
export function invalidOption(option: string, message: string, value: unknown): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${option} ${message}, got ${show(value)}`, data: { option, value: show(value) } });
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value).slice(0, 80);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : Object.prototype.toString.call(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks the module options (once, when the module is created); throws `NANITE_ERR_INVALID_ARGUMENT`.
 * Returns the back-off of `startup: 'background'` with its defaults filled in.
 */
export function checkModuleOptions(options: unknown): Required<NaniteStartupRetry> {
  if (!isPlainObject(options)) {
    throw invalidOption('options', 'must be the module options object ({ url } or { transport }, ...); a forRootAsync() factory (or useClass create()) must return it', options);
  }
  const o = options as NaniteModuleOptions;
  if (o.url !== undefined && (typeof o.url !== 'string' || o.url === '')) throw invalidOption('url', 'must be a transport URL string (memory://name, amqp://host)', o.url);
  if ((o.url === undefined) === (o.transport === undefined)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'NaniteModule needs exactly one of `url` and `transport`', data: { option: o.url === undefined ? 'url' : 'transport' } });
  }
  for (const name of ['agent', 'mapper'] as const) {
    const value: unknown = o[name];
    if (value !== undefined && value !== false && !isPlainObject(value)) throw invalidOption(name, `must be ${name} options, ${name === 'agent' ? 'an Agent' : 'a Mapper'} instance or false`, value);
  }
  if (o.startup !== undefined && o.startup !== 'wait' && o.startup !== 'background') throw invalidOption('startup', "must be 'wait' or 'background'", o.startup);
  // An observer of core's kind (observeMapper/observeAgent) that serves metrics(): `{}` made every
  // GET /metrics a 500 and observed nothing.
  const metrics: unknown = o.metrics;
  if (metrics !== undefined && !(isObjectLike(metrics) && typeof (metrics as Record<string, unknown>).metrics === 'function' && typeof (metrics as Record<string, unknown>).observeMapper === 'function')) {
    throw invalidOption('metrics', 'must be a prometheusMetrics() adapter of @nanite/core', metrics);
  }
  return startupRetryOf(o.startupRetry);
}

/**
 * `startupRetry` with its defaults: each delay a whole number of ms in [1, 2^31 - 1] and
 * `initialDelay <= maxDelay`. A delay left out adapts to the other one (`{ initialDelay: 10_000 }`
 * waits 10 s each time; `{ maxDelay: 100 }` starts at 100 ms).
 */
export function startupRetryOf(retry: unknown): Required<NaniteStartupRetry> {
  if (retry === undefined) return { ...DEFAULT_STARTUP_RETRY };
  if (!isPlainObject(retry)) throw invalidOption('startupRetry', 'must be an object ({ initialDelay?, maxDelay? } in ms)', retry);
  const given = retry as NaniteStartupRetry;
  for (const name of ['initialDelay', 'maxDelay'] as const) {
    const value: unknown = given[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_DELAY)) {
      throw invalidOption(`startupRetry.${name}`, `must be a whole number of ms in [1, ${MAX_TIMER_DELAY}]`, value);
    }
  }
  const initialDelay = given.initialDelay ?? Math.min(DEFAULT_STARTUP_RETRY.initialDelay, given.maxDelay ?? DEFAULT_STARTUP_RETRY.initialDelay);
  const maxDelay = given.maxDelay ?? Math.max(DEFAULT_STARTUP_RETRY.maxDelay, initialDelay);
  if (initialDelay > maxDelay) throw invalidOption('startupRetry.initialDelay', `must not exceed startupRetry.maxDelay (${maxDelay})`, initialDelay);
  return { initialDelay, maxDelay };
}

/** The timeout of `whenReady()`: `Infinity` means none (`undefined`); otherwise ms in [0, 2^31 - 1]. */
export function readyTimeoutOf(timeout: unknown): number | undefined {
  if (timeout === Infinity) return undefined;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > MAX_TIMER_DELAY) {
    throw invalidOption('timeout', `must be a number of ms in [0, ${MAX_TIMER_DELAY}], or Infinity to wait until ready or the app closes`, timeout);
  }
  return timeout;
}

/** Request / push options of `MapperService`: undefined means none; anything else must be an object (as core's mapper requires). */
export function callOptionsOf<T extends object>(options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (!isPlainObject(options)) throw invalidOption('options', 'must be an options object (or left out)', options);
  return options;
}

/** An `AbortSignal` of this realm: what `AbortSignal.any()` takes. */
export function checkSignal(signal: unknown): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidOption('signal', 'must be an AbortSignal', signal);
}

function isObjectLike(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}
