/**
 * Checks what a caller passes to `request()`, `call()` and `push()`, so a mistaken option (a tag
 * given as a string, `timeout: NaN`, a signal that is not an `AbortSignal`) is refused at once with
 * `NANITE_ERR_INVALID_ARGUMENT` instead of turning into a request with no deadline, a TypeError
 * thrown synchronously, or a crash later in a registry callback.
 */
import { NaniteError } from '../errors';
import { isAbortSignal } from '../internal/abort-signal';
import { shownValue } from '../internal/option-checks';
import { MAX_TIMER_DELAY } from '../internal/timers';
import type { MapperRequestOptions, PushOptions } from './mapper.options';

function invalid(option: string, message: string, value: unknown): NaniteError {
  const shown = shownValue(value);
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${option} ${message}`, data: { option, value: shown.slice(0, 80) } });
}

/** The route of a request or a push: a string starting with `/`, as every route an agent serves does. */
export function checkRoute(route: unknown): void {
  if (typeof route !== 'string' || route.charCodeAt(0) !== 47) throw invalid('route', 'must be a string starting with / (like /actor/method)', route);
}

/** The options a push and a request share. */
export function checkPushOptions(o: PushOptions): void {
  if (o.tags !== undefined && (!Array.isArray(o.tags) || !o.tags.every((t) => typeof t === 'string'))) throw invalid('tags', 'must be an array of strings', o.tags);
  if (o.target !== undefined && (typeof o.target !== 'string' || o.target === '')) throw invalid('target', 'must be an agent identity (a non-empty string)', o.target);
  if (o.selector === 'target' && o.target === undefined) throw invalid('selector', '"target" needs the target option (the agent to send to)', o.selector);
  if (o.delivery !== undefined && o.delivery !== 'at-most-once' && o.delivery !== 'ack-after-handler') throw invalid('delivery', 'must be "at-most-once" or "ack-after-handler"', o.delivery);
  if (o.persistent !== undefined && typeof o.persistent !== 'boolean') throw invalid('persistent', 'must be a boolean', o.persistent);
}

/** The options only a request has (after {@link checkPushOptions}). */
export function checkRequestOptions(o: MapperRequestOptions): void {
  if (o.timeout !== undefined && (typeof o.timeout !== 'number' || !(o.timeout >= 0) || o.timeout > MAX_TIMER_DELAY)) {
    throw invalid('timeout', `must be a number of ms in [0, ${MAX_TIMER_DELAY}] (0: none)`, o.timeout);
  }
  if (o.deadline !== undefined && (typeof o.deadline !== 'number' || !Number.isFinite(o.deadline))) throw invalid('deadline', 'must be epoch ms (a finite number)', o.deadline);
  if (o.signal !== undefined && !isAbortSignal(o.signal)) throw invalid('signal', 'must be an AbortSignal', o.signal);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalid('onProgress', 'must be a function', o.onProgress);
  if (o.idempotent !== undefined && typeof o.idempotent !== 'boolean') throw invalid('idempotent', 'must be a boolean', o.idempotent);
}

/** A deadline more than {@link MAX_TIMER_DELAY} ms ahead: refused (Node would fire its timer at once). */
export function checkDeadlineAhead(left: number): void {
  if (left > MAX_TIMER_DELAY) throw invalid('deadline', 'must be less than 24 days ahead', left);
}

