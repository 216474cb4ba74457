/** Turns what a caller passed to `request()` / `call()` into a {@link Dispatch}, or the error to reject with. */
import { checkTraceParent } from '../observability/trace-context';
import { NaniteError } from '../errors';
import type { Selector } from '../selectors/selector';
import type { Dispatch } from './dispatch.types';
import { abortedError, checkHops } from './mapper-errors';
import type { MapperRequestOptions } from './mapper.options';

const NO_TAGS: readonly string[] = [];

/** The mapper's defaults and limits a request is checked against. */
export interface IntakeLimits {
  /** Default `timeout` (ms; 0: none). */
  timeout: number;
  maxHops: number;
  /** Resolves the request's selector (throws for an unknown name). */
  selectorFor(options: MapperRequestOptions): Selector;
}

/**
 * Validates a request and fixes its deadline; throws a `NaniteError` for bad input. `fanOut` false
 * refuses fan-out selectors (`call()`), before anything runs.
 */
export function toDispatch(route: string, payload: unknown, options: MapperRequestOptions, limits: IntakeLimits, fanOut: boolean): Dispatch {
  checkHops(options.hops ?? 0, limits.maxHops);
  checkTraceParent(options.traceparent);
  if (options.signal?.aborted) throw abortedError(options.signal);
  let timeout = options.timeout ?? limits.timeout;
  // One clock read per request: the deadline, the deadline check and `sentAt` all use it.
  const now = Date.now();
  if (options.deadline !== undefined) {
    const left = Math.floor(options.deadline - now);
    if (left <= 0) throw new NaniteError('NANITE_ERR_TIMEOUT', { message: `The deadline of ${route} had already passed` });
    timeout = timeout > 0 ? Math.min(timeout, left) : left;
  }
  const selector = limits.selectorFor(options);
  if (selector.fanOut && !fanOut) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'call() takes a single-agent selector; use request() for fan-out' });
  return { route, payload, options, selector, tags: options.tags ?? NO_TAGS, timeout, deadline: timeout > 0 ? now + timeout : 0, now };
}
