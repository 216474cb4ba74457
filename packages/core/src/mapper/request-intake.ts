/** Turns what a caller passed to `request()` / `call()` into a {@link Dispatch}, or the error to reject with. */
import { checkTraceParent } from '../observability/trace-context';
import { NaniteError } from '../errors';
import type { Selector } from '../selectors/selector';
import type { Dispatch } from './dispatch.types';
import { abortedError, checkHops } from './mapper-errors';
import { checkDeadlineAhead, checkPushOptions, checkRequestOptions } from './options-check';
import type { MapperRequestOptions } from './mapper.options';

const NO_TAGS: readonly string[] = [];
/** The options of a request given none: shared (frozen: nothing writes a caller's options), not one object per call. */
export const NO_OPTIONS: MapperRequestOptions = Object.freeze({});

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
  checkRequest(options, limits);
  let timeout = options.timeout ?? limits.timeout;
  // The clock is read here only for an absolute deadline. Otherwise the dispatcher reads it when
  // something needs it (a wire send, a wait, a request still pending after its send: see
  // anchorDispatch), so an in-process request answered during its send reads none.
  let now = 0;
  if (options.deadline !== undefined) {
    now = Date.now();
    const left = Math.floor(options.deadline - now);
    if (left <= 0) throw new NaniteError('NANITE_ERR_TIMEOUT', { message: `The deadline of ${route} had already passed` });
    checkDeadlineAhead(left);
    timeout = timeout > 0 ? Math.min(timeout, left) : left;
  }
  const selector = selectorOf(options, limits, fanOut);
  return { route, payload, options, selector, tags: options.tags ?? NO_TAGS, timeout, deadline: timeout > 0 && now !== 0 ? now + timeout : 0, now };
}

/**
 * {@link toDispatch} for a request without an absolute `deadline` option (its timeout is
 * `options.timeout ?? limits.timeout`, no clock read): the same checks, and its selector; no
 * {@link Dispatch} is made (`Dispatcher.request`).
 */
export function checkPlain(options: MapperRequestOptions, limits: IntakeLimits, fanOut: boolean): Selector {
  checkRequest(options, limits);
  return selectorOf(options, limits, fanOut);
}

/** The tags of a request (a shared empty array for none). */
export function tagsOf(options: MapperRequestOptions): readonly string[] {
  return options.tags ?? NO_TAGS;
}

/** Every protocol field of the packet is checked here, so the dispatcher's own packets need no
 * decoding on an in-process hand-over (transport/own-link.ts); over a wire they were malformed. */
function checkRequest(options: MapperRequestOptions, limits: IntakeLimits): void {
  if (options === NO_OPTIONS) return;
  checkPushOptions(options);
  checkRequestOptions(options);
  const hops = options.hops ?? 0;
  if (!Number.isInteger(hops) || hops < 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `hops must be a non-negative integer, got ${String(hops)}` });
  if (options.traceId !== undefined && typeof options.traceId !== 'string') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'traceId must be a string' });
  checkHops(hops, limits.maxHops);
  checkTraceParent(options.traceparent);
  if (options.signal?.aborted) throw abortedError(options.signal);
}

function selectorOf(options: MapperRequestOptions, limits: IntakeLimits, fanOut: boolean): Selector {
  const selector = limits.selectorFor(options);
  if (selector.fanOut && !fanOut) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'call() takes a single-agent selector; use request() for fan-out' });
  return selector;
}

/** Reads the clock for a {@link Dispatch} made without it (`now` 0): its `now` and, with a timeout, its deadline. */
export function anchorDispatch(d: Dispatch, now = Date.now()): void {
  if (d.now !== 0) return;
  d.now = now;
  if (d.timeout > 0) d.deadline = now + d.timeout;
}
